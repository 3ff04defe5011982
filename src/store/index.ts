// Public surface of store/: the two tables behind the Store interface, and the change feed.
export type { ChangeFeedOptions } from './change-feed.js';
export {
  type ChangedItem,
  changeFeed,
  changeFeedBatches,
  changeFeedVersions,
  latestStreamArn,
  type StatusChange,
  statusFeed,
} from './change-feed.js';
export type { StoreClients, StoreConfig, StoreConfigOverrides, TableNames } from './config.js';
export {
  clientConfig,
  createClients,
  DEFAULT_ENDPOINTS_TABLE,
  DEFAULT_REVISIONS_TABLE,
  DEFAULT_STATUS_TABLE,
  storeConfigFromEnv,
} from './config.js';
export type { DynamoStoreOptions } from './dynamo-store.js';
export { DynamoStore } from './dynamo-store.js';
export { itemVersion, toRecord as recordFromItem } from './endpoints-table.js';
export { ConflictError, classifyError, NotFoundError, StoreError, StoreUnavailableError } from './errors.js';
export { DEFAULT_HEARTBEAT_STALE_MS } from './heartbeats.js';
export { REVISIONS_KEPT } from './revisions-table.js';
export { HEARTBEAT_KEY, itemToStatus, statusToItem } from './status-codec.js';
export type { EnsureResult } from './tables.js';
export { ensureStream, ensureTables, tableDefinitions } from './tables.js';
export type {
  EndpointChange,
  EndpointRecord,
  ListFilter,
  ListResult,
  NewEndpoint,
  ParseFailure,
  PutStatusResult,
  RegionHeartbeat,
  Revision,
  RevisionNote,
  Store,
} from './types.js';

import { createClients, type StoreClients, type StoreConfig } from './config.js';
import type { DynamoStoreOptions } from './dynamo-store.js';
import { DynamoStore } from './dynamo-store.js';

/** A Store and its clients from a config; call `clients.destroy()` when done. */
export function openStore(
  config: StoreConfig,
  options: Omit<DynamoStoreOptions, 'doc' | 'tables'> = {},
): { store: DynamoStore; clients: StoreClients } {
  const clients = createClients(config);
  return { store: new DynamoStore({ ...options, doc: clients.doc, tables: config.tables }), clients };
}
