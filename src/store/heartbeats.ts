// Region heartbeats: one item per region in the status table, under the reserved hash key. A
// region that ever sent one stays listed (the CLI's list of known regions); a monitor that stops
// cleanly marks its heartbeat withdrawn instead of deleting it.

import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { compareText } from '../model/index.js';
import { classified, classifyError, isConditionalCheckFailed } from './errors.js';
import { queryAll } from './paging.js';
import { HEARTBEAT_KEY } from './status-codec.js';
import type { HeartbeatDetails, RegionHeartbeat } from './types.js';

/** Default staleness limit for heartbeats: three missed 60 s beats. */
export const DEFAULT_HEARTBEAT_STALE_MS = 180_000;

/** A list, or a string set (other writers may store the namespaces as one), sorted. */
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) || v instanceof Set ? [...(v as Iterable<unknown>)].map(String).sort() : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class Heartbeats {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date,
  ) {}

  /** Replaces the region's item, so a withdrawal by an earlier monitor is cleared. */
  async put(
    region: string,
    identity: string,
    now: Date = this.clock(),
    details: HeartbeatDetails = {},
  ): Promise<void> {
    await classified('PutItem', this.table, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            endpoint_name: HEARTBEAT_KEY,
            region,
            last_heartbeat: now.toISOString(),
            monitor_identity: identity,
            ...(details.allowedNamespaces ? { allowed_namespaces: [...details.allowedNamespaces] } : {}),
            ...(details.version ? { version: details.version } : {}),
          },
        }),
      ),
    );
  }

  /**
   * Marks the region's heartbeat withdrawn, only while it is still `identity`'s: a successor that
   * already beats for the region keeps its heartbeat. Returns whether it was withdrawn.
   */
  async withdraw(region: string, identity: string, now: Date = this.clock()): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { endpoint_name: HEARTBEAT_KEY, region },
          UpdateExpression: 'SET withdrawn_at = :now',
          ConditionExpression: 'monitor_identity = :me',
          ExpressionAttributeValues: { ':now': now.toISOString(), ':me': identity },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw classifyError(err, 'UpdateItem', this.table);
    }
  }

  async list(options: { staleAfterMs?: number; now?: Date } = {}): Promise<RegionHeartbeat[]> {
    const now = (options.now ?? this.clock()).getTime();
    const limit = options.staleAfterMs ?? DEFAULT_HEARTBEAT_STALE_MS;
    return (await queryAll(this.doc, this.table, HEARTBEAT_KEY))
      .map((item): RegionHeartbeat => {
        const last = typeof item.last_heartbeat === 'string' ? item.last_heartbeat : '';
        const t = Date.parse(last);
        const allowedNamespaces = strings(item.allowed_namespaces);
        const version = str(item.version);
        const withdrawnAt = str(item.withdrawn_at);
        return {
          region: String(item.region ?? ''),
          lastHeartbeat: last,
          identity: typeof item.monitor_identity === 'string' ? item.monitor_identity : '',
          alive: Number.isFinite(t) && now - t <= limit && withdrawnAt === undefined,
          ...(allowedNamespaces ? { allowedNamespaces } : {}),
          ...(version ? { version } : {}),
          ...(withdrawnAt ? { withdrawnAt } : {}),
        };
      })
      .sort((a, b) => compareText(a.region, b.region));
  }
}
