// Table definitions (for `inferctl init --print` and infrastructure code) and idempotent creation
// for a local server.
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { delay } from '../async/delay.js';
import type { TableNames } from './config.js';
import { classifyError } from './errors.js';

/** The CreateTable inputs of both tables (DESIGN §2.1–2.2). */
export function tableDefinitions(tables: TableNames): {
  endpoints: CreateTableCommandInput;
  status: CreateTableCommandInput;
} {
  return {
    endpoints: {
      TableName: tables.endpoints,
      AttributeDefinitions: [{ AttributeName: 'endpoint_name', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'endpoint_name', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
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
    },
  };
}

export interface EnsureResult {
  readonly table: string;
  readonly created: boolean;
}

async function tableStatus(client: DynamoDBClient, name: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    return out.Table?.TableStatus ?? 'ACTIVE';
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw classifyError(err, 'DescribeTable', name);
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
      if ((err as { name?: string }).name !== 'ResourceInUseException')
        throw classifyError(err, 'CreateTable', name);
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

/** Create both tables unless they exist; waits until they are ACTIVE. Idempotent. */
export async function ensureTables(
  client: DynamoDBClient,
  tables: TableNames,
  options: { timeoutMs?: number } = {},
): Promise<EnsureResult[]> {
  const defs = tableDefinitions(tables);
  const timeout = options.timeoutMs ?? 120_000;
  return [await ensureOne(client, defs.endpoints, timeout), await ensureOne(client, defs.status, timeout)];
}
