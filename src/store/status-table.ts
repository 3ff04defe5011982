// The status table's per-endpoint items: put-if-changed writes against a cache of what this
// process last saw of each item, so an unchanged status costs no request at all.

import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { compareText, type RegionStatus } from '../model/index.js';
import {
  ConflictError,
  classified,
  classifyError,
  isConditionalCheckFailed,
  isUnappliedWrite,
  StoreError,
} from './errors.js';
import { queryAll, scanPages } from './paging.js';
import {
  HEARTBEAT_KEY,
  itemToStatus,
  type StatusItem,
  statusContentKey,
  statusToItem,
} from './status-codec.js';
import type { PutStatusResult } from './types.js';

function sortStatus(list: RegionStatus[]): RegionStatus[] {
  return list.sort((a, b) =>
    a.endpointName === b.endpointName
      ? compareText(a.region, b.region)
      : compareText(a.endpointName, b.endpointName),
  );
}

const cacheKey = (endpointName: string, region: string) => `${endpointName}\u0000${region}`;

export class StatusTable {
  /** Last known content of each status item this process wrote or read: key → content + last_sync. */
  private readonly cache = new Map<string, { content: string; lastSync: string } | null>();
  /**
   * Set by `loadStatusOf`: the cache holds every status item of that region as of a complete scan,
   * so a key it lacks has no item and the first write needs no GetItem (a thousand new endpoints
   * cost a thousand conditional puts, not a thousand reads as well).
   */
  private cacheCompleteFor: string | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    /** A monitor's own region: status writes for any other region are refused. */
    private readonly ownRegion: string | undefined,
  ) {}

  async putIfChanged(status: RegionStatus): Promise<PutStatusResult> {
    if (this.ownRegion !== undefined && status.region !== this.ownRegion) {
      throw new StoreError(
        `a monitor in ${this.ownRegion} may not write the status of ${status.endpointName} in ${status.region}`,
      );
    }
    if (status.endpointName === HEARTBEAT_KEY)
      throw new StoreError(`"${HEARTBEAT_KEY}" is reserved for heartbeats`);
    const table = this.table;
    const key = cacheKey(status.endpointName, status.region);
    const item = statusToItem(status);
    const content = statusContentKey(item);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.cache.has(key) && attempt === 0 && this.cacheCompleteFor === status.region) {
        this.cache.set(key, null);
      }
      if (!this.cache.has(key)) {
        const out = await classified('GetItem', table, () =>
          this.doc.send(
            new GetCommand({
              TableName: table,
              Key: { endpoint_name: status.endpointName, region: status.region },
              ConsistentRead: true,
            }),
          ),
        );
        this.cache.set(
          key,
          out.Item
            ? { content: statusContentKey(out.Item), lastSync: String(out.Item.last_sync ?? '') }
            : null,
        );
      }
      const known = this.cache.get(key) ?? null;
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
        this.cache.set(key, { content, lastSync: status.lastSync });
        return { written: true };
      } catch (err) {
        // What we knew of the item still holds after a refused write (throttled, say); forgetting
        // it would make every retry a read and a write, both of which a throttled table may refuse.
        if (!isUnappliedWrite(err)) this.cache.delete(key);
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
  invalidate(): void {
    this.cache.clear();
    this.cacheCompleteFor = undefined;
  }

  /**
   * One complete scan of the status table: returns `region`'s items and makes them the status
   * cache (everything else forgotten), so the next writes compare against them without a read.
   * Call it when (re)gaining leadership.
   */
  async loadStatusOf(region: string): Promise<RegionStatus[]> {
    this.invalidate();
    const items = (await this.scanItems()).filter((i) => i.region === region);
    for (const item of items) {
      this.cache.set(cacheKey(String(item.endpoint_name), region), {
        content: statusContentKey(item),
        lastSync: String(item.last_sync ?? ''),
      });
    }
    this.cacheCompleteFor = region;
    return sortStatus(items.map(itemToStatus));
  }

  async delete(endpointName: string, region: string): Promise<void> {
    await classified('DeleteItem', this.table, () =>
      this.doc.send(
        new DeleteCommand({ TableName: this.table, Key: { endpoint_name: endpointName, region } }),
      ),
    );
    this.cache.delete(cacheKey(endpointName, region));
  }

  async list(endpointName: string): Promise<RegionStatus[]> {
    return (await queryAll(this.doc, this.table, endpointName)).map(itemToStatus);
  }

  async listAll(): Promise<RegionStatus[]> {
    return sortStatus((await this.scanItems()).map(itemToStatus));
  }

  /** Every status item except heartbeats (paginated, consistent). */
  private async scanItems(): Promise<StatusItem[]> {
    const out: StatusItem[] = [];
    for await (const items of scanPages(this.doc, this.table, {})) {
      for (const item of items) if (item.endpoint_name !== HEARTBEAT_KEY) out.push(item);
    }
    return out;
  }
}
