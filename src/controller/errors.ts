// Typed errors decide the retry policy in one place (PRACTICES 9).

/** Cannot progress until the item changes: no retry. */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Not an error: check again after a delay without counting a failure. */
export class WaitingError extends Error {
  override readonly name = 'WaitingError';
  constructor(
    readonly afterMs: number,
    message: string,
  ) {
    super(message);
  }
}

export type QueueOutcome =
  | { readonly kind: 'forget' }
  | { readonly kind: 'requeueAfter'; readonly ms: number }
  | { readonly kind: 'retry' }
  | { readonly kind: 'drop' };

export interface Result {
  readonly requeueAfterMs?: number;
}

/** Maps a reconcile's result or error to what the queue does next. */
export function toQueueResult(result: Result | undefined, err?: unknown): QueueOutcome {
  if (err === undefined) {
    return result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0
      ? { kind: 'requeueAfter', ms: result.requeueAfterMs }
      : { kind: 'forget' };
  }
  if (err instanceof TerminalError) return { kind: 'drop' };
  if (err instanceof WaitingError) return { kind: 'requeueAfter', ms: err.afterMs };
  if (err instanceof Error && err.name === 'NotLeaderError') return { kind: 'drop' };
  return { kind: 'retry' };
}
