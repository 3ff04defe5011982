// Which generation this region serves (docs/rollout.md). Each region's monitor decides for itself
// from the status items of the other regions; nothing here does I/O, so the CLI runs the same
// rules to show what each region waits on.
import {
  type Cause,
  compareCauses,
  type Endpoint,
  type RegionStatus,
  type RolloutHalt,
  regionHealthy,
} from '../model/index.js';
import { goodGeneration, healthyForMs } from './clocks.js';
import { type Policy, waveOf, wavePlan } from './waves.js';

/** What a closed gate waits on, for status messages and the CLI. */
export type GateWait =
  /** A region of an earlier wave does not report the generation healthy yet. */
  | { readonly kind: 'waiting'; readonly region: string; readonly wave: number }
  /** Every earlier region is healthy; this one has baked `bakedMs` of `bakeMs`. */
  | { readonly kind: 'baking'; readonly region: string; readonly wave: number; readonly leftMs: number }
  /** A region halted the rollout of this generation. */
  | { readonly kind: 'halted'; readonly region: string; readonly halt: RolloutHalt };

export type Gate = { readonly open: true } | { readonly open: false; readonly wait: GateWait };

export interface GateInput {
  readonly endpoint: Endpoint;
  readonly region: string;
  /** The status items of the endpoint's regions (this one's included or not; it is not read). */
  readonly statusOf: (region: string) => RegionStatus | undefined;
  readonly now: Date;
}

/**
 * Whether the endpoint's generation may be applied in `region` now: always without a policy and in
 * the first wave; otherwise once every region of the earlier waves reports it healthy for the bake.
 * The first wave that is not ready names the wait (the earliest region, so the message is stable).
 */
export function gate({ endpoint, region, statusOf, now }: GateInput): Gate {
  const policy = endpoint.spec.rollout;
  const plan = wavePlan(endpoint);
  const wave = waveOf(plan, region);
  if (!policy || wave <= 0) return { open: true };
  const generation = endpoint.generation;
  for (let w = 0; w < wave; w++) {
    for (const other of plan[w]!) {
      const halt = statusOf(other)?.halt;
      if (halt?.generation === generation)
        return { open: false, wait: { kind: 'halted', region: other, halt } };
    }
  }
  let baking: GateWait | undefined;
  for (let w = 0; w < wave; w++) {
    for (const other of plan[w]!) {
      const healthyMs = healthyForMs(statusOf(other), generation, now);
      if (healthyMs === undefined) return { open: false, wait: { kind: 'waiting', region: other, wave: w } };
      const leftMs = policy.bake_seconds * 1000 - healthyMs;
      if (leftMs > 0 && (baking?.kind !== 'baking' || leftMs > baking.leftMs))
        baking = { kind: 'baking', region: other, wave: w, leftMs };
    }
  }
  return baking ? { open: false, wait: baking } : { open: true };
}

/** What this region renders and applies in this pass. */
export type Serve =
  /** The endpoint's generation, as today. */
  | { readonly kind: 'current' }
  /** An earlier generation's spec (from the revisions table): the gate is closed, or it reverted. */
  | { readonly kind: 'earlier'; readonly generation: number; readonly wait?: GateWait }
  /** Nothing runs here yet and the gate is closed: create nothing, delete nothing. */
  | { readonly kind: 'nothing'; readonly wait: GateWait };

export interface ServeInput extends GateInput {
  /** This region's own last status item. */
  readonly own: RegionStatus | undefined;
}

/**
 * The gate is one-way: a region that serves the generation keeps it (it is not taken back because
 * an earlier region degrades later). Stopping and deleting are never gated, nor is a region that
 * is being removed. A region that halted the generation serves the generation it reverted to.
 */
export function chooseServe(input: ServeInput): Serve {
  const { endpoint, region, own } = input;
  const generation = endpoint.generation;
  if (!endpoint.spec.rollout || endpoint.desiredState === 'stopped' || endpoint.desiredState === 'deleted')
    return { kind: 'current' };
  if (!endpoint.targetRegions.includes(region)) return { kind: 'current' };
  if (own?.halt?.generation === generation) {
    return own.halt.revertedTo !== undefined
      ? { kind: 'earlier', generation: own.halt.revertedTo }
      : { kind: 'current' };
  }
  if (own && own.observedGeneration >= generation) return { kind: 'current' };
  const g = gate(input);
  if (g.open) return { kind: 'current' };
  const serving = own && own.state !== 'deleted' && own.observedGeneration > 0 ? own.observedGeneration : 0;
  return serving > 0
    ? { kind: 'earlier', generation: serving, wait: g.wait }
    : { kind: 'nothing', wait: g.wait };
}

export interface HaltInput {
  readonly endpoint: Endpoint;
  /** This region's status item as this pass computed it (clocks carried). */
  readonly status: RegionStatus;
  readonly now: Date;
}

export type HaltVerdict =
  | { readonly halt: Omit<RolloutHalt, 'revertedTo'> }
  | {
      readonly halt?: undefined /** When the progress deadline passes, if it is running. */;
      readonly recheckInMs?: number;
    };

/**
 * A region halts the rollout of the generation it serves when a terminal cause is diagnosed there,
 * or when it is not healthy within the progress deadline — as long as it has not yet served that
 * generation healthy for a whole bake (after that a crash is an incident, not a failed rollout).
 */
export function haltVerdict({ endpoint, status, now }: HaltInput): HaltVerdict {
  const policy: Policy | undefined = endpoint.spec.rollout;
  const generation = endpoint.generation;
  if (!policy || endpoint.desiredState === 'stopped' || endpoint.desiredState === 'deleted') return {};
  if (status.observedGeneration !== generation || status.halt?.generation === generation) return {};
  if ((goodGeneration(status, now, policy.bake_seconds * 1000) ?? 0) >= generation) return {};
  const at = now.toISOString();
  const terminal = [...(status.causes ?? [])]
    .sort(compareCauses)
    .find((c: Cause) => c.severity === 'terminal');
  if (terminal) return { halt: { generation, reason: terminal.reason, message: terminal.message, at } };
  if (regionHealthy(status)) return {};
  const deadlineMs = policy.progress_deadline_seconds * 1000;
  const elapsed = status.servingSince ? now.getTime() - Date.parse(status.servingSince) : 0;
  if (elapsed >= deadlineMs) {
    return {
      halt: {
        generation,
        reason: 'RolloutDeadlineExceeded',
        message: `not healthy ${policy.progress_deadline_seconds} s after generation ${generation} started here`,
        at,
      },
    };
  }
  return { recheckInMs: deadlineMs - elapsed };
}

/**
 * With `on_failure: revert`: the newest generation that was good (healthy for a bake) in every
 * target region that has been good at all, if it is older than the failed one.
 */
export function revertTarget(input: ServeInput): number | undefined {
  const { endpoint, region, own, statusOf, now } = input;
  const policy = endpoint.spec.rollout;
  if (policy?.on_failure !== 'revert') return undefined;
  const bakeMs = policy.bake_seconds * 1000;
  const goods = endpoint.targetRegions
    .map((r) => goodGeneration(r === region ? own : statusOf(r), now, bakeMs))
    .filter((g): g is number => g !== undefined);
  if (goods.length === 0) return undefined;
  const target = Math.min(...goods);
  return target < endpoint.generation ? target : undefined;
}
