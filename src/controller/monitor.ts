// The regional monitor: joins the desired state (table + change feed), the observed state (watch
// caches), the work queue and the lease. Only the leader reconciles and writes; a standby keeps
// its caches warm so a takeover starts from synced caches.

import type { InitializeMiddleware } from '@smithy/types';
import type { Logger } from 'pino';
import {
  KubeCaches as Caches,
  EventRecorder,
  type KubeAccess,
  type KubeCaches,
  KubeClient,
  KubeExecutor,
  LeaderElector,
} from '../kube/index.js';
import type { MonitorMetrics } from '../observability/index.js';
import { render } from '../render/index.js';
import {
  changeFeedVersions,
  type DynamoStore,
  type EndpointRecord,
  itemVersion,
  type StoreClients,
  StoreUnavailableError,
} from '../store/index.js';
import { ChangeReader } from './change-reader.js';
import type { MonitorConfig } from './config.js';
import { DesiredCache, type DesiredEntry, invalidEntry } from './desired-cache.js';
import { type QueueOutcome, toQueueResult } from './errors.js';
import { WorkQueue } from './queue.js';
import { type ReconcileDeps, reconcileEndpoint } from './reconcile-endpoint.js';
import { RenderMemo } from './render-memo.js';
import { StatusBook } from './status-book.js';
import { runWorker } from './worker.js';

