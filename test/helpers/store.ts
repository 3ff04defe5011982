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
