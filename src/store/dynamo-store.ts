// The Store over DynamoDB: the endpoints table, the status table and the heartbeats behind one
// interface, each in its own module.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DesiredState, EndpointSpec, RegionStatus } from '../model/index.js';
import type { TableNames } from './config.js';
import { EndpointsTable } from './endpoints-table.js';
import { Heartbeats } from './heartbeats.js';
import { StatusTable } from './status-table.js';
import type {
  EndpointChange,
  EndpointRecord,
  HeartbeatDetails,
  ListFilter,
  ListResult,
  NewEndpoint,
  PutStatusResult,
  RegionHeartbeat,
  Store,
} from './types.js';

export interface DynamoStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  /** A monitor's own region: status writes for any other region are refused. */
  readonly ownRegion?: string;
  /** Injected clock (tests). */
  readonly now?: () => Date;
}

export class DynamoStore implements Store {
  readonly tables: TableNames;
  private readonly endpoints: EndpointsTable;
  private readonly status: StatusTable;
  private readonly heartbeats: Heartbeats;

  constructor(options: DynamoStoreOptions) {
    const clock = options.now ?? (() => new Date());
    this.tables = options.tables;
    this.endpoints = new EndpointsTable(options.doc, options.tables.endpoints, clock);
    this.status = new StatusTable(options.doc, options.tables.status, options.ownRegion);
    this.heartbeats = new Heartbeats(options.doc, options.tables.status, clock);
  }

  createEndpoint(input: NewEndpoint): Promise<EndpointRecord> {
    return this.endpoints.create(input);
  }

  getEndpoint(name: string): Promise<EndpointRecord | undefined> {
    return this.endpoints.get(name);
  }

  requireEndpoint(name: string): Promise<EndpointRecord> {
    return this.endpoints.require(name);
  }

  listEndpoints(filter?: ListFilter): Promise<ListResult> {
    return this.endpoints.list(filter);
  }

  scanEndpointVersions(options?: {
    pageSize?: number;
  }): Promise<{ versions: Map<string, string>; pages: number }> {
    return this.endpoints.scanVersions(options);
  }

  getEndpoints(names: readonly string[]): Promise<Map<string, EndpointRecord | undefined>> {
    return this.endpoints.getMany(names);
  }

  updateEndpoint(name: string, expectedGeneration: number, change: EndpointChange): Promise<EndpointRecord> {
    return this.endpoints.update(name, expectedGeneration, change);
  }

  updateSpec(name: string, expectedGeneration: number, spec: EndpointSpec): Promise<EndpointRecord> {
    return this.endpoints.update(name, expectedGeneration, { spec });
  }

  updateTargets(
    name: string,
    expectedGeneration: number,
    regions: readonly string[],
  ): Promise<EndpointRecord> {
    return this.endpoints.update(name, expectedGeneration, { targetRegions: regions });
  }

  setDesiredState(name: string, expectedGeneration: number, state: DesiredState): Promise<EndpointRecord> {
    return this.endpoints.update(name, expectedGeneration, { desiredState: state });
  }

  purgeEndpoint(name: string, expectedGeneration: number): Promise<void> {
    return this.endpoints.purge(name, expectedGeneration);
  }

  putStatusIfChanged(status: RegionStatus): Promise<PutStatusResult> {
    return this.status.putIfChanged(status);
  }

  invalidateStatusCache(): void {
    this.status.invalidate();
  }

  loadStatusOf(region: string): Promise<RegionStatus[]> {
    return this.status.loadStatusOf(region);
  }

  deleteStatus(endpointName: string, region: string): Promise<void> {
    return this.status.delete(endpointName, region);
  }

  listStatus(endpointName: string): Promise<RegionStatus[]> {
    return this.status.list(endpointName);
  }

  listAllStatus(): Promise<RegionStatus[]> {
    return this.status.listAll();
  }

  putHeartbeat(region: string, identity: string, now?: Date, details?: HeartbeatDetails): Promise<void> {
    return this.heartbeats.put(region, identity, now, details);
  }

  withdrawHeartbeat(region: string, identity: string, now?: Date): Promise<boolean> {
    return this.heartbeats.withdraw(region, identity, now);
  }

  listRegions(options?: { staleAfterMs?: number; now?: Date }): Promise<RegionHeartbeat[]> {
    return this.heartbeats.list(options);
  }
}
