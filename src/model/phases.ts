// Per-region status records and the aggregate phase readers compute from them (DESIGN §2.2).
// Monitors never write the aggregate; `inferctl status/list/--wait` derive it.

import type { Cause } from './causes.js';
import type { Endpoint } from './endpoint.js';
import { compareText } from './order.js';
import { ConditionType } from './reasons.js';

export const REGION_STATES = ['creating', 'running', 'updating', 'stopped', 'deleted', 'error'] as const;
export type RegionState = (typeof REGION_STATES)[number];

export const AGGREGATE_PHASES = [
  'deploying',
  'running',
  'degraded',
  'halted',
  'stopped',
  'deleting',
] as const;
export type AggregatePhase = (typeof AGGREGATE_PHASES)[number];

type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** PascalCase, from reasons.ts. */
  readonly reason: string;
  readonly message: string;
  /** ISO-8601; moves only when status, reason or message change. */
  readonly lastTransitionTime: string;
}

/** One (endpoint, region) status item, camelCase. The store maps it to snake_case attributes. */
export interface RegionStatus {
  readonly endpointName: string;
  readonly region: string;
  readonly state: RegionState;
  readonly replicasReady: number;
  readonly replicasDesired: number;
  /** The endpoint generation last fully reconciled in this region. */
  readonly observedGeneration: number;
  readonly canaryReady?: number;
  readonly canaryWeight?: number;
  /** The watchdog has pulled the Ingress (endpoint unready too long). */
  readonly ingressPulled: boolean;
  /** ISO-8601; when ready replicas first dropped to 0 (persisted so a leader change keeps the clock). */
  readonly unreadySince?: string;
  readonly conditions: readonly Condition[];
  /** Why the endpoint is not serving here, worst first (src/diagnose); absent or empty when healthy. */
  readonly causes?: readonly Cause[];
  /** The Ingress's load-balancer address (hostname or IP) once the cluster reports one. */
  readonly address?: string;
  readonly error?: string;
  /** ISO-8601; when this region started serving `observedGeneration` (the rollout's progress deadline). */
  readonly servingSince?: string;
  /** ISO-8601; healthy (ready, no cause) at `observedGeneration` without a break since then: the bake clock. */
  readonly healthySince?: string;
  /** The newest generation this region was healthy at: what `on_failure: revert` goes back to. */
  readonly lastGoodGeneration?: number;
  /** This region halted the rollout of a generation (region waves, src/rollout). */
  readonly halt?: RolloutHalt;
  readonly lastSync: string;
  readonly lastTransition: string;
}

export interface RolloutHalt {
  /** The generation whose rollout stopped here. */
  readonly generation: number;
  /** A cause reason (CrashLooping, …) or RolloutDeadlineExceeded. */
  readonly reason: string;
  readonly message: string;
  readonly at: string;
  /** With `on_failure: revert`: the generation this region went back to serving. */
  readonly revertedTo?: number;
}

/** Healthy: ready and nothing diagnosed. The rollout gate and the bake clock read this. */
export function regionHealthy(s: RegionStatus): boolean {
  return regionReady(s) && (s.causes ?? []).length === 0;
}

interface RegionSummary {
  readonly region: string;
  /** `missing` when no status item exists yet; `stale` when its monitor stopped heartbeating. */
  readonly state: RegionState | 'missing' | 'stale';
  /** observedGeneration == endpoint generation. */
  readonly current: boolean;
  readonly ready: boolean;
  readonly message: string;
}

interface AggregateStatus {
  readonly phase: AggregatePhase;
  readonly regions: readonly RegionSummary[];
  /** One line, e.g. "2/3 regions ready; eu-west-1: error: …". */
  readonly message: string;
}

interface AggregateOptions {
  /** Regions whose monitor heartbeat is older than the staleness limit. */
  readonly staleRegions?: ReadonlySet<string>;
}

export function conditionOf(s: Pick<RegionStatus, 'conditions'>, type: string): Condition | undefined {
  return s.conditions.find((c) => c.type === type);
}

/**
 * The one "region ready" rule: running, every desired replica ready, and the Ingress in place (the
 * generation is checked by callers).
 */
export function regionReady(s: RegionStatus): boolean {
  return s.state === 'running' && s.replicasReady >= s.replicasDesired && !s.ingressPulled;
}

/**
 * Aggregate phase of an endpoint from its item and its status items:
 * - `deleted` desired ⇒ `deleting` (until the item is purged); `stopped` ⇒ `stopped`.
 * - otherwise `running` when every target region reports the current generation and is ready;
 *   `degraded` when any target region is in error, stalled, stale, has its Ingress pulled, or
 *   reports the current generation but lost readiness after running; `deploying` otherwise.
 */
