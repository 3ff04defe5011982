// The store's interface: what the CLI and the monitor may ask of the two tables.
import type {
  DesiredState,
  Endpoint,
  EndpointSpec,
  InvalidSpecError,
  ParseResult,
  RegionStatus,
} from '../model/index.js';

/** One endpoint item as stored (snake_case) and as parsed by the model. */
export interface EndpointRecord {
  readonly name: string;
  /** Missing in items written by the Python tooling: 0. */
  readonly generation: number;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly parsed: ParseResult<Endpoint>;
}

export interface NewEndpoint {
  readonly name: string;
  readonly spec: EndpointSpec;
  readonly targetRegions: readonly string[];
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly createdBy?: string;
  /** Default `deploying`. */
  readonly desiredState?: DesiredState;
  /** Default `/inference/{name}`. */
  readonly ingressPath?: string;
}

/** Fields an update may replace; absent fields are left untouched (desired state included). */
export interface EndpointChange {
  readonly spec?: EndpointSpec;
  readonly targetRegions?: readonly string[];
  readonly desiredState?: DesiredState;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ListFilter {
  readonly desiredState?: DesiredState;
  /** Only endpoints targeting this region. */
  readonly region?: string;
  /** Items per Scan page (tests use it to force many pages). */
  readonly pageSize?: number;
}

export interface ParseFailure {
  /** The endpoint name, when readable. */
  readonly name: string | undefined;
  readonly error: InvalidSpecError;
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface ListResult {
  /** Parsed, filtered, sorted by name. */
  readonly endpoints: readonly Endpoint[];
  /** Items the schema rejects; never silently dropped (filters are not applied to these). */
  readonly failures: readonly ParseFailure[];
  /** Scan pages read (one per LastEvaluatedKey followed, plus the first). */
  readonly pages: number;
}

export interface PutStatusResult {
  /** false: the stored content (ignoring last_sync) was identical, nothing was written. */
  readonly written: boolean;
}

export interface RegionHeartbeat {
  readonly region: string;
  readonly lastHeartbeat: string;
  readonly identity: string;
  /** Heartbeat newer than the staleness limit, and not withdrawn by a monitor that stopped. */
  readonly alive: boolean;
  /** Namespaces this region's monitor accepts (its ALLOWED_NAMESPACES); absent from old monitors. */
  readonly allowedNamespaces?: readonly string[];
  /** The inferctl version of the monitor that wrote the heartbeat; absent from old monitors. */
  readonly version?: string;
  /** Set when the monitor withdrew its heartbeat on a clean stop (SIGTERM). */
  readonly withdrawnAt?: string;
}

/** What a monitor publishes about itself with each heartbeat. */
export interface HeartbeatDetails {
  readonly allowedNamespaces?: readonly string[];
  readonly version?: string;
}

export interface Store {
  readonly tables: { readonly endpoints: string; readonly status: string };
  createEndpoint(input: NewEndpoint): Promise<EndpointRecord>;
  getEndpoint(name: string): Promise<EndpointRecord | undefined>;
  /** Like getEndpoint, but throws NotFoundError. */
  requireEndpoint(name: string): Promise<EndpointRecord>;
  listEndpoints(filter?: ListFilter): Promise<ListResult>;
  /** Name → `itemVersion` of every item, from a Scan that reads only those attributes. */
  scanEndpointVersions(options?: {
    pageSize?: number;
  }): Promise<{ versions: Map<string, string>; pages: number }>;
  /** Consistent batch read; names without an item map to undefined. */
  getEndpoints(names: readonly string[]): Promise<Map<string, EndpointRecord | undefined>>;
  /** Conditional on `expectedGeneration`; bumps generation and updated_at. */
  updateEndpoint(name: string, expectedGeneration: number, change: EndpointChange): Promise<EndpointRecord>;
  updateSpec(name: string, expectedGeneration: number, spec: EndpointSpec): Promise<EndpointRecord>;
  updateTargets(
    name: string,
    expectedGeneration: number,
    regions: readonly string[],
  ): Promise<EndpointRecord>;
  setDesiredState(name: string, expectedGeneration: number, state: DesiredState): Promise<EndpointRecord>;
  /** Deletes the item only while desired_state = deleted and generation = expectedGeneration. */
  purgeEndpoint(name: string, expectedGeneration: number): Promise<void>;
  /**
   * Writes only when the content (ignoring last_sync) differs from what this process last saw;
   * reads the item once per key, then trusts its cache. Compare-and-set on last_sync.
   */
  putStatusIfChanged(status: RegionStatus): Promise<PutStatusResult>;
  /** Forget the put-if-changed cache (on gaining leadership). */
  invalidateStatusCache(): void;
  deleteStatus(endpointName: string, region: string): Promise<void>;
  listStatus(endpointName: string): Promise<RegionStatus[]>;
  listAllStatus(): Promise<RegionStatus[]>;
  /** A region's status items from one complete scan; they become the put-if-changed baseline. */
  loadStatusOf(region: string): Promise<RegionStatus[]>;
  /** Replaces the region's heartbeat (clearing a withdrawal). */
  putHeartbeat(region: string, identity: string, now?: Date, details?: HeartbeatDetails): Promise<void>;
  /** Marks the region's heartbeat withdrawn while it is still `identity`'s; false when it is not. */
  withdrawHeartbeat(region: string, identity: string, now?: Date): Promise<boolean>;
  listRegions(options?: { staleAfterMs?: number; now?: Date }): Promise<RegionHeartbeat[]>;
}
