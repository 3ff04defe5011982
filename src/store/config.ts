// Where the tables live and how to reach them: the AWS SDK's default chain plus an explicit
// endpoint (a local DynamoDB) and region.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, type DynamoDBStreamsClientConfig } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const DEFAULT_ENDPOINTS_TABLE = 'gco-inference-endpoints';
export const DEFAULT_STATUS_TABLE = 'gco-inference-endpoint-status';
export const DEFAULT_REVISIONS_TABLE = 'gco-inference-endpoint-revisions';

export interface TableNames {
  readonly endpoints: string;
  readonly status: string;
  /** Absent: endpoint writes keep no history (monitors, benches and fixtures that never write). */
  readonly revisions?: string;
}

export interface StoreConfig {
  readonly tables: TableNames;
  /** e.g. http://127.0.0.1:8000 for a local server; undefined for AWS. */
  readonly endpoint?: string;
  /** undefined: the SDK's chain (AWS_REGION, profile…). */
  readonly region?: string;
  /** Each attempt's bound, from sending it to the end of its answer. Default 10 s. */
  readonly requestTimeoutMs?: number;
}

export interface StoreConfigOverrides {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly endpointsTable?: string | undefined;
  readonly statusTable?: string | undefined;
  readonly revisionsTable?: string | undefined;
  readonly requestTimeoutMs?: number | undefined;
}

const nonEmpty = (s: string | undefined): string | undefined => (s && s.trim() !== '' ? s.trim() : undefined);

/** Flags win over environment variables, which win over defaults. */
export function storeConfigFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: StoreConfigOverrides = {},
): StoreConfig {
  const endpoint = nonEmpty(overrides.endpoint) ?? nonEmpty(env.DYNAMODB_ENDPOINT);
  const region = nonEmpty(overrides.region) ?? nonEmpty(env.DYNAMODB_REGION);
  return {
    tables: {
      endpoints:
        nonEmpty(overrides.endpointsTable) ??
        nonEmpty(env.INFERENCE_ENDPOINTS_TABLE_NAME) ??
        DEFAULT_ENDPOINTS_TABLE,
      status:
        nonEmpty(overrides.statusTable) ?? nonEmpty(env.INFERENCE_STATUS_TABLE_NAME) ?? DEFAULT_STATUS_TABLE,
      revisions:
        nonEmpty(overrides.revisionsTable) ??
        nonEmpty(env.INFERENCE_REVISIONS_TABLE_NAME) ??
        DEFAULT_REVISIONS_TABLE,
    },
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(overrides.requestTimeoutMs !== undefined ? { requestTimeoutMs: overrides.requestTimeoutMs } : {}),
  };
}

/**
 * The SDK sets no request timeout: a DynamoDB endpoint that stops answering on an open connection
 * (a frozen server, a network path that drops packets without a reset) held a call until the
 * kernel gave up on the connection, about 15 minutes, while nothing reported the store as down.
 * DynamoDB answers in milliseconds; 10 s leaves room for a busy local server. A timed-out attempt
 * is retried by the SDK like any transient error, then classified as the store being unavailable.
 */
export const DEFAULT_DYNAMODB_TIMEOUT_MS = 10_000;

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

/**
 * SDK client options. A loopback endpoint gets a default region and, when the environment has
 * no keys, dummy credentials: a local server ignores them, and a fresh machine has none.
 */
export function clientConfig(
  config: Pick<StoreConfig, 'endpoint' | 'region' | 'requestTimeoutMs'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DynamoDBClientConfig {
  const out: DynamoDBClientConfig = {
    requestHandler: {
      connectionTimeout: Math.min(3_000, config.requestTimeoutMs ?? DEFAULT_DYNAMODB_TIMEOUT_MS),
      requestTimeout: config.requestTimeoutMs ?? DEFAULT_DYNAMODB_TIMEOUT_MS,
      // Without it the handler only logs a warning when the timeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
  if (config.endpoint) out.endpoint = config.endpoint;
  if (config.region) out.region = config.region;
  if (config.endpoint && isLoopback(config.endpoint)) {
    if (!config.region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) out.region = 'us-east-1';
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      out.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  }
  return out;
}

export interface StoreClients {
  readonly dynamodb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly streams: DynamoDBStreamsClient;
  destroy(): void;
}

export function createClients(
  config: Pick<StoreConfig, 'endpoint' | 'region' | 'requestTimeoutMs'>,
): StoreClients {
  const opts = clientConfig(config);
  const dynamodb = new DynamoDBClient(opts);
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  const streams = new DynamoDBStreamsClient(opts as DynamoDBStreamsClientConfig);
  return {
    dynamodb,
    doc,
    streams,
    destroy() {
      doc.destroy();
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
