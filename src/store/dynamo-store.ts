// The Store over DynamoDB: paginated reads, conditional writes, status put-if-changed, heartbeats.
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type DesiredState,
  type Endpoint,
  type EndpointSpec,
  ingressPathFor,
  parseEndpointItem,
  type RegionStatus,
} from '../model/index.js';
import type { TableNames } from './config.js';
import {
  ConflictError,
  classifyError,
  isConditionalCheckFailed,
  isUnappliedWrite,
  NotFoundError,
  StoreError,
  StoreUnavailableError,
} from './errors.js';
import {
  HEARTBEAT_KEY,
  itemToStatus,
  type StatusItem,
  statusContentKey,
  statusToItem,
} from './status-codec.js';
import type {
  EndpointChange,
  EndpointRecord,
  ListFilter,
  ListResult,
  NewEndpoint,
  ParseFailure,
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

/** Default staleness limit for heartbeats: three missed 60 s beats. */
export const DEFAULT_HEARTBEAT_STALE_MS = 180_000;

function generationOf(raw: Readonly<Record<string, unknown>>): number {
  const g = raw.generation;
  return typeof g === 'number' && Number.isFinite(g) ? g : 0;
}

/**
 * What tells two reads of an item apart without reading all of it: every write through the store
 * bumps `generation` and sets `updated_at`; the Python tooling sets `updated_at` only.
 */
export function itemVersion(raw: Readonly<Record<string, unknown>>): string {
  return `${String(raw.generation ?? '')}|${String(raw.updated_at ?? '')}`;
}

function toRecord(raw: Record<string, unknown>): EndpointRecord {
  return {
    name: typeof raw.endpoint_name === 'string' ? raw.endpoint_name : '',
    generation: generationOf(raw),
    raw,
    parsed: parseEndpointItem(raw),
  };
}

function sortStatus(list: RegionStatus[]): RegionStatus[] {
  return list.sort((a, b) =>
    a.endpointName === b.endpointName
      ? a.region.localeCompare(b.region)
      : a.endpointName.localeCompare(b.endpointName),
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The generation condition: an exact match, or "no generation yet" for legacy items at 0. */
function generationCondition(expected: number): { expr: string; values: Record<string, unknown> } {
  if (expected === 0) {
    return {
      expr: '(attribute_not_exists(generation) OR generation = :expected)',
      values: { ':expected': 0 },
    };
  }
  return { expr: 'generation = :expected', values: { ':expected': expected } };
}

export class DynamoStore implements Store {
  readonly tables: TableNames;
  private readonly doc: DynamoDBDocumentClient;
  private readonly ownRegion: string | undefined;
  private readonly clock: () => Date;
  /** Last known content of each status item this process wrote or read: key → content + last_sync. */
  private readonly statusCache = new Map<string, { content: string; lastSync: string } | null>();
  /**
   * Set by `loadStatusOf`: the cache holds every status item of that region as of a complete scan,
   * so a key it lacks has no item and the first write needs no GetItem (a thousand new endpoints
   * cost a thousand conditional puts, not a thousand reads as well).
   */
  private statusCacheCompleteFor: string | undefined;

  constructor(options: DynamoStoreOptions) {
    this.doc = options.doc;
    this.tables = options.tables;
    this.ownRegion = options.ownRegion;
    this.clock = options.now ?? (() => new Date());
  }

  private async send<T>(operation: string, table: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyError(err, operation, table);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Endpoints table

  async createEndpoint(input: NewEndpoint): Promise<EndpointRecord> {
    const now = this.clock().toISOString();
    const item: Record<string, unknown> = {
      endpoint_name: input.name,
      desired_state: input.desiredState ?? 'deploying',
      target_regions: [...new Set(input.targetRegions)].sort(),
      namespace: input.namespace,
      spec: input.spec,
      ingress_path: input.ingressPath ?? ingressPathFor(input.name),
      labels: { ...(input.labels ?? {}) },
      created_at: now,
      updated_at: now,
      generation: 1,
    };
    if (input.createdBy !== undefined) item.created_by = input.createdBy;
    const table = this.tables.endpoints;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(endpoint_name)',
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        const existing = await this.getEndpoint(input.name).catch(() => undefined);
        throw new ConflictError(
          `endpoint ${input.name} already exists${existing ? ` (generation ${existing.generation}, ${String(existing.raw.desired_state ?? 'deploying')})` : ''}`,
          existing
            ? { endpointName: input.name, actualGeneration: existing.generation }
            : { endpointName: input.name },
          { cause: err },
        );
      }
      throw classifyError(err, 'PutItem', table);
    }
    return toRecord(item);
  }

  async getEndpoint(name: string): Promise<EndpointRecord | undefined> {
    const table = this.tables.endpoints;
    const out = await this.send('GetItem', table, () =>
      this.doc.send(new GetCommand({ TableName: table, Key: { endpoint_name: name }, ConsistentRead: true })),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async requireEndpoint(name: string): Promise<EndpointRecord> {
    const rec = await this.getEndpoint(name);
    if (!rec) throw new NotFoundError(name);
    return rec;
  }

  async listEndpoints(filter: ListFilter = {}): Promise<ListResult> {
    const table = this.tables.endpoints;
    const endpoints: Endpoint[] = [];
    const failures: ParseFailure[] = [];
    let pages = 0;
    for await (const items of this.scanPages(
      table,
      filter.pageSize !== undefined ? { Limit: filter.pageSize } : {},
    )) {
      pages++;
      for (const raw of items) {
        const parsed = parseEndpointItem(raw);
        if (!parsed.ok) {
          failures.push({ name: parsed.name, error: parsed.error, raw });
          continue;
        }
        const e = parsed.value;
        if (filter.desiredState !== undefined && e.desiredState !== filter.desiredState) continue;
        if (filter.region !== undefined && !e.targetRegions.includes(filter.region)) continue;
        endpoints.push(e);
      }
    }
    endpoints.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { endpoints, failures, pages };
  }

  /**
   * Every endpoint's name and version (`itemVersion`), from a paginated Scan that projects only
   * those attributes: the resync compares them with what it holds and reads only what differs.
   */
  async scanEndpointVersions(
    options: { pageSize?: number } = {},
  ): Promise<{ versions: Map<string, string>; pages: number }> {
    const table = this.tables.endpoints;
    // Small pages by default (DynamoDB's advice for scans beside live traffic): each request is
    // short, so the table serves other requests (status writes, the change feed's reads) between
    // pages instead of behind one long read. On the local server a 10 000-item page took 5.5 s.
    const pageSize = options.pageSize ?? 250;
    const versions = new Map<string, string>();
    let pages = 0;
    for await (const items of this.scanPages(table, {
      ProjectionExpression: '#n, #g, #u',
      ExpressionAttributeNames: { '#n': 'endpoint_name', '#g': 'generation', '#u': 'updated_at' },
      Limit: pageSize,
    })) {
      pages++;
      for (const raw of items) {
        if (typeof raw.endpoint_name === 'string') versions.set(raw.endpoint_name, itemVersion(raw));
      }
    }
    return { versions, pages };
  }

  /**
   * Reads many items (BatchGetItem, 100 keys a request, consistent); a name with no item maps to
   * undefined. Unprocessed keys (throttling) are asked for again with backoff.
   */
  async getEndpoints(names: readonly string[]): Promise<Map<string, EndpointRecord | undefined>> {
    const table = this.tables.endpoints;
    const out = new Map<string, EndpointRecord | undefined>();
    for (let i = 0; i < names.length; i += 100) {
      let keys: Record<string, unknown>[] = names.slice(i, i + 100).map((n) => ({ endpoint_name: n }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= 8)
          throw new StoreUnavailableError(`${keys.length} keys still unprocessed after ${attempt} attempts`, {
            operation: 'BatchGetItem',
            table,
          });
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 2000)));
        const res = await this.send('BatchGetItem', table, () =>
          this.doc.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
          ),
        );
        for (const raw of res.Responses?.[table] ?? []) {
          const rec = toRecord(raw);
          out.set(rec.name, rec);
        }
        keys = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    for (const n of names) if (!out.has(n)) out.set(n, undefined);
    return out;
  }

  async updateEndpoint(
    name: string,
    expectedGeneration: number,
    change: EndpointChange,
  ): Promise<EndpointRecord> {
    const table = this.tables.endpoints;
    const current = await this.requireEndpoint(name);
    if (current.generation !== expectedGeneration) {
      throw new ConflictError(
        `endpoint ${name} changed since it was read: expected generation ${expectedGeneration}, found ${current.generation}`,
        { endpointName: name, expectedGeneration, actualGeneration: current.generation },
      );
    }
    const sets: string[] = ['generation = :next', 'updated_at = :now'];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ':next': expectedGeneration + 1,
      ':now': this.clock().toISOString(),
    };
    if (change.spec !== undefined) {
      sets.push('spec = :spec');
      values[':spec'] = consistentImages(current.raw.spec, change.spec);
    }
    if (change.targetRegions !== undefined) {
      sets.push('target_regions = :regions');
      values[':regions'] = [...new Set(change.targetRegions)].sort();
    }
    if (change.desiredState !== undefined) {
      sets.push('desired_state = :state');
      values[':state'] = change.desiredState;
    }
    if (change.namespace !== undefined) {
      sets.push('#ns = :ns');
      names['#ns'] = 'namespace';
      values[':ns'] = change.namespace;
    }
    if (change.labels !== undefined) {
      sets.push('labels = :labels');
      values[':labels'] = { ...change.labels };
    }
    const cond = generationCondition(expectedGeneration);
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { endpoint_name: name },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(endpoint_name) AND ${cond.expr}`,
          ExpressionAttributeValues: { ...values, ...cond.values },
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes ?? {});
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw await this.lostRace(name, expectedGeneration, err);
      throw classifyError(err, 'UpdateItem', table);
    }
  }

  private async lostRace(name: string, expectedGeneration: number, cause: unknown): Promise<Error> {
    const now = await this.getEndpoint(name).catch(() => undefined);
    if (!now) return new NotFoundError(name, `endpoint ${name} was deleted while being updated`);
    return new ConflictError(
      `endpoint ${name} was changed concurrently: expected generation ${expectedGeneration}, found ${now.generation}; re-read and retry`,
      { endpointName: name, expectedGeneration, actualGeneration: now.generation },
      { cause },
    );
  }

  updateSpec(name: string, expectedGeneration: number, spec: EndpointSpec): Promise<EndpointRecord> {
    return this.updateEndpoint(name, expectedGeneration, { spec });
  }

  updateTargets(
    name: string,
    expectedGeneration: number,
    regions: readonly string[],
  ): Promise<EndpointRecord> {
    return this.updateEndpoint(name, expectedGeneration, { targetRegions: regions });
  }

  setDesiredState(name: string, expectedGeneration: number, state: DesiredState): Promise<EndpointRecord> {
    return this.updateEndpoint(name, expectedGeneration, { desiredState: state });
  }

  async purgeEndpoint(name: string, expectedGeneration: number): Promise<void> {
    const table = this.tables.endpoints;
    const cond = generationCondition(expectedGeneration);
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: table,
          Key: { endpoint_name: name },
          ConditionExpression: `desired_state = :deleted AND ${cond.expr}`,
          ExpressionAttributeValues: { ':deleted': 'deleted', ...cond.values },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw classifyError(err, 'DeleteItem', table);
      const now = await this.getEndpoint(name).catch(() => undefined);
      if (!now) throw new NotFoundError(name, `endpoint ${name} is already gone`);
      throw new ConflictError(
        `endpoint ${name} not purged: it must be deleted at generation ${expectedGeneration}, found ${String(now.raw.desired_state ?? 'deploying')} at generation ${now.generation}`,
        { endpointName: name, expectedGeneration, actualGeneration: now.generation },
        { cause: err },
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status table

  async putStatusIfChanged(status: RegionStatus): Promise<PutStatusResult> {
    if (this.ownRegion !== undefined && status.region !== this.ownRegion) {
      throw new StoreError(
        `a monitor in ${this.ownRegion} may not write the status of ${status.endpointName} in ${status.region}`,
      );
    }
    if (status.endpointName === HEARTBEAT_KEY)
      throw new StoreError(`"${HEARTBEAT_KEY}" is reserved for heartbeats`);
    const table = this.tables.status;
    const key = `${status.endpointName}\u0000${status.region}`;
    const item = statusToItem(status);
    const content = statusContentKey(item);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (
        !this.statusCache.has(key) &&
        attempt === 0 &&
        this.statusCacheCompleteFor !== undefined &&
        this.statusCacheCompleteFor === status.region
      ) {
        this.statusCache.set(key, null);
      }
      if (!this.statusCache.has(key)) {
        const out = await this.send('GetItem', table, () =>
          this.doc.send(
            new GetCommand({
              TableName: table,
              Key: { endpoint_name: status.endpointName, region: status.region },
              ConsistentRead: true,
            }),
          ),
        );
        this.statusCache.set(
          key,
          out.Item
            ? { content: statusContentKey(out.Item), lastSync: String(out.Item.last_sync ?? '') }
            : null,
        );
      }
      const known = this.statusCache.get(key) ?? null;
      if (known && known.content === content) return { written: false };
      // Compare-and-set against what we last saw, so a previous leader's late write is not lost
      // silently; the key itself confines the write to this (endpoint, region).
      const condition = known
        ? {
            expr: '#region = :region AND last_sync = :prevSync',
            values: { ':region': status.region, ':prevSync': known.lastSync },
          }
        : { expr: 'attribute_not_exists(endpoint_name)', values: undefined };
      try {
        await this.doc.send(
          new PutCommand({
            TableName: table,
            Item: item,
            ConditionExpression: condition.expr,
            ...(condition.values
              ? {
                  ExpressionAttributeValues: condition.values,
                  ExpressionAttributeNames: { '#region': 'region' },
                }
              : {}),
          }),
        );
        this.statusCache.set(key, { content, lastSync: status.lastSync });
        return { written: true };
      } catch (err) {
        // What we knew of the item still holds after a refused write (throttled, say); forgetting
        // it would make every retry a read and a write, both of which a throttled table may refuse.
        if (!isUnappliedWrite(err)) this.statusCache.delete(key);
        if (!isConditionalCheckFailed(err)) throw classifyError(err, 'PutItem', table);
      }
    }
    throw new ConflictError(`status of ${status.endpointName} in ${status.region} keeps changing under us`, {
      endpointName: status.endpointName,
    });
  }

  /**
   * Forget what this process believes the status items hold. Call it when (re)gaining
   * leadership: another replica may have written them meanwhile.
   */
  invalidateStatusCache(): void {
    this.statusCache.clear();
    this.statusCacheCompleteFor = undefined;
  }

  /**
   * One complete scan of the status table: returns `region`'s items and makes them the status
   * cache (everything else forgotten), so the next writes compare against them without a read.
   * Call it when (re)gaining leadership.
   */
  async loadStatusOf(region: string): Promise<RegionStatus[]> {
    this.invalidateStatusCache();
    const items = (await this.scanStatusItems()).filter((i) => i.region === region);
    for (const item of items) {
      this.statusCache.set(`${String(item.endpoint_name)}\u0000${region}`, {
        content: statusContentKey(item),
        lastSync: String(item.last_sync ?? ''),
      });
    }
    this.statusCacheCompleteFor = region;
    return sortStatus(items.map(itemToStatus));
  }

  async deleteStatus(endpointName: string, region: string): Promise<void> {
    const table = this.tables.status;
    await this.send('DeleteItem', table, () =>
      this.doc.send(new DeleteCommand({ TableName: table, Key: { endpoint_name: endpointName, region } })),
    );
    this.statusCache.delete(`${endpointName}\u0000${region}`);
  }

  private async queryAll(hashKey: string): Promise<StatusItem[]> {
    const table = this.tables.status;
    const items: StatusItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.send('Query', table, () =>
        this.doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'endpoint_name = :n',
            ExpressionAttributeValues: { ':n': hashKey },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async listStatus(endpointName: string): Promise<RegionStatus[]> {
    return (await this.queryAll(endpointName)).map(itemToStatus);
  }

  async listAllStatus(): Promise<RegionStatus[]> {
    return sortStatus((await this.scanStatusItems()).map(itemToStatus));
  }

  /** Every status item except heartbeats (paginated, consistent). */
  private async scanStatusItems(): Promise<StatusItem[]> {
    const out: StatusItem[] = [];
    for await (const items of this.scanPages(this.tables.status, {})) {
      for (const item of items) if (item.endpoint_name !== HEARTBEAT_KEY) out.push(item);
    }
    return out;
  }

  /** Each page of a consistent Scan, following LastEvaluatedKey to the end. */
  private async *scanPages(
    table: string,
    input: Omit<ScanCommandInput, 'TableName' | 'ConsistentRead' | 'ExclusiveStartKey'>,
  ): AsyncGenerator<Record<string, unknown>[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.send('Scan', table, () =>
        this.doc.send(
          new ScanCommand({
            TableName: table,
            ConsistentRead: true,
            ...input,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      yield out.Items ?? [];
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }

  async putHeartbeat(region: string, identity: string, now: Date = this.clock()): Promise<void> {
    const table = this.tables.status;
    await this.send('PutItem', table, () =>
      this.doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            endpoint_name: HEARTBEAT_KEY,
            region,
            last_heartbeat: now.toISOString(),
            monitor_identity: identity,
          },
        }),
      ),
    );
  }

  async listRegions(options: { staleAfterMs?: number; now?: Date } = {}): Promise<RegionHeartbeat[]> {
    const now = (options.now ?? this.clock()).getTime();
    const limit = options.staleAfterMs ?? DEFAULT_HEARTBEAT_STALE_MS;
    return (await this.queryAll(HEARTBEAT_KEY))
      .map((item): RegionHeartbeat => {
        const last = typeof item.last_heartbeat === 'string' ? item.last_heartbeat : '';
        const t = Date.parse(last);
        const withdrawn = typeof item.withdrawn_at === 'string' ? item.withdrawn_at : undefined;
        const allowed = item.allowed_namespaces;
        return {
          region: String(item.region ?? ''),
          lastHeartbeat: last,
          identity: typeof item.monitor_identity === 'string' ? item.monitor_identity : '',
          alive: Number.isFinite(t) && now - t <= limit && withdrawn === undefined,
          ...(Array.isArray(allowed) || allowed instanceof Set
            ? { allowedNamespaces: [...(allowed as Iterable<unknown>)].map(String).sort() }
            : {}),
          ...(typeof item.version === 'string' ? { version: item.version } : {}),
          ...(withdrawn !== undefined ? { withdrawnAt: withdrawn } : {}),
        };
      })
      .sort((a, b) => a.region.localeCompare(b.region));
  }
}

/**
 * DESIGN §4.13: when the image changes and the caller left `region_image_uris` as it was stored,
 * drop the map; otherwise it would keep overriding the new image in every region it names.
 */
export function consistentImages(storedSpec: unknown, next: EndpointSpec): EndpointSpec {
  const old = storedSpec && typeof storedSpec === 'object' ? (storedSpec as Record<string, unknown>) : {};
  if (next.region_image_uris === undefined) return next;
  if (old.image === next.image) return next;
  if (!sameJson(old.region_image_uris, next.region_image_uris)) return next;
  const { region_image_uris: _stale, ...rest } = next;
  return rest as EndpointSpec;
}