export interface MonitorDeps {
  readonly store: DynamoStore;
  readonly storeClients: StoreClients;
  /** The API server connection (`openKubeAccess`). */
  readonly kubeAccess: KubeAccess;
  readonly log: Logger;
  readonly metrics: MonitorMetrics;
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

/** Counts every DynamoDB and Streams request by operation and result, at the SDK's edge. */
function countStoreRequests(clients: StoreClients, metrics: MonitorMetrics): void {
  const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
    const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
    try {
      const out = await next(args);
      metrics.storeRequests.inc({ operation, result: 'ok' });
      return out;
    } catch (err) {
      metrics.storeRequests.inc({ operation, result: err instanceof Error ? err.name : 'error' });
      throw err;
    }
  };
  const options = { step: 'initialize', name: 'inferctlRequestMetrics' } as const;
  clients.dynamodb.middlewareStack.add(middleware as never, options);
  clients.streams.middlewareStack.add(middleware as never, options);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export class Monitor {
  private readonly desired = new DesiredCache();
  private readonly statuses = new StatusBook();
  private readonly renderMemo = new RenderMemo(render);
  private readonly caches: KubeCaches;
  private readonly elector: LeaderElector;
  private readonly executor: KubeExecutor;
  private readonly events: EventRecorder;
  private term:
    | { abort: AbortController; queue: WorkQueue; timers: NodeJS.Timeout[]; workers: Promise<void>[] }
    | undefined;
  private storeHealthy = false;
  private storeProblem = 'store not contacted yet';
  private stopped = false;
  private once = false;
  private resyncing = false;
  private lastScanAt = 0;
  private sequence = 0;

  constructor(
    private readonly config: MonitorConfig,
    private readonly deps: MonitorDeps,
  ) {
    const client = new KubeClient(deps.kubeAccess);
    client.onRequest = (verb, result) => deps.metrics.kubeRequests.inc({ verb, result });
    countStoreRequests(deps.storeClients, deps.metrics);
    this.caches = new Caches(client, {
      namespaces: config.allowedNamespaces,
      // The caches never log by themselves: a lost watch, a relist after 410 and its retries are
      // what an operator needs to see during an API server outage.
      onEvent: (e) => {
        const where = { kind: e.kind, namespace: e.namespace };
        if (e.type === 'error')
          deps.log.warn({ ...where, err: String(e.error), retryInMs: e.retryInMs }, 'watch failed; retrying');
        else if (e.type === 'expired')
          deps.log.info({ ...where, resourceVersion: e.resourceVersion }, 'watch expired; relisting');
        else deps.log.debug({ ...where, count: e.count, resourceVersion: e.resourceVersion }, 'listed');
      },
    });
    // The caches wake their watches when the API server answers again; keys that failed during the
    // outage retry now too, not at the end of their grown backoff.
    client.onReconnect(() => {
      const retried = this.term?.queue.retryFailedNow() ?? 0;
      deps.log.info({ retried }, 'API server answers again; watches and failed reconciles retry now');
    });
    // A change in the cluster (a pod became ready, an object was edited) goes first: its reconcile
    // is usually a status write only (see WorkQueue).
    this.caches.onChange((name) => this.term?.queue.add(name, 'urgent'));
    this.elector = new LeaderElector({
      client,
      namespace: config.leaseNamespace,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      onStartedLeading: () => void this.lead().catch((err) => deps.log.error({ err }, 'leading failed')),
      onStoppedLeading: () => this.standDown(),
      onNewLeader: (identity) => deps.log.info({ leader: identity }, 'leader observed'),
      onError: (err) => deps.log.warn({ err: String(err) }, 'leader election attempt failed'),
    });
    this.executor = new KubeExecutor(client, this.elector.guard);
    this.events = new EventRecorder(client, config.identity, this.elector.guard);
  }

  /** Starts the caches and the election; returns at once. */
  start(): void {
    this.deps.log.info(
      {
        region: this.config.region,
        namespaces: this.config.allowedNamespaces,
        identity: this.config.identity,
      },
      'monitor starting',
    );
    this.caches.start();
    this.elector.start();
  }

  /** Finishes in-flight reconciles (at most `graceMs`), releases the lease, stops the watches. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const inFlight = this.standDown();
    await Promise.race([inFlight, sleep(graceMs)]);
    await this.elector.stop({ release: true });
    await this.caches.stop();
  }

  /**
   * `--once`: take the lease (waiting at most one lease duration plus a margin), run one full
   * pass over every endpoint, release the lease. Failures are reported, not retried.
   */
  async runOnce(): Promise<{ reconciled: number; failed: string[] }> {
    this.once = true;
    this.caches.start();
    this.elector.start();
    const deadline = Date.now() + this.config.leaseDurationMs + 5_000;
    while (!this.elector.isLeader()) {
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `--once: another monitor holds the lease (${this.elector.leader() ?? 'unknown'}); not running a pass`,
        );
      }
      await sleep(100);
    }
    try {
      const { store } = this.deps;
      this.statuses.replaceAll(await store.loadStatusOf(this.config.region));
      await this.caches.synced();
      const queue = new WorkQueue();
      this.desired.replaceFromScan(await store.listEndpoints());
      const names = new Set([...this.desired.names(), ...this.caches.endpoints(), ...this.statuses.names()]);
      for (const name of names) queue.add(name);
      const failed: string[] = [];
      const deps = this.reconcileDeps();
      const workers = Array.from({ length: this.config.concurrency }, async () => {
        for (let name = queue.tryGet(); name !== undefined; name = queue.tryGet()) {
          const outcome = await this.reconcileOne(queue, deps, name);
          queue.done(name);
          if (outcome.kind === 'retry' || outcome.kind === 'drop') failed.push(name);
        }
      });
      await Promise.all(workers);
      return { reconciled: names.size, failed: failed.sort() };
    } finally {
      await this.stop();
    }
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** For /readyz: caches synced, store reachable, and campaigning (leader or standby). */
  readiness(): { ok: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.caches.hasSynced) reasons.push('watch caches not synced');
    if (this.elector.isLeader() && !this.storeHealthy)
      reasons.push(`store unavailable: ${this.storeProblem}`);
    if (this.stopped) reasons.push('stopping');
    return { ok: reasons.length === 0, reasons };
  }

  private async lead(): Promise<void> {
    if (this.stopped || this.once) return;
    const { log, metrics, store } = this.deps;
    const abort = new AbortController();
    const queue = new WorkQueue(undefined, {
      depth: (d) => metrics.queueDepth.set(d),
      added: () => metrics.queueAdds.inc(),
      latency: (s) => metrics.queueLatency.observe(s),
      retry: () => metrics.queueRetries.inc(),
    });
    const term = { abort, queue, timers: [] as NodeJS.Timeout[], workers: [] as Promise<void>[] };
    this.term = term;
    metrics.leader.set(1);
    log.info({ identity: this.config.identity }, 'started leading');

    // The previous leader's status items are our starting point (watchdog clocks included), and
    // the baseline our put-if-changed writes compare against: another replica may have written.
    store.invalidateStatusCache();
    for (let delay = 500; !abort.signal.aborted; delay = Math.min(delay * 2, 30_000)) {
      try {
        this.statuses.replaceAll(await store.loadStatusOf(this.config.region));
        this.markStore(true);
        break;
      } catch (err) {
        this.markStore(false, err);
        await sleep(delay, abort.signal);
      }
    }
    await this.caches.synced();
    if (abort.signal.aborted) return;

    void this.followChangeFeed(queue, abort.signal);
    await this.resync(queue);
    // A SIGTERM or a lost lease during the awaits above already ran standDown: starting timers or
    // workers now would leak them past it (their intervals kept a stopped process alive).
    if (abort.signal.aborted) return;
    // The period starts at a random point of the first one, so monitors started together (a
    // rollout, or the benchmark's three regions sharing one local server) do not scan in step.
    const period = this.config.resyncIntervalMs;
    term.timers.push(
      setTimeout(
        () => {
          if (this.term !== term) return;
          void this.resync(queue);
          term.timers.push(setInterval(() => void this.resync(queue), period));
        },
        period * (0.5 + Math.random() * 0.5),
      ),
    );
    await this.heartbeat();
    if (abort.signal.aborted) return;
    term.timers.push(setInterval(() => void this.heartbeat(), this.config.heartbeatIntervalMs));
    term.timers.push(setInterval(() => this.publishStateGauge(), 5_000));
    for (let i = 0; i < this.config.concurrency; i++) term.workers.push(this.worker(queue));
  }

  /** Stops taking work; resolves when the in-flight reconciles have finished. */
  private standDown(): Promise<void> {
    const term = this.term;
    if (!term) return Promise.resolve();
    this.term = undefined;
    term.abort.abort();
    for (const t of term.timers) clearInterval(t);
    term.queue.shutdown();
    this.deps.metrics.leader.set(0);
    this.deps.log.warn(
      { identity: this.config.identity },
      'stopped leading: no further writes from this replica',
    );
    return Promise.all(term.workers).then(() => {});
  }

  private markStore(ok: boolean, err?: unknown): void {
    this.storeHealthy = ok;
    if (!ok) {
      this.storeProblem = err instanceof Error ? err.message : String(err);
      this.deps.log.warn({ err: this.storeProblem }, 'store unavailable');
    }
  }

  /**
   * One paginated scan of every item's version, a batch read of the items whose version differs
   * from the desired cache's, then every endpoint we know of is enqueued (changed ones first).
   */
  async resync(queue: WorkQueue): Promise<void> {
    if (this.resyncing) return; // a slow scan is still running; the next tick tries again
    // While the queue still holds work (a large rollout) a scan would mostly re-queue what is
    // already queued, and compete with that work for the table: it waits, at most four periods.
    if (queue.depth > 0 && Date.now() - this.lastScanAt < 4 * this.config.resyncIntervalMs) return;
    this.resyncing = true;
    const started = Date.now();
    try {
      const token = this.desired.beginScan();
      const { store } = this.deps;
      const result = await store.scanEndpointVersions();
      const records = await store.getEndpoints(this.desired.staleNames(result.versions));
      this.markStore(true);
      const fetched = new Map([...records].map(([name, rec]) => [name, versioned(name, rec)] as const));
      const changed = new Set(this.desired.replaceFromVersions(result.versions, fetched, token));
      this.lastScanAt = Date.now();
      const count = this.requeueAll(queue, changed);
      this.deps.log.debug(
        {
          endpoints: count,
          read: records.size,
          changed: changed.size,
          pages: result.pages,
          ms: Date.now() - started,
        },
        'resync',
      );
    } catch (err) {
      // A failed or partial read deletes nothing: the desired cache keeps its last complete scan.
      // The pass still runs against it, so what failed since (a throttled status write, say) is
      // retried once a period even while the store refuses most scans.
      this.markStore(false, err);
      this.requeueAll(queue, new Set());
    } finally {
      this.resyncing = false;
    }
  }

  /** Queues every endpoint we know of: changed ones at high priority, the rest low. */
  private requeueAll(queue: WorkQueue, changed: ReadonlySet<string>): number {
    const names = new Set([...this.desired.names(), ...this.caches.endpoints(), ...this.statuses.names()]);
    for (const name of names) queue.add(name, changed.has(name) ? 'high' : 'low');
    return names.size;
  }

  private async followChangeFeed(queue: WorkQueue, signal: AbortSignal): Promise<void> {
    const { storeClients, store, log } = this.deps;
    // A bulk change arrives as one batch: read it 100 items a request (one GetItem when alone),
    // enqueueing each chunk as soon as it is read. A chunk that cannot be read is kept and read
    // again (ChangeReader), so a throttled read delays a change instead of losing it until the
    // next full resync.
    const reader = new ChangeReader({
      read: async (chunk) => {
        const records =
          chunk.length === 1
            ? new Map([[chunk[0]!, await store.getEndpoint(chunk[0]!)]])
            : await store.getEndpoints(chunk);
        this.markStore(true);
        for (const [name, record] of records) {
          const read = versioned(name, record);
          if (this.desired.set(name, read?.entry, read?.version)) queue.add(name, 'high');
        }
      },
      onError: (err) => this.markStore(false, err),
    });
    signal.addEventListener('abort', () => reader.stop(), { once: true });
    for (let delay = 500; !signal.aborted; delay = Math.min(delay * 2, 30_000)) {
      try {
        for await (const changes of changeFeedVersions({
          dynamodb: storeClients.dynamodb,
          streams: storeClients.streams,
          tableName: this.config.endpointsTable,
          start: 'LATEST',
          signal,
          onError: (err) => this.markStore(false, err),
          onRecordAge: (seconds) => this.deps.metrics.streamLag.set(seconds),
        })) {
          delay = 500;
          // What a resync already read needs no second read (after a bulk create, all of it).
          const unheld = this.desired.unheldChanges(changes);
          if (unheld.length > 0) await reader.submit(unheld);
        }
      } catch (err) {
        log.warn({ err: String(err) }, 'change feed failed; restarting');
        this.markStore(false, err);
      }
      await sleep(delay, signal);
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.deps.store.putHeartbeat(this.config.region, this.config.identity);
      this.markStore(true);
    } catch (err) {
      this.markStore(false, err);
    }
  }

  private publishStateGauge(): void {
    this.deps.metrics.endpointsByPhase.reset();
    for (const [state, count] of this.statuses.countByState())
      this.deps.metrics.endpointsByPhase.set({ state }, count);
  }

  private reconcileDeps(): ReconcileDeps {
    const { log, metrics, store } = this.deps;
    return {
      region: this.config.region,
      allowedNamespaces: new Set(this.config.allowedNamespaces),
      unhealthyThresholdMs: this.config.unhealthyThresholdMs,
      ...(this.config.modelSyncImage ? { modelSyncImage: this.config.modelSyncImage } : {}),
      desired: this.desired,
      renderMemo: this.renderMemo,
      observed: this.caches,
      executor: this.executor,
      store,
      statuses: this.statuses,
      now: () => new Date(),
      log,
      onAction: (action, outcome) =>
        metrics.actions.inc({ kind: action.ref.kind, verb: action.verb, outcome }),
      onStatusWritten: () => metrics.statusWrites.inc(),
      recordEvent: (event) => this.events.emit(event),
    };
  }

  private worker(queue: WorkQueue): Promise<void> {
    const deps = this.reconcileDeps();
    return runWorker(queue, (name) => this.reconcileOne(queue, deps, name));
  }

  /** One reconcile of one key: logs, metrics, and what the queue should do next. */
  private async reconcileOne(queue: WorkQueue, deps: ReconcileDeps, name: string): Promise<QueueOutcome> {
    const { log, metrics } = this.deps;
    const reconcileId = `${this.config.identity}-${Date.now().toString(36)}-${(this.sequence++).toString(36)}`;
    const child = log.child({ endpoint: name, reconcileId });
    const end = metrics.reconcileDuration.startTimer();
    metrics.activeWorkers.inc();
    let outcome: QueueOutcome;
    try {
      const result = await reconcileEndpoint({ ...deps, log: child }, name);
      this.markStore(true);
      outcome = toQueueResult(result);
    } catch (err) {
      outcome = toQueueResult(undefined, err);
      const reason = err instanceof Error ? ((err as { reason?: string }).reason ?? err.name) : 'Unknown';
      metrics.reconcileErrors.inc({ reason });
      if (err instanceof StoreUnavailableError) this.markStore(false, err);
      child.warn(
        { err: err instanceof Error ? err.message : String(err), reason, retries: queue.retries(name) },
        'reconcile failed',
      );
    } finally {
      metrics.activeWorkers.dec();
      end();
    }
    const result = { forget: 'success', requeueAfter: 'requeue', retry: 'error', drop: 'terminal' } as const;
    metrics.reconcileTotal.inc({ result: result[outcome.kind] });
    return outcome;
  }
}