export function aggregatePhase(
  endpoint: Pick<Endpoint, 'desiredState' | 'targetRegions' | 'generation'>,
  statuses: readonly RegionStatus[],
  options: AggregateOptions = {},
): AggregateStatus {
  const byRegion = new Map(statuses.map((s) => [s.region, s]));
  const regions: RegionSummary[] = [...endpoint.targetRegions].sort().map((region) => {
    const s = byRegion.get(region);
    if (!s) return { region, state: 'missing', current: false, ready: false, message: 'no status yet' };
    const current = s.observedGeneration === endpoint.generation;
    if (options.staleRegions?.has(region)) {
      return { region, state: 'stale', current, ready: false, message: 'monitor not reporting' };
    }
    const ready = current && regionReady(s);
    const readyCond = conditionOf(s, ConditionType.Ready);
    const message = s.error ?? readyCond?.message ?? `${s.replicasReady}/${s.replicasDesired} ready`;
    return { region, state: s.state, current, ready, message };
  });

  // A region halted the rollout of this very generation: later waves will not get it.
  const halted = endpoint.targetRegions
    .map((region) => byRegion.get(region))
    .find((s) => s?.halt?.generation === endpoint.generation);
  const phase = ((): AggregatePhase => {
    if (endpoint.desiredState === 'deleted') return 'deleting';
    if (endpoint.desiredState === 'stopped') return 'stopped';
    if (halted) return 'halted';
    if (regions.length > 0 && regions.every((r) => r.ready)) return 'running';
    const degraded = regions.some((r) => {
      if (r.state === 'error' || r.state === 'stale') return true;
      const s = byRegion.get(r.region);
      if (!s) return false;
      if (s.ingressPulled) return true;
      if (conditionOf(s, ConditionType.Stalled)?.status === 'True') return true;
      return r.current && s.state === 'running' && !regionReady(s);
    });
    return degraded ? 'degraded' : 'deploying';
  })();

  const readyCount = regions.filter((r) => r.ready).length;
  const problems = regions.filter((r) => !r.ready).map((r) => `${r.region}: ${r.state}: ${r.message}`);
  const message =
    endpoint.desiredState === 'stopped' || endpoint.desiredState === 'deleted'
      ? `${endpoint.desiredState}`
      : phase === 'halted' && halted?.halt
        ? `rollout of generation ${endpoint.generation} halted in ${halted.region}: ${halted.halt.reason}: ${halted.halt.message}${halted.halt.revertedTo !== undefined ? ` (reverted to generation ${halted.halt.revertedTo})` : ''}`
        : [`${readyCount}/${regions.length} regions ready`, ...problems].join('; ');
  return { phase, regions, message };
}

/**
 * Set or replace one condition. `lastTransitionTime` keeps its old value unless status, reason
 * or message changed, so re-writing an unchanged condition leaves the item byte-identical.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const unchanged =
    old !== undefined &&
    old.status === next.status &&
    old.reason === next.reason &&
    old.message === next.message;
  const updated: Condition = { ...next, lastTransitionTime: unchanged ? old.lastTransitionTime : now };
  return [...conditions.filter((c) => c.type !== next.type), updated].sort((a, b) =>
    compareText(a.type, b.type),
  );
}

export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/** Rule violations of a status item (PRACTICES 10); empty when it is consistent. */
export function statusInvariantViolations(item: RegionStatus, generation?: number): string[] {
  const out: string[] = [];
  const is = (type: string, status: ConditionStatus = 'True') => conditionOf(item, type)?.status === status;
  const present = (type: string) => conditionOf(item, type) !== undefined;
  if (is(ConditionType.Ready) && is(ConditionType.Stalled)) out.push('1: Ready and Stalled are both True');
  if (present(ConditionType.Reconciling) && present(ConditionType.Stalled)) {
    out.push('2: Reconciling and Stalled are both present');
  }
  if (generation !== undefined && item.observedGeneration > generation) {
    out.push(`3: observedGeneration ${item.observedGeneration} > generation ${generation}`);
  }
  if (item.state === 'running') {
    if (generation !== undefined && item.observedGeneration !== generation) {
      out.push(`4: running but observedGeneration ${item.observedGeneration} != generation ${generation}`);
    }
    if (item.replicasReady < item.replicasDesired) {
      out.push(`4: running but ${item.replicasReady} ready < ${item.replicasDesired} desired`);
    }
  }
  const types = item.conditions.map((c) => c.type);
  if (new Set(types).size !== types.length) out.push('5: duplicate condition types');
  return out;
}

/** Throws with every violated rule; for tests and debug builds. */
export function assertStatusInvariants(item: RegionStatus, generation?: number): void {
  const v = statusInvariantViolations(item, generation);
  if (v.length > 0) {
    throw new Error(`status invariants violated for ${item.endpointName}/${item.region}: ${v.join('; ')}`);
  }
}
