// What `status`, `list` and `regions` print with -o json|yaml: typed values (numbers, booleans,
// nulls, conditions, ISO timestamps), never display strings. The schemas are the documented
// contract (docs/cli-output.schema.json is generated from them and tested against golden files);
// the tables are drawn from the same views, so the two can never disagree.
import { z } from 'zod';
import {
  AGGREGATE_PHASES,
  aggregatePhase,
  CAUSE_REASONS,
  type Cause,
  type Condition,
  ConditionType,
  compareCauses,
  conditionOf,
  DESIRED_STATES,
  type Endpoint,
  ON_FAILURE,
  REGION_STATES,
  type RegionStatus,
} from '../model/index.js';
import { wavePlan } from '../rollout/index.js';
import type { RegionHeartbeat } from '../store/index.js';
import { causeLine, isCauseReason, worstCause } from './causes.js';
import { historySchema } from './commands/history.js';
import { haltLine, leftSeconds, type RolloutRead, readRollout, waitLine } from './rollout.js';

const MONITOR_STATES = ['alive', 'stale', 'withdrawn', 'absent'] as const;
type MonitorState = (typeof MONITOR_STATES)[number];

const conditionView = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  last_transition_time: z.string(),
});

/** Why the region is not serving (docs/diagnosis.md), worst first. */
const causeView = z.strictObject({
  reason: z.enum(CAUSE_REASONS),
  /** terminal: the rollout cannot succeed without a change (`--wait` exits 5); waiting: it may. */
  severity: z.enum(['terminal', 'waiting']),
  track: z.enum(['primary', 'canary']),
  /** The cluster's own words, in full. */
  message: z.string(),
  /** Pods affected; for CreateFailed and ProgressDeadlineExceeded, the replicas missing. */
  pods: z.number().int(),
  since: z.string(),
  /** Structured facts behind the message (restart count, exit code, image…); `{}` when none. */
  details: z.record(z.string(), z.union([z.string(), z.number()])),
});

/** What a region waits on before it may apply the endpoint's generation (docs/rollout.md). */
const gateView = z.strictObject({
  /** waiting: an earlier region does not report the generation healthy; baking: it does, not for the whole bake; halted: a region halted this generation. */
  kind: z.enum(['waiting', 'baking', 'halted']),
  /** The earlier region it waits on. */
  region: z.string(),
  /** Seconds of bake left (baking only, rounded up), else null. */
  left_seconds: z.number().int().nullable(),
});

/** This region halted the rollout of the endpoint's generation. */
const haltView = z.strictObject({
  generation: z.number().int(),
  /** A cause reason (CrashLooping, …) or RolloutDeadlineExceeded. */
  reason: z.string(),
  message: z.string(),
  at: z.string(),
  /** With `on_failure: revert`: the generation this region went back to serving, else null. */
  reverted_to: z.number().int().nullable(),
});

const rolloutView = z.strictObject({
  /** The waves in order, target regions named in no wave last. */
  waves: z.array(z.array(z.string())),
  bake_seconds: z.number().int(),
  on_failure: z.enum(ON_FAILURE),
  progress_deadline_seconds: z.number().int(),
});

