// Store fixtures for integration tests: a store on fresh tables of the test's DynamoDB server.
import { randomUUID } from 'node:crypto';
import {
  type DynamoStore,
  ensureTables,
  openStore,
  type StoreClients,
  type TableNames,
} from '../../src/store/index.js';

export interface TestStore {
  store: DynamoStore;
  clients: StoreClients;
  tables: TableNames;
  endpoint: string;
}

/** Fresh, uniquely named tables so tests in one file never see each other's items. */
export async function freshStore(endpoint: string, options: { ownRegion?: string } = {}): Promise<TestStore> {
  const suffix = randomUUID().slice(0, 8);
  const tables = { endpoints: `endpoints-${suffix}`, status: `status-${suffix}` };
  const { store, clients } = openStore({ tables, endpoint, region: 'us-east-1' }, options);
  await ensureTables(clients.dynamodb, tables);
  return { store, clients, tables, endpoint };
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}
