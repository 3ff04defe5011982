// What `status`, `list` and `regions` print with -o json|yaml: typed values (numbers, booleans,
// nulls, conditions, ISO timestamps), never display strings. The schemas are the documented
// contract (docs/cli-output.schema.json is generated from them and tested against golden files);
// the tables are drawn from the same views, so the two can never disagree.
import { z } from 'zod';
import {
  AGGREGATE_PHASES,
  aggregatePhase,
  type Condition,
  ConditionType,
  conditionOf,
  DESIRED_STATES,
  type Endpoint,
  REGION_STATES,
  type RegionStatus,
} from '../model/index.js';
import type { RegionHeartbeat } from '../store/index.js';

const MONITOR_STATES = ['alive', 'stale', 'withdrawn', 'absent'] as const;
type MonitorState = (typeof MONITOR_STATES)[number];

const conditionView = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  last_transition_time: z.string(),
});

const regionView = z.strictObject({
  region: z.string(),
  /** The region's one state: what its monitor reports, `missing` before it reports, `stale` when it stopped. */
  state: z.enum([...REGION_STATES, 'missing', 'stale']),
  ready: z.boolean(),
  monitor: z.enum(MONITOR_STATES),
  last_heartbeat: z.string().nullable(),
  observed_generation: z.number().int().nullable(),
  current: z.boolean(),
  replicas: z.strictObject({ ready: z.number().int(), desired: z.number().int() }).nullable(),
  canary: z.strictObject({ ready: z.number().int(), weight: z.number().int() }).nullable(),
  ingress_pulled: z.boolean(),
  /** The Ingress path; the host is not reported by monitors yet, hence `url: null`. */
  path: z.string(),
  url: z.string().nullable(),
  message: z.string(),
  error: z.string().nullable(),
  conditions: z.array(conditionView),
  last_sync: z.string().nullable(),
  last_transition: z.string().nullable(),
});
export type RegionView = z.infer<typeof regionView>;

