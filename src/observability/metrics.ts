import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The monitor's Prometheus metrics. Families follow controller-runtime's names where they mean the
 * same thing (reconcile totals, work queue depth and latency), prefixed `inferctl_`.
 */
export class MonitorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'inferctl_reconcile_total',
    help: 'Reconciles by result (success, requeue, error, terminal).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'inferctl_reconcile_errors_total',
    help: 'Reconcile errors by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'inferctl_reconcile_duration_seconds',
    help: 'Time spent in one reconcile of one endpoint.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: 'inferctl_workqueue_active_workers',
    help: 'Workers currently running a reconcile.',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'inferctl_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: 'inferctl_workqueue_adds_total',
    help: 'Keys added to the work queue.',
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'inferctl_workqueue_retries_total',
    help: 'Rate-limited re-adds after errors.',
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: 'inferctl_workqueue_queue_duration_seconds',
    help: 'Time a key waited in the queue before a worker took it.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly actions = new Counter({
    name: 'inferctl_actions_total',
    help: 'Kubernetes actions executed, by kind, verb and outcome.',
    labelNames: ['kind', 'verb', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly endpointsByPhase = new Gauge({
    name: 'inferctl_endpoints',
    help: 'Endpoints targeting this region, by region state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'inferctl_leader',
    help: '1 while this replica holds the lease.',
    registers: [this.registry],
  });
  readonly resyncs = new Counter({
    name: 'inferctl_resyncs_total',
    help: 'Full resyncs, by whether they read the endpoints table (scan) or trusted the change feed.',
    labelNames: ['scan'] as const,
    registers: [this.registry],
  });
  readonly resyncSkippedQuiet = new Counter({
    name: 'inferctl_resync_quiet_skipped_total',
    help: 'Endpoints a resync left out: their last pass was quiet and nothing it read has changed since.',
    registers: [this.registry],
  });
  readonly storeRequests = new Counter({
    name: 'inferctl_store_requests_total',
    help: 'DynamoDB requests by operation and result.',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'inferctl_kube_requests_total',
    help: 'Kubernetes API requests by verb and result.',
    labelNames: ['verb', 'result'] as const,
    registers: [this.registry],
  });
  readonly streamLag = new Gauge({
    name: 'inferctl_change_feed_lag_seconds',
    help: 'Age of the newest change-feed record when it was read.',
    registers: [this.registry],
  });
  readonly statusWrites = new Counter({
    name: 'inferctl_status_writes_total',
    help: 'Status items written (only when their content changed).',
    registers: [this.registry],
  });

  readonly rolloutHalts = new Counter({
    name: 'inferctl_rollout_halts_total',
    help: 'Rollouts this region halted (a terminal cause, or not healthy within the progress deadline).',
    registers: [this.registry],
  });
  readonly rolloutReverts = new Counter({
    name: 'inferctl_rollout_reverts_total',
    help: 'Halted rollouts after which this region went back to the last generation good everywhere.',
    registers: [this.registry],
  });
  readonly rolloutWaiting = new Gauge({
    name: 'inferctl_rollout_waiting_endpoints',
    help: 'Endpoints whose newest generation waits at a region-wave gate here.',
    registers: [this.registry],
  });
  readonly rolloutGateDelay = new Histogram({
    name: 'inferctl_rollout_gate_delay_seconds',
    help: "From the moment a wave gate could open (the earlier waves' last healthySince plus the bake) to this region's first apply of the generation.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'inferctl_process_' });
  }
}
