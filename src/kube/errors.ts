import { type KubeRef, refKey } from '../model/index.js';

/** A non-2xx answer from the API server, with the object it was about. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly statusCode: number,
    /** The Status reason (`NotFound`, `Conflict`, `AlreadyExists`, `Forbidden`, `Expired`, `Gone`…) or ''. */
    readonly reason: string,
    readonly verb: string,
    readonly ref: KubeRef | undefined,
    readonly serverMessage: string,
    /** How long the server asked us to wait before trying again (Status `details.retryAfterSeconds`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(
      `${verb} ${ref ? refKey(ref) : ''}: ${statusCode}${reason ? ` ${reason}` : ''}${serverMessage ? `: ${serverMessage}` : ''}`,
    );
  }

  get isNotFound(): boolean {
    return this.statusCode === 404;
  }
  get isConflict(): boolean {
    return this.statusCode === 409;
  }
  /** 410 Gone / Expired: a resourceVersion too old to list or watch from. */
  get isGone(): boolean {
    return this.statusCode === 410;
  }
  /** 400 Bad Request / 422 Invalid: the server refuses the object itself; sending it again cannot help. */
  get isInvalid(): boolean {
    return this.statusCode === 400 || this.statusCode === 422;
  }
}

/** A write was attempted while this replica does not hold the lease. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(
    readonly identity: string,
    readonly verb: string,
    readonly ref: KubeRef | undefined,
  ) {
    super(`${identity} is not the leader; refusing ${verb} ${ref ? refKey(ref) : ''}`.trim());
  }
}

/** The request never got an HTTP answer (connection refused, reset, timeout). */
export class KubeTransportError extends Error {
  override readonly name = 'KubeTransportError';
  constructor(
    readonly verb: string,
    readonly ref: KubeRef | undefined,
    options: { cause: unknown },
  ) {
    super(
      `${verb} ${ref ? refKey(ref) : ''}: ${String((options.cause as Error)?.message ?? options.cause)}`,
      options,
    );
  }
}