const regionView = z.strictObject({
  region: z.string(),
  /** The region's one state: what its monitor reports, `missing` before it reports, `stale` when it stopped. */
  state: z.enum([...REGION_STATES, 'missing', 'stale']),
  ready: z.boolean(),
  monitor: z.enum(MONITOR_STATES),
  last_heartbeat: z.string().nullable(),
  observed_generation: z.number().int().nullable(),
  /** The generation whose spec runs here: null while nothing runs (no status yet, stopped, deleted). */
  served_generation: z.number().int().nullable(),
  current: z.boolean(),
  /** What this region waits on before it applies the generation (a rollout policy only), else null. */
  gate: gateView.nullable(),
  halt: haltView.nullable(),
  replicas: z.strictObject({ ready: z.number().int(), desired: z.number().int() }).nullable(),
  canary: z.strictObject({ ready: z.number().int(), weight: z.number().int() }).nullable(),
  ingress_pulled: z.boolean(),
  /** The Ingress path; `url` is null until the monitor reports the Ingress's address. */
  path: z.string(),
  url: z.string().nullable(),
  message: z.string(),
  error: z.string().nullable(),
  causes: z.array(causeView),
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
  /** The rollout policy (region waves), null without one: every region at once. */
  rollout: rolloutView.nullable(),
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
      /** The headline and, when any region has one, the worst cause (else every problem region). */
      message: z.string(),
      /** The worst cause of any target region: terminal first, then by precedence. */
      cause: causeView.extend({ region: z.string() }).nullable(),
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

const causeOut = (c: Cause) => ({
  reason: c.reason,
  severity: c.severity,
  track: c.track,
  message: c.message,
  pods: c.pods,
  since: c.since,
  details: { ...c.details },
});

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
  rollout: RolloutRead,
): string {
  if (monitor === 'absent' && !s) return 'no monitor has ever reported from this region';
  if (monitor === 'stale') return `monitor not reporting since ${h?.lastHeartbeat ?? '?'}`;
  if (monitor === 'withdrawn') return `monitor stopped at ${h?.withdrawnAt ?? '?'}`;
  if (rollout.halt) return haltLine(rollout.halt);
  if (rollout.wait) {
    const gate = waitLine(rollout.wait, endpoint.generation);
    return s && servedGeneration(s) !== null
      ? `serving generation ${s.observedGeneration}, ${s.replicasReady}/${s.replicasDesired} replicas ready; ${gate}`
      : gate;
  }
  if (!s) return 'waiting for the monitor (no status yet)';
  const stalled = conditionOf(s, ConditionType.Stalled);
  // A stall named after a cause is told by the cause line below, with its pods and time.
  if (stalled?.status === 'True' && !isCauseReason(stalled.reason)) return stalled.message;
  if (s.error) return s.error;
  if (s.observedGeneration < endpoint.generation) {
    return `applying generation ${endpoint.generation} (observed ${s.observedGeneration})`;
  }
  if (s.ingressPulled)
    return conditionOf(s, ConditionType.WatchdogTripped)?.message ?? 'Ingress pulled by the watchdog';
  const replicas = `${s.replicasReady}/${s.replicasDesired} replicas ready`;
  const causes = [...(s.causes ?? [])].sort(compareCauses);
  const more = causes.length > 1 ? ` (+${causes.length - 1} more)` : '';
  const cause = causes[0] ? `${causeLine(causes[0])}${more}` : undefined;
  // Ready with a cause: a canary failing, or replicas lost to an eviction and not yet replaced.
  if (ready || s.state === 'running') return cause ? `${replicas}; ${cause}` : replicas;
  if (cause) return cause;
  if (stalled?.status === 'True') return stalled.message;
  return conditionOf(s, ConditionType.Ready)?.message ?? `${s.state}, ${replicas}`;
}

/** Nothing runs in a region that has not reported, or that stopped or deleted the endpoint. */
function servedGeneration(s: RegionStatus | undefined): number | null {
  return s && s.state !== 'stopped' && s.state !== 'deleted' && s.observedGeneration > 0
    ? s.observedGeneration
    : null;
}

function rolloutOut(endpoint: Endpoint): StatusView['rollout'] {
  const policy = endpoint.spec.rollout;
  return policy
    ? {
        waves: wavePlan(endpoint),
        bake_seconds: policy.bake_seconds,
        on_failure: policy.on_failure,
        progress_deadline_seconds: policy.progress_deadline_seconds,
      }
    : null;
}

function gateOut({ wait }: RolloutRead): RegionView['gate'] {
  if (!wait) return null;
  return {
    kind: wait.kind,
    region: wait.region,
    left_seconds: wait.kind === 'baking' ? leftSeconds(wait.leftMs) : null,
  };
}

function haltOut({ halt }: RolloutRead): RegionView['halt'] {
  return halt
    ? {
        generation: halt.generation,
        reason: halt.reason,
        message: halt.message,
        at: halt.at,
        reverted_to: halt.revertedTo ?? null,
      }
    : null;
}

/** `now` is the clock the bake's time left is counted on. */
export function statusView(
  endpoint: Endpoint,
  statuses: readonly RegionStatus[],
  heartbeats: readonly RegionHeartbeat[],
  now: Date,
): StatusView {
  const hb = new Map(heartbeats.map((h) => [h.region, h]));
  const notAlive = new Set(heartbeats.filter((h) => !h.alive).map((h) => h.region));
  const aggregate = aggregatePhase(endpoint, statuses, { staleRegions: notAlive });
  const byRegion = new Map(statuses.map((s) => [s.region, s]));
  const regions = aggregate.regions.map((r): RegionView => {
    const s = byRegion.get(r.region);
    const h = hb.get(r.region);
    const monitor = monitorState(h);
    const rollout = readRollout(endpoint, r.region, (region) => byRegion.get(region), now);
    return {
      region: r.region,
      state: r.state,
      ready: r.ready,
      monitor,
      last_heartbeat: h?.lastHeartbeat ?? null,
      observed_generation: s ? s.observedGeneration : null,
      served_generation: servedGeneration(s),
      current: r.current,
      gate: gateOut(rollout),
      halt: haltOut(rollout),
      replicas: s ? { ready: s.replicasReady, desired: s.replicasDesired } : null,
      canary: s?.canaryWeight !== undefined ? { ready: s.canaryReady ?? 0, weight: s.canaryWeight } : null,
      ingress_pulled: s?.ingressPulled ?? false,
      path: endpoint.ingressPath,
      // Read defensively: monitors older than the Ingress address report none.
      url: s?.address ? `http://${s.address}${endpoint.ingressPath}` : null,
      message: regionMessage(endpoint, s, monitor, h, r.ready, rollout),
      error: s?.error ?? null,
      causes: [...(s?.causes ?? [])].sort(compareCauses).map(causeOut),
      conditions: (s?.conditions ?? []).map(conditionOut),
      last_sync: s?.lastSync || null,
      last_transition: s?.lastTransition || null,
    };
  });
  const want = endpoint.desiredState;
  const done = (r: RegionView) => regionDone(want, r);
  const doneCount = regions.filter(done).length;
  const problems = regions.filter((r) => !done(r)).map((r) => `${r.region}: ${r.message}`);
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
    rollout: rolloutOut(endpoint),
    // Halted: the region and cause (and where it went back to) say more than a count of ready regions.
    message:
      aggregate.phase === 'halted'
        ? aggregate.message
        : [headline(want, doneCount, regions.length), ...problems].join('; '),
    regions,
    created_at: endpoint.createdAt ?? null,
    updated_at: endpoint.updatedAt ?? null,
  };
}

