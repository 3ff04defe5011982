// Every error a reconcile can end with is known here by its class, and `classify` is the one place
// that turns it into a retry policy (PRACTICES 9). Nothing is recognised by its `name` string.
import { KubeApiError, NotLeaderError } from '../kube/index.js';
import { Reason } from '../model/index.js';

/** Cannot progress until the item (or the object the server refused) changes: no retry. */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A reconcile that failed after it wrote what it could; `cause` is the write that failed. */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
  constructor(
    readonly endpoint: string,
    readonly reason: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export type Classification =
  /** Retrying cannot help; the endpoint is Stalled with `reason` until something changes. */
  | { readonly kind: 'terminal'; readonly reason: string }
  /** The server asked us to come back later: requeue after `afterMs`, not counted as a failure. */
  | { readonly kind: 'waiting'; readonly afterMs: number }
  /** Anything else (the API server or the store unavailable, a conflict): retry with backoff. */
  | { readonly kind: 'transient' }
  /** This replica lost the lease mid-reconcile: stop; the new leader reconciles. */
  | { readonly kind: 'not-leader' };

export function classify(err: unknown): Classification {
  if (err instanceof TerminalError) return { kind: 'terminal', reason: err.reason };
  if (err instanceof NotLeaderError) return { kind: 'not-leader' };
  // A failed write is what its cause is.
  if (err instanceof ReconcileError) return classify(err.cause);
  if (err instanceof KubeApiError) {
    // The API server validated the object and refused it: the same object is refused again.
    if (err.isInvalid) return { kind: 'terminal', reason: Reason.ApplyRejected };
    if (err.retryAfterSeconds !== undefined)
      return { kind: 'waiting', afterMs: err.retryAfterSeconds * 1000 };
  }
  return { kind: 'transient' };
}

export type QueueOutcome =
  | { readonly kind: 'forget' }
  | { readonly kind: 'requeueAfter'; readonly ms: number }
  | { readonly kind: 'retry' }
  | { readonly kind: 'drop' };

export interface Result {
  readonly requeueAfterMs?: number;
  /**
   * The pass wrote nothing (no apply, delete or status write) and failed nothing: until something
   * it read changes or the later look it asked for is due, another pass would find the same
   * (QuietPasses).
   */
  readonly quiet?: boolean;
}

/** Maps a reconcile's result or error to what the queue does next. */
export function toQueueResult(result: Result | undefined, err?: unknown): QueueOutcome {
  if (err === undefined) {
    return result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0
      ? { kind: 'requeueAfter', ms: result.requeueAfterMs }
      : { kind: 'forget' };
  }
  const c = classify(err);
  switch (c.kind) {
    case 'terminal':
    case 'not-leader':
      return { kind: 'drop' };
    case 'waiting':
      return { kind: 'requeueAfter', ms: c.afterMs };
    case 'transient':
      return { kind: 'retry' };
  }
}
