// When a status item is written: a fresh generation's plain progress ("creating, 0/1 replicas
// ready") is held back for a short window, because most rollouts finish within it and the reader
// would see `running` a moment later anyway. One write per endpoint and region then reports a
// create that converges without incident. Everything else is written at once.
import type { RegionStatus } from '../model/index.js';

/** How long plain progress of a fresh generation waits for the rollout to finish before it is written. */
export const PROGRESS_HOLD_MS = 5_000;

interface HoldInput {
  /** The computed status reports only progress: no cause, failure, stall, removal or watchdog trip. */
  readonly progressing: boolean;
  /** The generation the computed status reports. */
  readonly generation: number;
  /** What the status item says now (undefined: no item). */
  readonly written: RegionStatus | undefined;
  /** When this endpoint's progress was first held back (epoch ms), if it is being held back. */
  readonly heldSince: number | undefined;
  readonly now: number;
}

/** `since`: when the hold began (kept across passes); `recheckInMs`: write then if nothing else happened. */
export type HoldDecision =
  | { readonly write: true }
  | { readonly write: false; readonly since: number; readonly recheckInMs: number };

export function progressWrite(input: HoldInput, holdMs = PROGRESS_HOLD_MS): HoldDecision {
  const { written } = input;
  if (!input.progressing) return { write: true };
  if (input.heldSince === undefined && written) {
    // This generation is already reported: its progress is written as it moves.
    if (written.observedGeneration >= input.generation) return { write: true };
    // The item says something that is no longer true (a failure, a cause, the Ingress pulled).
    if (written.state === 'error' || (written.causes?.length ?? 0) > 0 || written.ingressPulled)
      return { write: true };
  }
  const since = input.heldSince ?? input.now;
  const left = since + holdMs - input.now;
  // A slow rollout is still shown as deploying: the window ends with a write.
  return left > 0 ? { write: false, since, recheckInMs: left } : { write: true };
}
