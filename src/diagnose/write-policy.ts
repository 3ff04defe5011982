import { compareText } from '../model/index.js';
import type { Cause } from './types.js';

/** Count-only changes (pods, restarts, messages) are written at most this often per endpoint and region. */
export const COUNT_ONLY_INTERVAL_MS = 30_000;

/** `recheckAt`: a count-only change is being held back; decide again then, even if nothing moves. */
export type WriteDecision = { readonly write: true } | { readonly write: false; readonly recheckAt?: number };

const identity = (c: Cause) => `${c.track}/${c.reason}/${c.severity}`;

function canonical(c: Cause): string {
  const details = Object.entries(c.details ?? {}).sort(([a], [b]) => compareText(a, b));
  return JSON.stringify([identity(c), c.message, c.pods, c.since, details]);
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
};

/**
 * Whether the causes last written (`prev`) should be replaced by `next` now. A cause appearing,
 * clearing or changing severity is written at once; anything else only once `intervalMs` has
 * passed since the last write, so a climbing restart count costs one write per interval.
 */
export function significantChange(
  prev: readonly Cause[],
  next: readonly Cause[],
  lastWriteAt: number | undefined,
  now: number,
  intervalMs = COUNT_ONLY_INTERVAL_MS,
): WriteDecision {
  if (!sameSet(prev.map(identity), next.map(identity))) return { write: true };
  if (sameSet(prev.map(canonical), next.map(canonical))) return { write: false };
  if (lastWriteAt === undefined || now - lastWriteAt >= intervalMs) return { write: true };
  return { write: false, recheckAt: lastWriteAt + intervalMs };
}
