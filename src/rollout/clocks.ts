// The rollout's clocks on a region's status item. They live in the item, not in memory, so a new
// leader (in this region or another) reads the same bake and deadline the old one was counting.
import { type RegionStatus, regionHealthy } from '../model/index.js';

/**
 * Carries `servingSince`, `healthySince` and `lastGoodGeneration` from the previous item to the
 * next one. `bakeMs` is the endpoint's bake (0 without a policy): a healthy stretch that lasted at
 * least that long makes its generation a good one, which `on_failure: revert` may go back to.
 */
export function withRolloutClocks(
  next: RegionStatus,
  previous: RegionStatus | undefined,
  now: Date,
  bakeMs: number,
): RegionStatus {
  const at = now.toISOString();
  const sameGeneration = previous !== undefined && previous.observedGeneration === next.observedGeneration;
  const servingSince = sameGeneration && previous.servingSince ? previous.servingSince : at;
  const healthy = regionHealthy(next);
  const healthySince = healthy
    ? sameGeneration && previous.healthySince
      ? previous.healthySince
      : at
    : undefined;
  // Settled only when a write happens anyway (a stretch ends, or health arrives without a bake), so
  // a bake completing never costs a status write of its own; goodGeneration() reads the rest.
  const stretchEnded = previous?.healthySince !== undefined && (!healthy || !sameGeneration);
  const lastGoodGeneration =
    healthy && bakeMs === 0
      ? next.observedGeneration
      : stretchEnded
        ? settledGood(previous, now, bakeMs)
        : previous?.lastGoodGeneration;
  const { servingSince: _s, healthySince: _h, lastGoodGeneration: _g, ...rest } = next;
  return {
    ...rest,
    servingSince,
    ...(healthySince !== undefined ? { healthySince } : {}),
    ...(lastGoodGeneration !== undefined ? { lastGoodGeneration } : {}),
  };
}

/** The good generation an item stands for now: its current healthy stretch if baked, else the last. */
export function goodGeneration(s: RegionStatus | undefined, now: Date, bakeMs: number): number | undefined {
  return settledGood(s, now, bakeMs);
}

function settledGood(s: RegionStatus | undefined, now: Date, bakeMs: number): number | undefined {
  if (!s) return undefined;
  if (s.healthySince !== undefined && now.getTime() - Date.parse(s.healthySince) >= bakeMs) {
    return Math.max(s.observedGeneration, s.lastGoodGeneration ?? 0);
  }
  return s.lastGoodGeneration;
}

/** Milliseconds this region has been healthy at `generation`, or undefined when it is not. */
export function healthyForMs(s: RegionStatus | undefined, generation: number, now: Date): number | undefined {
  if (!s || s.observedGeneration !== generation || s.healthySince === undefined) return undefined;
  return Math.max(0, now.getTime() - Date.parse(s.healthySince));
}
