// Where the monitor's keys come from: the endpoints table's change feed, the periodic resync, and
// the watch caches' events. Each turns what it saw into endpoint names on the work queue.
import type { Logger } from 'pino';
import { delay } from '../async/delay.js';
import type { CacheEvent, KubeCaches, KubeClient } from '../kube/index.js';
import type { MonitorMetrics } from '../observability/index.js';
import {
  changeFeedVersions,
  type DynamoStore,
  type EndpointRecord,
  itemVersion,
  recordFromItem,
  type StoreClients,
} from '../store/index.js';
import { ChangeReader } from './change-reader.js';
import { type DesiredCache, type DesiredEntry, invalidEntry } from './desired-cache.js';
import { imageStandsForRead } from './feed-images.js';
import { FeedTrust, RESCAN_EVERY_RESYNCS } from './feed-trust.js';
import type { WorkQueue } from './queue.js';
import type { QuietPasses } from './quiet-passes.js';
import type { StatusBook } from './status-book.js';
import type { StoreHealth } from './store-health.js';

interface SourceDeps {
  readonly store: DynamoStore;
  readonly storeClients: StoreClients;
  readonly log: Logger;
  readonly metrics: MonitorMetrics;
  readonly desired: DesiredCache;
  readonly caches: KubeCaches;
  readonly statuses: StatusBook;
  readonly storeHealth: StoreHealth;
  readonly endpointsTable: string;
  readonly resyncIntervalMs: number;
  readonly quiet: QuietPasses;
}

/** A read item as the desired cache holds it: its entry (parsed, or invalid) and its version. */
function versioned(
  name: string,
  record: EndpointRecord | undefined,
): { entry: DesiredEntry; version: string } | undefined {
  if (!record) return undefined;
  const entry: DesiredEntry = record.parsed.ok
    ? { kind: 'endpoint', endpoint: record.parsed.value }
    : invalidEntry(name, record.raw, record.parsed.error);
  return { entry, version: itemVersion(record.raw) };
}

/**
 * The caches never log by themselves: a lost watch, a relist after 410 and its retries are what an
 * operator needs to see during an API server outage.
 */
export function logCacheEvent(log: Logger): (e: CacheEvent) => void {
  return (e) => {
    const where = { kind: e.kind, namespace: e.namespace };
    if (e.type === 'error')
      log.warn({ ...where, err: String(e.error), retryInMs: e.retryInMs }, 'watch failed; retrying');
    else if (e.type === 'expired')
      log.info({ ...where, resourceVersion: e.resourceVersion }, 'watch expired; relisting');
    else log.debug({ ...where, count: e.count, resourceVersion: e.resourceVersion }, 'listed');
  };
}

export class EventSources {
  private resyncing = false;
  private lastResyncAt = 0;
  /** Whether the change feed keeps the desired cache current, so a resync need not scan. */
  private readonly trust: FeedTrust;
  /** Callers of `feedPositioned` waiting for the feed's current run to read from every shard. */
  private readonly positionWaiters = new Set<() => void>();

  constructor(private readonly deps: SourceDeps) {
    this.trust = new FeedTrust(RESCAN_EVERY_RESYNCS * deps.resyncIntervalMs);
  }

  /** Watch events and the API server's return, into whichever queue `current` gives (none on a standby). */
  followCluster(client: KubeClient, current: () => WorkQueue | undefined): void {
    // The caches wake their watches when the API server answers again; keys that failed during the
    // outage retry now too, not at the end of their grown backoff.
    client.onReconnect(() => {
      const retried = current()?.retryFailedNow() ?? 0;
      this.deps.log.info({ retried }, 'API server answers again; watches and failed reconciles retry now');
    });
    // A change in the cluster (a pod became ready, an object was edited) goes first: its reconcile
    // is usually a status write only (see WorkQueue).
    this.deps.caches.onChange((name) => current()?.add(name, 'urgent'));
  }

  /**
   * Resolves once the change feed reads from every shard, or after `maxMs` (a store that does not
   * answer must not hold up what waits). A leader's first resync waits for it: a scan that starts
   * before the feed is positioned vouches for nothing (FeedTrust), so the next resync would read
   * the whole table again and requeue every endpoint, quiet or not.
   */
  feedPositioned(maxMs: number, signal: AbortSignal): Promise<void> {
    if (this.trust.isPositioned()) return Promise.resolve();
    return new Promise((resolve) => {
      const abort = new AbortController();
      const done = () => {
        this.positionWaiters.delete(done);
        abort.abort();
        resolve();
      };
      this.positionWaiters.add(done);
      const stop = AbortSignal.any([signal, abort.signal]);
      void delay(maxMs, stop).then(done);
    });
  }

  /** Every endpoint the monitor knows of: in the table, in the cluster, or with a status item. */
  names(): Set<string> {
    const { desired, caches, statuses } = this.deps;
    return new Set([...desired.names(), ...caches.endpoints(), ...statuses.names()]);
  }

