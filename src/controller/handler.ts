// The monitor's handler: one reconcile of one key, with its logs and metrics, mapped to what the
// work queue does next.
import type { Logger } from 'pino';
import type { EventRecorder, KubeCaches, KubeExecutor } from '../kube/index.js';
import type { MonitorMetrics } from '../observability/index.js';
import { type DynamoStore, StoreUnavailableError } from '../store/index.js';
import type { MonitorConfig } from './config.js';
import type { DesiredCache } from './desired-cache.js';
import { type QueueOutcome, toQueueResult } from './errors.js';
import { ApplyExpectations } from './expectations.js';
import type { WorkQueue } from './queue.js';
import type { QuietPasses } from './quiet-passes.js';
import { type ReconcileDeps, reconcileEndpoint } from './reconcile-endpoint.js';
import type { RenderMemo } from './render-memo.js';
import type { RolloutPorts } from './rollout-step.js';
import type { StatusBook } from './status-book.js';
import type { StoreHealth } from './store-health.js';

interface HandlerDeps {
  readonly config: MonitorConfig;
  readonly store: DynamoStore;
  readonly log: Logger;
  readonly metrics: MonitorMetrics;
  readonly desired: DesiredCache;
  readonly statuses: StatusBook;
  readonly renderMemo: RenderMemo;
  readonly caches: KubeCaches;
  readonly executor: KubeExecutor;
  readonly events: EventRecorder;
  readonly storeHealth: StoreHealth;
  readonly rollout: RolloutPorts;
  readonly quiet: QuietPasses;
}

const RESULT_LABEL = {
  forget: 'success',
  requeueAfter: 'requeue',
  retry: 'error',
  drop: 'terminal',
} as const;

export class Handler {
  private reconcileDeps: ReconcileDeps;
  private readonly expectations = new ApplyExpectations();
  private sequence = 0;

  /** `--once` ends after one pass: a status held back for later would never be written. */
  holdNoStatus(): void {
    this.reconcileDeps = { ...this.reconcileDeps, statusHoldMs: 0 };
  }

  constructor(private readonly deps: HandlerDeps) {
    const { config, log, metrics, store } = deps;
    this.reconcileDeps = {
      region: config.region,
      allowedNamespaces: new Set(config.allowedNamespaces),
      unhealthyThresholdMs: config.unhealthyThresholdMs,
      statusHoldMs: config.statusHoldMs,
      ...(config.modelSyncImage ? { modelSyncImage: config.modelSyncImage } : {}),
      desired: deps.desired,
      renderMemo: deps.renderMemo,
      observed: deps.caches,
      expectations: this.expectations,
      executor: deps.executor,
      store,
      statuses: deps.statuses,
      now: () => new Date(),
      log,
      onAction: (action, outcome) =>
        metrics.actions.inc({ kind: action.ref.kind, verb: action.verb, outcome }),
      onStatusWritten: () => metrics.statusWrites.inc(),
      recordEvent: (event) => deps.events.emit(event),
      rollout: deps.rollout,
    };
  }

  /** One reconcile of one key: logs, metrics, and what the queue should do next. Never throws. */
  async handle(queue: WorkQueue, name: string): Promise<QueueOutcome> {
    const { log, metrics, storeHealth } = this.deps;
    const reconcileId = `${this.deps.config.identity}-${Date.now().toString(36)}-${(this.sequence++).toString(36)}`;
    const child = log.child({ endpoint: name, reconcileId });
    const end = metrics.reconcileDuration.startTimer();
    metrics.activeWorkers.inc();
    let outcome: QueueOutcome;
    try {
      const result = await reconcileEndpoint({ ...this.reconcileDeps, log: child }, name);
      storeHealth.ok();
      // An own apply still on its way to the watch will change what the next pass reads.
      if (result.quiet && !this.expectations.pending(name)) this.deps.quiet.record(name);
      else this.deps.quiet.forget(name);
      outcome = toQueueResult(result);
    } catch (err) {
      this.deps.quiet.forget(name);
      outcome = toQueueResult(undefined, err);
      const reason = err instanceof Error ? ((err as { reason?: string }).reason ?? err.name) : 'Unknown';
      metrics.reconcileErrors.inc({ reason });
      if (err instanceof StoreUnavailableError) storeHealth.failed(err);
      child.warn(
        { err: err instanceof Error ? err.message : String(err), reason, retries: queue.retries(name) },
        'reconcile failed',
      );
    } finally {
      metrics.activeWorkers.dec();
      end();
    }
    metrics.reconcileTotal.inc({ result: RESULT_LABEL[outcome.kind] });
    return outcome;
  }
}
