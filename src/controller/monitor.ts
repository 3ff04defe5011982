// The regional monitor's lifecycle: start campaigning, lead (load the previous leader's status,
// start the event sources, the heartbeat and the workers), stand down, stop. Only the leader
// reconciles and writes; a standby keeps its caches warm so a takeover starts from synced caches.
import type { Logger } from 'pino';
import { delay } from '../async/delay.js';
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
import { type DynamoStore, type StoreClients, statusFeed } from '../store/index.js';
import type { MonitorConfig } from './config.js';
import { DesiredCache } from './desired-cache.js';
import type { QueueOutcome } from './errors.js';
import { Handler } from './handler.js';
import { OtherRegions } from './other-regions.js';
import { WorkQueue } from './queue.js';
import { passInputs, QuietPasses } from './quiet-passes.js';
import { apiServerProbe, Reachability, storeProbe } from './reachability.js';
import { RenderMemo } from './render-memo.js';
import { RevisionCache } from './revision-cache.js';
import type { RolloutPorts } from './rollout-step.js';
import { EventSources, logCacheEvent } from './sources.js';
import { StatusBook } from './status-book.js';
import { StoreHealth } from './store-health.js';
import { countStoreRequests } from './store-request-metrics.js';
import { runWorker } from './worker.js';

interface MonitorDeps {
  readonly store: DynamoStore;
  readonly storeClients: StoreClients;
  /** The API server connection (`openKubeAccess`). */
  readonly kubeAccess: KubeAccess;
  readonly log: Logger;
  readonly metrics: MonitorMetrics;
  /** The inferctl version, published with the heartbeat. */
  readonly version: string;
}

const WITHDRAW_TIMEOUT_MS = 3_000;
/**
 * How long a new leader's first resync waits for the change feed to be positioned (a DescribeTable,
 * a DescribeStream and an iterator per shard: milliseconds when the store answers).
 */
const FIRST_SCAN_WAITS_FOR_FEED_MS = 5_000;

/** What exists only while this replica leads; `standDown` takes it apart. */
interface Term {
  readonly abort: AbortController;
  readonly queue: WorkQueue;
  readonly timers: NodeJS.Timeout[];
  readonly workers: Promise<void>[];
}

export class Monitor {
  private readonly desired = new DesiredCache();
  private readonly statuses = new StatusBook();
  private readonly caches: KubeCaches;
  private readonly quiet: QuietPasses;
  private readonly elector: LeaderElector;
  private readonly storeHealth: StoreHealth;
  private readonly sources: EventSources;
  private readonly handler: Handler;
  private readonly reachability: Reachability;
  private readonly otherRegions: OtherRegions;
  private readonly rollout: RolloutPorts;
  private term: Term | undefined;
  private stopped = false;
  private once = false;
  /** Set by the first heartbeat written: a clean stop withdraws it. */
  private beating = false;