  /**
   * Every endpoint we know of is enqueued (changed ones first). Before that, when the change feed
   * cannot vouch for the desired cache (FeedTrust, ADR 0016): one paginated scan of every item's
   * version, and a batch read of the items whose version differs from the desired cache's.
   */
  async resync(queue: WorkQueue): Promise<void> {
    if (this.resyncing) return; // a slow scan is still running; the next tick tries again
    // While the queue still holds work (a large rollout) a resync would mostly re-queue what is
    // already queued, and a scan compete with that work for the table: it waits, at most four periods.
    if (queue.depth > 0 && Date.now() - this.lastResyncAt < 4 * this.deps.resyncIntervalMs) return;
    this.resyncing = true;
    const started = Date.now();
    try {
      const scanned = this.trust.needsScan() ? await this.scan() : undefined;
      this.lastResyncAt = Date.now();
      // A resync that scans is the safety net for the quiet passes too: it queues every endpoint.
      const { queued, quiet } = this.requeueAll(queue, scanned?.changed ?? new Set(), scanned === undefined);
      this.deps.metrics.resyncs.inc({ scan: scanned ? 'yes' : 'no' });
      this.deps.metrics.resyncSkippedQuiet.inc(quiet);
      this.deps.log.debug(
        {
          endpoints: queued,
          quiet,
          scan: scanned !== undefined,
          ...(scanned
            ? {
                read: scanned.read,
                changed: scanned.changed.size,
                pages: scanned.pages,
                ms: Date.now() - started,
              }
            : {}),
        },
        'resync',
      );
    } catch (err) {
      // A failed or partial read deletes nothing: the desired cache keeps its last complete scan.
      // The pass still runs against it, so what failed since (a throttled status write, say) is
      // retried once a period even while the store refuses most scans.
      this.deps.storeHealth.failed(err);
      this.requeueAll(queue, new Set(), true);
    } finally {
      this.resyncing = false;
    }
  }

  /** The table's versions into the desired cache (items that moved read in full): what changed. */
  private async scan(): Promise<{ changed: Set<string>; read: number; pages: number }> {
    const { store, desired, storeHealth } = this.deps;
    const token = desired.beginScan();
    const vouch = this.trust.scanStarting();
    const result = await store.scanEndpointVersions();
    const records = await store.getEndpoints(desired.staleNames(result.versions));
    storeHealth.ok();
    const fetched = new Map([...records].map(([name, rec]) => [name, versioned(name, rec)] as const));
    const changed = new Set(desired.replaceFromVersions(result.versions, fetched, token));
    this.trust.scanned(vouch);
    return { changed, read: records.size, pages: result.pages };
  }

  /**
   * Queues every endpoint we know of: changed ones at high priority, the rest low. With
   * `skipQuiet`, an endpoint whose last pass was quiet and whose inputs are unchanged is left out.
   */
  private requeueAll(
    queue: WorkQueue,
    changed: ReadonlySet<string>,
    skipQuiet: boolean,
  ): { queued: number; quiet: number } {
    let queued = 0;
    let quiet = 0;
    for (const name of this.names()) {
      if (changed.has(name)) queue.add(name, 'high');
      else if (skipQuiet && this.deps.quiet.unchanged(name)) {
        quiet++;
        continue;
      } else queue.add(name, 'low');
      queued++;
    }
    return { queued, quiet };
  }

  /** Follows the change feed until `signal` aborts, restarting it with backoff when it fails. */
  async followChangeFeed(queue: WorkQueue, signal: AbortSignal): Promise<void> {
    const { storeClients, store, log, desired, storeHealth } = this.deps;
    // A bulk change arrives as one batch: read it 100 items a request (one GetItem when alone),
    // enqueueing each chunk as soon as it is read. A chunk that cannot be read is kept and read
    // again (ChangeReader), so a throttled read delays a change instead of losing it until the
    // next full resync.
    // An item as read (or as a recent image shows it) goes into the desired cache; a change queues it.
    const take = (name: string, record: EndpointRecord | undefined) => {
      const read = versioned(name, record);
      if (desired.set(name, read?.entry, read?.version)) queue.add(name, 'high');
    };
    const reader = new ChangeReader({
      read: async (chunk) => {
        const records =
          chunk.length === 1
            ? new Map([[chunk[0]!, await store.getEndpoint(chunk[0]!)]])
            : await store.getEndpoints(chunk);
        storeHealth.ok();
        for (const [name, record] of records) take(name, record);
      },
      onError: (err) => storeHealth.failed(err),
    });
    signal.addEventListener('abort', () => reader.stop(), { once: true });
    const trust = this.trust;
    for (let backoff = 500; !signal.aborted; backoff = Math.min(backoff * 2, 30_000)) {
      // Each start reads from the stream's latest record: what was written before is the next
      // scan's to find. A read the feed reports failed may be late: the next resync scans too.
      const run = trust.feedStarted();
      try {
        for await (const changes of changeFeedVersions({
          dynamodb: storeClients.dynamodb,
          streams: storeClients.streams,
          tableName: this.deps.endpointsTable,
          start: 'LATEST',
          signal,
          onError: (err) => {
            trust.feedTrouble();
            storeHealth.failed(err);
          },
          onPositioned: () => {
            trust.feedPositioned(run);
            for (const wake of [...this.positionWaiters]) wake();
          },
          onRecordAge: (seconds) => this.deps.metrics.streamLag.set(seconds),
        })) {
          backoff = 500;
          // What a resync already read needs no second read (after a bulk create, all of it).
          const unheld = new Set(desired.unheldChanges(changes));
          if (unheld.size === 0) continue;
          // A recent image newer than what the cache holds is the item as a read would find it:
          // taken in the feed's order (after the reads submitted before), the rest is read.
          const toRead: string[] = [];
          await reader.after(() => {
            const now = Date.now();
            for (const change of changes) {
              if (!unheld.has(change.name)) continue;
              if (!change.image || !imageStandsForRead(change, desired.versionOf(change.name), now)) {
                toRead.push(change.name);
                continue;
              }
              take(change.name, recordFromItem(change.image));
            }
          });
          if (toRead.length > 0) await reader.submit(toRead);
        }
      } catch (err) {
        // The restart (feedStarted) is what makes the next resync scan.
        log.warn({ err: String(err) }, 'change feed failed; restarting');
        storeHealth.failed(err);
      }
      await delay(backoff, signal);
    }
  }
}