export const statusSchema = z.strictObject({
  name: z.string(),
  /** The endpoint's one state: the phase computed from every target region. */
  state: z.enum(AGGREGATE_PHASES),
  desired_state: z.enum(DESIRED_STATES),
  generation: z.number().int(),
  namespace: z.string(),
  image: z.string(),
  replicas: z.strictObject({
    spec: z.number().int(),
    autoscaling: z.strictObject({ min: z.number().int(), max: z.number().int() }).nullable(),
    /** Sum over target regions of what their monitors report as desired and ready (the HPA's count when autoscaled). */
    desired: z.number().int(),
    ready: z.number().int(),
  }),
  target_regions: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  message: z.string(),
  regions: z.array(regionView),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type StatusView = z.infer<typeof statusSchema>;

export const listSchema = z.strictObject({
  endpoints: z.array(
    z.strictObject({
      name: z.string(),
      state: z.enum(AGGREGATE_PHASES),
      desired_state: z.enum(DESIRED_STATES),
      generation: z.number().int(),
      image: z.string(),
      target_regions: z.array(z.string()),
      regions_ready: z.number().int(),
      regions_total: z.number().int(),
      message: z.string(),
    }),
  ),
  /** Stored items the schema rejects; never silently dropped. */
  invalid: z.array(z.strictObject({ name: z.string().nullable(), error: z.string() })),
});
export type ListView = z.infer<typeof listSchema>;

export const regionsSchema = z.array(
  z.strictObject({
    region: z.string(),
    monitor: z.enum(MONITOR_STATES),
    alive: z.boolean(),
    last_heartbeat: z.string(),
    identity: z.string(),
    version: z.string().nullable(),
    allowed_namespaces: z.array(z.string()).nullable(),
    withdrawn_at: z.string().nullable(),
  }),
);
export type RegionsView = z.infer<typeof regionsSchema>;

export function monitorState(h: RegionHeartbeat | undefined): MonitorState {
  if (!h) return 'absent';
  if (h.alive) return 'alive';
  return h.withdrawnAt ? 'withdrawn' : 'stale';
}

export function regionsView(heartbeats: readonly RegionHeartbeat[]): RegionsView {
  return heartbeats.map((h) => ({
    region: h.region,
    monitor: monitorState(h),
    alive: h.alive,
    last_heartbeat: h.lastHeartbeat,
    identity: h.identity,
    version: h.version ?? null,
    allowed_namespaces: h.allowedNamespaces ? [...h.allowedNamespaces] : null,
    withdrawn_at: h.withdrawnAt ?? null,
  }));
}

const conditionOut = (c: Condition) => ({
  type: c.type,
  status: c.status,
  reason: c.reason,
  message: c.message,
  last_transition_time: c.lastTransitionTime,
});

/** Why a region is (not) ready, in words that agree with its state, replicas and generation. */
function regionMessage(
  endpoint: Endpoint,
  s: RegionStatus | undefined,
  monitor: MonitorState,
  h: RegionHeartbeat | undefined,
  ready: boolean,
): string {
  if (monitor === 'absent' && !s) return 'no monitor has ever reported from this region';
  if (monitor === 'stale') return `monitor not reporting since ${h?.lastHeartbeat ?? '?'}`;
  if (monitor === 'withdrawn') return `monitor stopped at ${h?.withdrawnAt ?? '?'}`;
  if (!s) return 'waiting for the monitor (no status yet)';
  const stalled = conditionOf(s, ConditionType.Stalled);
  if (stalled?.status === 'True') return stalled.message;
  if (s.error) return s.error;
  if (s.observedGeneration < endpoint.generation) {
    return `applying generation ${endpoint.generation} (observed ${s.observedGeneration})`;
  }
  if (s.ingressPulled)
    return conditionOf(s, ConditionType.WatchdogTripped)?.message ?? 'Ingress pulled by the watchdog';
  const replicas = `${s.replicasReady}/${s.replicasDesired} replicas ready`;
  if (ready || s.state === 'running') return replicas;
  return conditionOf(s, ConditionType.Ready)?.message ?? `${s.state}, ${replicas}`;
}

export function statusView(
  endpoint: Endpoint,
  statuses: readonly RegionStatus[],
  heartbeats: readonly RegionHeartbeat[],
): StatusView {
  const hb = new Map(heartbeats.map((h) => [h.region, h]));
  const notAlive = new Set(heartbeats.filter((h) => !h.alive).map((h) => h.region));
  const aggregate = aggregatePhase(endpoint, statuses, { staleRegions: notAlive });
  const byRegion = new Map(statuses.map((s) => [s.region, s]));
  const regions = aggregate.regions.map((r): RegionView => {
    const s = byRegion.get(r.region);
    const h = hb.get(r.region);
    const monitor = monitorState(h);
    return {
      region: r.region,
      state: r.state,
      ready: r.ready,
      monitor,
      last_heartbeat: h?.lastHeartbeat ?? null,
      observed_generation: s ? s.observedGeneration : null,
      current: r.current,
      replicas: s ? { ready: s.replicasReady, desired: s.replicasDesired } : null,
      canary: s?.canaryWeight !== undefined ? { ready: s.canaryReady ?? 0, weight: s.canaryWeight } : null,
      ingress_pulled: s?.ingressPulled ?? false,
      path: endpoint.ingressPath,
      url: null,
      message: regionMessage(endpoint, s, monitor, h, r.ready),
      error: s?.error ?? null,
      conditions: (s?.conditions ?? []).map(conditionOut),
      last_sync: s?.lastSync || null,
      last_transition: s?.lastTransition || null,
    };
  });
  // Stopped and deleted endpoints are done where the region reached that state, not where it serves.
  const want = endpoint.desiredState;
  const done = (r: RegionView) =>
    want === 'stopped' || want === 'deleted' ? r.current && r.state === want : r.ready;
  const doneCount = regions.filter(done).length;
  const problems = regions.filter((r) => !done(r)).map((r) => `${r.region}: ${r.message}`);
  const headline =
    want === 'stopped' || want === 'deleted'
      ? `${want} in ${doneCount}/${regions.length} regions`
      : `${doneCount}/${regions.length} regions ready`;
  const a = endpoint.spec.autoscaling;
  return {
    name: endpoint.name,
    state: aggregate.phase,
    desired_state: endpoint.desiredState,
    generation: endpoint.generation,
    namespace: endpoint.namespace,
    image: endpoint.spec.image,
    replicas: {
      spec: endpoint.spec.replicas,
      autoscaling: a?.enabled ? { min: a.min_replicas, max: a.max_replicas } : null,
      desired: regions.reduce((n, r) => n + (r.replicas?.desired ?? 0), 0),
      ready: regions.reduce((n, r) => n + (r.replicas?.ready ?? 0), 0),
    },
    target_regions: [...endpoint.targetRegions],
    labels: { ...endpoint.labels },
    message: [headline, ...problems].join('; '),
    regions,
    created_at: endpoint.createdAt ?? null,
    updated_at: endpoint.updatedAt ?? null,
  };
}

/** The documented contract of -o json|yaml (docs/cli-output.schema.json is this, generated). */
export function outputJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'inferctl -o json|yaml output',
    properties: {
      status: z.toJSONSchema(statusSchema),
      list: z.toJSONSchema(listSchema),
      regions: z.toJSONSchema(regionsSchema),
    },
  };
}