  constructor(
    private readonly config: MonitorConfig,
    private readonly deps: MonitorDeps,
  ) {
    const client = new KubeClient(deps.kubeAccess);
    client.onRequest = (verb, result) => deps.metrics.kubeRequests.inc({ verb, result });
    countStoreRequests(deps.storeClients, deps.metrics);
    this.storeHealth = new StoreHealth(deps.log);
    this.caches = new Caches(client, {
      namespaces: config.allowedNamespaces,
      pods: true,
      onEvent: logCacheEvent(deps.log),
    });
    this.quiet = new QuietPasses(
      passInputs({ desired: this.desired, statuses: this.statuses, observed: this.caches }),
    );
    this.sources = new EventSources({
      ...deps,
      quiet: this.quiet,
      desired: this.desired,
      caches: this.caches,
      statuses: this.statuses,
      storeHealth: this.storeHealth,
      endpointsTable: config.endpointsTable,
      resyncIntervalMs: config.resyncIntervalMs,
    });
    this.sources.followCluster(client, () => this.term?.queue);
    this.reachability = new Reachability({
      'API server unreachable': apiServerProbe(deps.kubeAccess),
      'store unavailable': storeProbe(deps.storeClients.dynamodb, config.endpointsTable),
    });
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
    let lastFeedWarning = 0;
    this.otherRegions = new OtherRegions({
      region: config.region,
      list: (name) => deps.store.listStatus(name),
      feed: (signal, onPositioned) =>
        statusFeed({
          dynamodb: deps.storeClients.dynamodb,
          streams: deps.storeClients.streams,
          tableName: config.statusTable,
          start: 'LATEST',
          signal,
          onPositioned,
          onError: (err) => {
            // Retried every poll; one line per half minute says it as well (a table without a
            // stream fails the same way each time until `inferctl init` gives it one).
            if (Date.now() - lastFeedWarning < 30_000) return;
            lastFeedWarning = Date.now();
            deps.log.warn({ err: String(err) }, 'status feed failed; retrying');
          },
        }),
      enqueue: (name) => this.term?.queue.add(name, 'high'),
      log: deps.log,
    });
    const { metrics } = deps;
    this.rollout = {
      otherRegions: this.otherRegions,
      revisions: new RevisionCache((name, generation) => deps.store.getRevision(name, generation)),
      started: new Map(),
      waiting: new Set(),
      metrics: {
        halted: () => metrics.rolloutHalts.inc(),
        reverted: () => metrics.rolloutReverts.inc(),
        waitingAtGate: (count) => metrics.rolloutWaiting.set(count),
        gateDelay: (seconds) => metrics.rolloutGateDelay.observe(seconds),
      },
    };
    this.handler = new Handler({
      rollout: this.rollout,
      ...deps,
      config,
      desired: this.desired,
      statuses: this.statuses,
      renderMemo: new RenderMemo(render),
      caches: this.caches,
      executor: new KubeExecutor(client, this.elector.guard),
      events: new EventRecorder(client, config.identity, this.elector.guard),
      storeHealth: this.storeHealth,
      quiet: this.quiet,
    });
  }

  /** Starts the caches and the election; returns at once. */
  start(): void {
    // region and identity are the logger's bindings, on every line already.
    this.deps.log.info({ namespaces: this.config.allowedNamespaces }, 'monitor starting');
    this.caches.start();
    this.elector.start();
  }

  /** Finishes in-flight reconciles (at most `graceMs`), releases the lease, stops the watches. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const inFlight = this.standDown();
    this.otherRegions.stop(); // --once reads the other regions without a term
    const grace = new AbortController();
    await Promise.race([inFlight, delay(graceMs, grace.signal)]);
    grace.abort();
    await this.withdrawHeartbeat();
    await this.elector.stop({ release: true });
    await this.caches.stop();
  }

  /**
   * `--once`: take the lease (waiting at most one lease duration plus a margin), run one full
   * pass over every endpoint on the monitor's own workers, release the lease. Failures are
   * reported, not retried.
   */
  async runOnce(): Promise<{ reconciled: number; failed: string[] }> {
    this.once = true;
    this.handler.holdNoStatus();
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
      await delay(100);
    }
    try {
      const { store } = this.deps;
      this.statuses.replaceAll(await store.loadStatusOf(this.config.region));
      await this.caches.synced();
      this.desired.replaceFromScan(await store.listEndpoints());
      const queue = new WorkQueue();
      const names = this.sources.names();
      for (const name of names) queue.add(name);
      const failed: string[] = [];
      await Promise.all(
        this.workers(
          queue,
          async (name) => {
            const outcome = await this.handler.handle(queue, name);
            if (outcome.kind === 'retry' || outcome.kind === 'drop') failed.push(name);
            return { kind: 'forget' };
          },
          { drain: true },
        ),
      );
      return { reconciled: names.size, failed: failed.sort() };
    } finally {
      await this.stop();
    }
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /**
   * For /readyz: caches synced, the API server and the store reachable now (see Reachability for
   * how soon an outage shows), the leader's own store requests succeeding, and not stopping.
   */
  async readiness(): Promise<{ ok: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    if (!this.caches.hasSynced) reasons.push('watch caches not synced');
    const unreachable = await this.reachability.check();
    reasons.push(...unreachable);
    const storeTrouble = this.storeHealth.trouble;
    if (this.elector.isLeader() && storeTrouble !== undefined && unreachable.length === 0)
      reasons.push(`store unavailable: ${storeTrouble}`);
    if (this.stopped) reasons.push('stopping');
    return { ok: reasons.length === 0, reasons };
  }

