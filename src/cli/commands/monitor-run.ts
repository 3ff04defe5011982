// The `inferctl monitor` verb once its flags are read: configuration, the Kubernetes and DynamoDB
// clients, the metrics and health server, then the monitor until SIGTERM/SIGINT (or one pass).
import {
  ConfigError,
  loadMonitorConfig,
  Monitor,
  SETTINGS,
  type SettingKey,
} from '../../controller/index.js';
import {
  type AccessPlan,
  KubeconfigError,
  openKubeAccess,
  planInCluster,
  planKubeconfigFile,
} from '../../kube/index.js';
import {
  createLogger,
  MonitorMetrics,
  PortInUseError,
  startObservabilityServer,
} from '../../observability/index.js';
import { openStore, storeConfigFromEnv } from '../../store/index.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';

export async function runMonitor(
  deps: CliDeps,
  given: Partial<Record<SettingKey, string>>,
  options: { readonly once: boolean; readonly version: string },
): Promise<void> {
  let config: ReturnType<typeof loadMonitorConfig>;
  try {
    config = loadMonitorConfig(deps.env, given);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('INVALID_INPUT', err.message, { cause: err });
    throw err;
  }
  const log = createLogger({ level: config.logLevel, region: config.region, identity: config.identity });
  const metrics = new MonitorMetrics();
  // Natively (no @kubernetes/client-node in memory) unless the kubeconfig's user needs it.
  let plan: AccessPlan;
  try {
    plan = config.kubeconfig ? planKubeconfigFile(config.kubeconfig) : planInCluster(deps.env);
  } catch (err) {
    if (err instanceof KubeconfigError) throw new CliError('INVALID_INPUT', err.message, { cause: err });
    throw err;
  }
  const kubeAccess = await openKubeAccess(plan, { requestTimeoutMs: config.kubeApiTimeoutMs });
  log.info({ kubeAccess: kubeAccess.description }, 'kubernetes access');
  const { store, clients } = openStore(
    storeConfigFromEnv(deps.env, {
      endpoint: config.dynamodbEndpoint,
      region: config.dynamodbRegion,
      endpointsTable: config.endpointsTable,
      statusTable: config.statusTable,
      requestTimeoutMs: config.dynamodbTimeoutMs,
    }),
    { ownRegion: config.region },
  );
  const monitor = new Monitor(config, {
    store,
    storeClients: clients,
    kubeAccess,
    log,
    metrics,
    version: options.version,
  });
  const health = { live: () => true, ready: () => monitor.readiness() };
  const serve = (setting: 'metricsPort' | 'healthPort') =>
    startObservabilityServer({
      host: config.listenAddress,
      port: config[setting],
      registry: metrics.registry,
      health,
    }).catch((err: unknown) => {
      clients.destroy();
      if (!(err instanceof PortInUseError)) throw err;
      const s = SETTINGS[setting];
      throw new CliError(
        'UNAVAILABLE',
        `port ${err.port} on ${err.host} is already in use: stop what listens there, or choose another port with --${s.flag} or ${s.env} (0 picks a free one)`,
        { cause: err },
      );
    });
  const servers = [await serve('metricsPort')];
  if (config.healthPort !== config.metricsPort) servers.push(await serve('healthPort'));
  log.info(
    { metricsPort: servers[0]?.port, healthPort: servers.at(-1)?.port },
    'serving /metrics, /healthz, /readyz',
  );
  if (options.once) {
    try {
      const { reconciled, failed } = await monitor.runOnce();
      log.info({ reconciled, failed }, 'single pass finished');
      if (failed.length > 0) {
        throw new CliError(
          'INTERNAL',
          `monitor --once: ${failed.length} of ${reconciled} endpoint(s) failed: ${failed.join(', ')}`,
        );
      }
      return;
    } finally {
      for (const { server } of servers) server.close();
      clients.destroy();
    }
  }
  monitor.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await monitor.stop();
  for (const { server } of servers) server.close();
  clients.destroy();
}