/** Stopped and deleted endpoints are done where the region reached that state, not where it serves. */
function regionDone(want: Endpoint['desiredState'], r: RegionView): boolean {
  return want === 'stopped' || want === 'deleted' ? r.current && r.state === want : r.ready;
}

function headline(want: Endpoint['desiredState'], done: number, total: number): string {
  return want === 'stopped' || want === 'deleted'
    ? `${want} in ${done}/${total} regions`
    : `${done}/${total} regions ready`;
}

/** One `list` row: the worst cause of any region stands in for the list of problem regions. */
export function listEntry(v: StatusView): ListView['endpoints'][number] {
  const worst = worstCause(v.regions);
  const done = v.regions.filter((r) => regionDone(v.desired_state, r)).length;
  return {
    name: v.name,
    state: v.state,
    desired_state: v.desired_state,
    generation: v.generation,
    image: v.image,
    target_regions: v.target_regions,
    regions_ready: v.regions.filter((r) => r.ready).length,
    regions_total: v.regions.length,
    message:
      v.state === 'halted'
        ? v.message
        : worst
          ? `${headline(v.desired_state, done, v.regions.length)}; ${worst.region}: ${causeLine(worst.cause)}`
          : v.message,
    cause: worst ? { region: worst.region, ...worst.cause } : null,
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
      history: z.toJSONSchema(historySchema),
    },
  };
}