  private workers(
    queue: WorkQueue,
    reconcile: (name: string) => Promise<QueueOutcome>,
    options: { drain?: boolean } = {},
  ): Promise<void>[] {
    return Array.from({ length: this.config.concurrency }, () => runWorker(queue, reconcile, options));
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
    const term: Term = { abort, queue, timers: [], workers: [] };
    this.term = term;
    metrics.leader.set(1);
    log.info('started leading');

    // The previous leader's status items are our starting point (watchdog clocks included), and
    // the baseline our put-if-changed writes compare against: another replica may have written.
    store.invalidateStatusCache();
    this.quiet.clear();
    for (let backoff = 500; !abort.signal.aborted; backoff = Math.min(backoff * 2, 30_000)) {
      try {
        this.statuses.replaceAll(await store.loadStatusOf(this.config.region));
        this.storeHealth.ok();
        break;
      } catch (err) {
        this.storeHealth.failed(err);
        await delay(backoff, abort.signal);
      }
    }
    await this.caches.synced();
    if (abort.signal.aborted) return;

    void this.sources.followChangeFeed(queue, abort.signal);
    await this.sources.feedPositioned(FIRST_SCAN_WAITS_FOR_FEED_MS, abort.signal);
    if (abort.signal.aborted) return;
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
    term.workers.push(...this.workers(queue, (name) => this.handler.handle(queue, name)));
  }

  /**
   * A full resync, then the other regions' views are kept only for endpoints that still have a
   * rollout policy; with none left anywhere, the status feed stops.
   */
  private async resync(queue: WorkQueue): Promise<void> {
    await this.sources.resync(queue);
    const keep = (name: string) => this.desired.hasRolloutPolicy(name);
    this.otherRegions.retain(keep, this.desired.anyRolloutPolicy);
    for (const name of this.rollout.started.keys()) if (!keep(name)) this.rollout.started.delete(name);
    for (const name of this.rollout.waiting) if (!keep(name)) this.rollout.waiting.delete(name);
    this.deps.metrics.rolloutWaiting.set(this.rollout.waiting.size);
  }

  /** Stops taking work; resolves when the in-flight reconciles have finished. */
  private standDown(): Promise<void> {
    const term = this.term;
    if (!term) return Promise.resolve();
    this.term = undefined;
    term.abort.abort();
    for (const t of term.timers) clearInterval(t);
    term.queue.shutdown();
    this.otherRegions.stop();
    this.rollout.waiting.clear();
    this.deps.metrics.rolloutWaiting.set(0);
    this.deps.metrics.leader.set(0);
    this.deps.log.warn('stopped leading: no further writes from this replica');
    return Promise.all(term.workers).then(() => {});
  }

  private async heartbeat(): Promise<void> {
    const { store, version } = this.deps;
    try {
      await store.putHeartbeat(this.config.region, this.config.identity, undefined, {
        allowedNamespaces: this.config.allowedNamespaces,
        version,
      });
      this.beating = true;
      this.storeHealth.ok();
    } catch (err) {
      this.storeHealth.failed(err);
    }
  }

  /**
   * A stopped monitor's heartbeat would read as alive for up to the staleness limit, and `deploy`
   * would target its region meanwhile. Bounded: a store that does not answer does not hold up
   * the exit (the heartbeat then goes stale as it would after a crash).
   */
  private async withdrawHeartbeat(): Promise<void> {
    if (!this.beating) return;
    const { store, log } = this.deps;
    const timeout = new AbortController();
    const withdrawn = store.withdrawHeartbeat(this.config.region, this.config.identity).then(
      (done) => log.info({ withdrawn: done }, done ? 'heartbeat withdrawn' : 'heartbeat already taken over'),
      (err: unknown) => log.warn({ err: String(err) }, 'could not withdraw the heartbeat'),
    );
    await Promise.race([withdrawn, delay(WITHDRAW_TIMEOUT_MS, timeout.signal)]);
    timeout.abort();
  }

  private publishStateGauge(): void {
    this.deps.metrics.endpointsByPhase.reset();
    for (const [state, count] of this.statuses.countByState())
      this.deps.metrics.endpointsByPhase.set({ state }, count);
  }
}
