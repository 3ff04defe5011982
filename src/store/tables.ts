// Table definitions (for `inferctl init --print` and infrastructure code) and idempotent creation
// for a local server.
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type StreamViewType,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { delay } from '../async/delay.js';
import type { TableNames } from './config.js';
import { classifyError } from './errors.js';

/** The TTL attribute of the revisions table (epoch seconds); see docs/decisions/0009-revisions.md. */
export const REVISIONS_TTL_ATTRIBUTE = 'expires_at';

/**
 * The view type of both tables' streams: the monitor's feeds read new images, and global-table
 * replication (infra/tables.yaml) needs old and new ones.
 */
export const STREAM_VIEW_TYPE = 'NEW_AND_OLD_IMAGES' satisfies StreamViewType;
const STREAM = { StreamEnabled: true, StreamViewType: STREAM_VIEW_TYPE } as const;

export interface TableDefinitions {
  endpoints: CreateTableCommandInput;
  status: CreateTableCommandInput;
  revisions?: CreateTableCommandInput;
}

/** The CreateTable inputs of the tables (DESIGN §2.1–2.2; the revisions table when named). */
export function tableDefinitions(tables: TableNames): TableDefinitions {
  return {
    endpoints: {
      TableName: tables.endpoints,
      AttributeDefinitions: [{ AttributeName: 'endpoint_name', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'endpoint_name', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: STREAM,
    },
    status: {
      TableName: tables.status,
      AttributeDefinitions: [
        { AttributeName: 'endpoint_name', AttributeType: 'S' },
        { AttributeName: 'region', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'endpoint_name', KeyType: 'HASH' },
        { AttributeName: 'region', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      // Region waves: a monitor follows the other regions' status items through it.
      StreamSpecification: STREAM,
    },
    ...(tables.revisions !== undefined
      ? {
          revisions: {
            TableName: tables.revisions,
            AttributeDefinitions: [
              { AttributeName: 'endpoint_name', AttributeType: 'S' },
              { AttributeName: 'generation', AttributeType: 'N' },
            ],
            KeySchema: [
              { AttributeName: 'endpoint_name', KeyType: 'HASH' },
              { AttributeName: 'generation', KeyType: 'RANGE' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
          },
        }
      : {}),
  };
}

export interface EnsureResult {
  readonly table: string;
  readonly created: boolean;
}

async function describe(client: DynamoDBClient, name: string) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table ?? {};
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw classifyError(err, 'DescribeTable', name);
  }
}

async function tableStatus(client: DynamoDBClient, name: string): Promise<string | undefined> {
  const table = await describe(client, name);
  return table ? (table.TableStatus ?? 'ACTIVE') : undefined;
}

/**
 * Enables STREAM_VIEW_TYPE on an existing table that has no stream (one made before the status
 * table had one); returns the stream's ARN. Idempotent. A stream without new images is refused
 * rather than replaced: replacing it gives it a new ARN under whoever reads the old one.
 */
export async function ensureStream(
  client: DynamoDBClient,
  name: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const table = await describe(client, name);
  if (!table) throw new Error(`table ${name} does not exist`);
  const spec = table.StreamSpecification;
  if (spec?.StreamEnabled && table.LatestStreamArn) {
    if (spec.StreamViewType === 'NEW_IMAGE' || spec.StreamViewType === 'NEW_AND_OLD_IMAGES')
      return table.LatestStreamArn;
    throw new Error(
      `table ${name}: its stream has view type ${spec.StreamViewType}, the monitor needs ${STREAM_VIEW_TYPE}; disable the stream and run inferctl init again`,
    );
  }
  try {
    await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: STREAM }));
  } catch (err) {
    throw classifyError(err, 'UpdateTable', name);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    const now = await describe(client, name);
    if (now?.TableStatus === 'ACTIVE' && now.LatestStreamArn) return now.LatestStreamArn;
    if (Date.now() > deadline) throw new Error(`table ${name}: stream not enabled after the deadline`);
    await delay(wait);
  }
}

async function ensureOne(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  deadlineMs: number,
): Promise<EnsureResult> {
  const name = input.TableName ?? '';
  let created = false;
  if ((await tableStatus(client, name)) === undefined) {
    try {
      await client.send(new CreateTableCommand(input));
      created = true;
    } catch (err) {
      // Another process created it between our describe and create.
      if (!(err instanceof ResourceInUseException)) throw classifyError(err, 'CreateTable', name);
    }
  }
  const deadline = Date.now() + deadlineMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    const status = await tableStatus(client, name);
    if (status === 'ACTIVE') return { table: name, created };
    if (Date.now() > deadline)
      throw new Error(`table ${name} not ACTIVE after ${deadlineMs} ms (status ${status})`);
    await delay(wait);
  }
}

/** Create the tables unless they exist, with their streams; waits until they are ACTIVE. Idempotent. */
export async function ensureTables(
  client: DynamoDBClient,
  tables: TableNames,
  options: { timeoutMs?: number } = {},
): Promise<EnsureResult[]> {
  const defs = tableDefinitions(tables);
  const timeout = options.timeoutMs ?? 120_000;
  const out = [
    await ensureOne(client, defs.endpoints, timeout),
    await ensureOne(client, defs.status, timeout),
  ];
  // Tables created before their stream was part of the definition get it now.
  for (const r of out) if (!r.created) await ensureStream(client, r.table, { timeoutMs: timeout });
  if (defs.revisions) {
    const revisions = await ensureOne(client, defs.revisions, timeout);
    // TTL is not part of CreateTable; enabling it again on a table that has it is refused, so
    // only the run that created the table asks.
    if (revisions.created) {
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: revisions.table,
            TimeToLiveSpecification: { AttributeName: REVISIONS_TTL_ATTRIBUTE, Enabled: true },
          }),
        )
        .catch((err: unknown) => {
          throw classifyError(err, 'UpdateTimeToLive', revisions.table);
        });
    }
    out.push(revisions);
  }
  return out;
}
