// The monitor's configuration: the seed's environment variables with their meanings and
// defaults, plus ours; each is also a flag of `inferctl monitor` (flags win).
// The lease module alone: the CLI reads these settings to list the monitor's flags, and must not
// load the whole Kubernetes edge for that.
import { uniqueIdentity } from '../kube/lease.js';

export interface MonitorConfig {
  readonly clusterName: string;
  readonly region: string;
  readonly endpointsTable: string;
  readonly statusTable: string;
  readonly resyncIntervalMs: number;
  readonly inferenceNamespace: string;
  readonly allowedNamespaces: readonly string[];
  readonly leaseNamespace: string;
  readonly dynamodbRegion: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
  readonly dynamodbTimeoutMs: number;
  readonly kubeApiTimeoutMs: number;
  readonly unhealthyThresholdMs: number;
  /** How long a fresh generation's plain progress may wait for the rollout before it is written. */
  readonly statusHoldMs: number;
  readonly identity: string;
  readonly listenAddress: string;
  readonly metricsPort: number;
  readonly healthPort: number;
  readonly heartbeatIntervalMs: number;
  readonly modelSyncImage: string | undefined;
  readonly concurrency: number;
  readonly logLevel: string;
  readonly kubeconfig: string | undefined;
  /** Lease timings (client-go's defaults). */
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Each setting: its env var, its flag (kebab-case of the same), default, and parser. */
export const SETTINGS = {
  clusterName: {
    env: 'CLUSTER_NAME',
    flag: 'cluster-name',
    help: 'cluster name (logs, heartbeat)',
    default: '',
  },
  region: { env: 'REGION', flag: 'region', help: "this cluster's region (required)", default: '' },
  endpointsTable: {
    env: 'INFERENCE_ENDPOINTS_TABLE_NAME',
    flag: 'endpoints-table',
    help: 'endpoints table',
    default: 'gco-inference-endpoints',
  },
  statusTable: {
    env: 'INFERENCE_STATUS_TABLE_NAME',
    flag: 'status-table',
    help: 'status table',
    default: 'gco-inference-endpoint-status',
  },
  resyncIntervalSeconds: {
    env: 'RECONCILE_INTERVAL_SECONDS',
    flag: 'reconcile-interval-seconds',
    help: 'full resync period',
    default: '15',
  },
  inferenceNamespace: {
    env: 'INFERENCE_NAMESPACE',
    flag: 'inference-namespace',
    help: 'default endpoint namespace',
    default: 'gco-inference',
  },
  allowedNamespaces: {
    env: 'ALLOWED_NAMESPACES',
    flag: 'allowed-namespaces',
    help: 'comma-separated namespaces endpoints may use (default: the inference namespace)',
    default: '',
  },
  leaseNamespace: {
    env: 'LEADER_ELECTION_NAMESPACE',
    flag: 'leader-election-namespace',
    help: 'namespace of the leader Lease (default: the inference namespace)',
    default: '',
  },
  dynamodbRegion: {
    env: 'DYNAMODB_REGION',
    flag: 'dynamodb-region',
    help: 'region of the DynamoDB tables',
    default: '',
  },
  dynamodbEndpoint: {
    env: 'DYNAMODB_ENDPOINT',
    flag: 'dynamodb-endpoint',
    help: 'DynamoDB endpoint URL (local server)',
    default: '',
  },
  dynamodbTimeoutSeconds: {
    env: 'DYNAMODB_TIMEOUT_SECONDS',
    flag: 'dynamodb-timeout-seconds',
    help: 'DynamoDB request timeout, seconds (each attempt; the SDK retries)',
    default: '10',
  },
  kubeApiTimeoutSeconds: {
    env: 'K8S_API_TIMEOUT',
    flag: 'k8s-api-timeout',
    help: 'Kubernetes request timeout, seconds',
    default: '30',
  },
  unhealthyThresholdSeconds: {
    env: 'INFERENCE_UNHEALTHY_THRESHOLD_SECONDS',
    flag: 'unhealthy-threshold-seconds',
    help: 'watchdog: seconds with no ready replica before the Ingress is pulled',
    default: '300',
  },
  statusHoldSeconds: {
    env: 'STATUS_HOLD_SECONDS',
    flag: 'status-hold-seconds',
    help: 'seconds a new generation may roll out before its progress is written (0: at once)',
    default: '5',
  },
  identity: {
    env: 'MONITOR_IDENTITY',
    flag: 'identity',
    help: 'leader-election identity (default: $HOSTNAME plus a per-process suffix)',
    default: '',
  },
  listenAddress: {
    env: 'LISTEN_ADDRESS',
    flag: 'listen-address',
    help: 'address the metrics and health servers bind (0.0.0.0 in a pod)',
    default: '127.0.0.1',
  },
  metricsPort: {
    env: 'METRICS_PORT',
    flag: 'metrics-port',
    help: '/metrics port (0: any free port)',
    default: '9090',
  },
  healthPort: {
    env: 'HEALTH_PORT',
    flag: 'health-port',
    help: '/healthz and /readyz port (0: any free port)',
    default: '8081',
  },
  heartbeatIntervalSeconds: {
    env: 'HEARTBEAT_INTERVAL_SECONDS',
    flag: 'heartbeat-interval-seconds',
    help: 'region heartbeat period',
    default: '60',
  },
  modelSyncImage: {
    env: 'MODEL_SYNC_IMAGE',
    flag: 'model-sync-image',
    help: 'image of the model-sync init container (pin a version)',
    default: '',
  },
  concurrency: {
    env: 'MONITOR_CONCURRENCY',
    flag: 'concurrency',
    help: 'endpoints reconciled in parallel',
    default: '32',
  },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', help: 'log level', default: 'info' },
  kubeconfig: {
    env: 'KUBECONFIG',
    flag: 'kubeconfig',
    help: 'kubeconfig path (default: in-cluster)',
    default: '',
  },
  leaseDurationSeconds: {
    env: 'LEASE_DURATION_SECONDS',
    flag: 'lease-duration-seconds',
    help: 'leader lease duration',
    default: '15',
  },
  renewDeadlineSeconds: {
    env: 'RENEW_DEADLINE_SECONDS',
    flag: 'renew-deadline-seconds',
    help: 'leader renew deadline',
    default: '10',
  },
  retryPeriodSeconds: {
    env: 'RETRY_PERIOD_SECONDS',
    flag: 'retry-period-seconds',
    help: 'leader retry period',
    default: '2',
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;

function number(key: SettingKey, raw: string, { min, integer }: { min: number; integer?: boolean }): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const s = SETTINGS[key];
    throw new ConfigError(
      `${s.env} (--${s.flag}): must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got '${raw}'`,
    );
  }
  return value;
}

/** Flags (already parsed, by setting key) win over the environment, which wins over defaults. */
export function loadMonitorConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Partial<Record<SettingKey, string>> = {},
): MonitorConfig {
  const get = (key: SettingKey): string => {
    const fromFlag = flags[key];
    if (fromFlag !== undefined && fromFlag !== '') return fromFlag;
    const fromEnv = env[SETTINGS[key].env];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
    return SETTINGS[key].default;
  };
  const region = get('region');
  if (!region) throw new ConfigError('REGION (--region): required, the region this monitor runs in');
  const inferenceNamespace = get('inferenceNamespace');
  const allowed = get('allowedNamespaces')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  for (const ns of [inferenceNamespace, ...allowed]) {
    if (!dns.test(ns) || ns.length > 63)
      throw new ConfigError(
        `ALLOWED_NAMESPACES (--allowed-namespaces): '${ns}' is not a valid namespace name`,
      );
  }
  const opt = (key: SettingKey) => get(key) || undefined;
  const leaseDurationMs = number('leaseDurationSeconds', get('leaseDurationSeconds'), { min: 1 }) * 1000;
  const renewDeadlineMs = number('renewDeadlineSeconds', get('renewDeadlineSeconds'), { min: 1 }) * 1000;
  const retryPeriodMs = number('retryPeriodSeconds', get('retryPeriodSeconds'), { min: 0.1 }) * 1000;
  if (renewDeadlineMs >= leaseDurationMs)
    throw new ConfigError('RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS');
  return {
    clusterName: get('clusterName') || region,
    region,
    endpointsTable: get('endpointsTable'),
    statusTable: get('statusTable'),
    resyncIntervalMs: number('resyncIntervalSeconds', get('resyncIntervalSeconds'), { min: 1 }) * 1000,
    inferenceNamespace,
    allowedNamespaces: allowed.length > 0 ? allowed : [inferenceNamespace],
    leaseNamespace: get('leaseNamespace') || inferenceNamespace,
    dynamodbRegion: opt('dynamodbRegion'),
    dynamodbEndpoint: opt('dynamodbEndpoint'),
    dynamodbTimeoutMs: number('dynamodbTimeoutSeconds', get('dynamodbTimeoutSeconds'), { min: 1 }) * 1000,
    kubeApiTimeoutMs: number('kubeApiTimeoutSeconds', get('kubeApiTimeoutSeconds'), { min: 1 }) * 1000,
    unhealthyThresholdMs:
      number('unhealthyThresholdSeconds', get('unhealthyThresholdSeconds'), { min: 1 }) * 1000,
    statusHoldMs: number('statusHoldSeconds', get('statusHoldSeconds'), { min: 0 }) * 1000,
    identity: get('identity') || uniqueIdentity(env),
    listenAddress: get('listenAddress'),
    metricsPort: number('metricsPort', get('metricsPort'), { min: 0, integer: true }),
    healthPort: number('healthPort', get('healthPort'), { min: 0, integer: true }),
    heartbeatIntervalMs:
      number('heartbeatIntervalSeconds', get('heartbeatIntervalSeconds'), { min: 1 }) * 1000,
    modelSyncImage: opt('modelSyncImage'),
    concurrency: number('concurrency', get('concurrency'), { min: 1, integer: true }),
    logLevel: get('logLevel'),
    kubeconfig: opt('kubeconfig'),
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
  };
}
