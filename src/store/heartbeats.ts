// Region heartbeats: one item per region in the status table, under the reserved hash key.
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { classified } from './errors.js';
import { queryAll } from './paging.js';
import { HEARTBEAT_KEY } from './status-codec.js';
import type { RegionHeartbeat } from './types.js';

/** Default staleness limit for heartbeats: three missed 60 s beats. */
export const DEFAULT_HEARTBEAT_STALE_MS = 180_000;

export class Heartbeats {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date,
  ) {}

  async put(region: string, identity: string, now: Date = this.clock()): Promise<void> {
    await classified('PutItem', this.table, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
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

  async list(options: { staleAfterMs?: number; now?: Date } = {}): Promise<RegionHeartbeat[]> {
    const now = (options.now ?? this.clock()).getTime();
    const limit = options.staleAfterMs ?? DEFAULT_HEARTBEAT_STALE_MS;
    return (await queryAll(this.doc, this.table, HEARTBEAT_KEY))
      .map((item): RegionHeartbeat => {
        const last = typeof item.last_heartbeat === 'string' ? item.last_heartbeat : '';
        const t = Date.parse(last);
        return {
          region: String(item.region ?? ''),
          lastHeartbeat: last,
          identity: typeof item.monitor_identity === 'string' ? item.monitor_identity : '',
          alive: Number.isFinite(t) && now - t <= limit,
        };
      })
      .sort((a, b) => a.region.localeCompare(b.region));
  }
}
