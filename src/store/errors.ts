// Typed store errors. Each carries the context a caller needs to report or retry.
import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';

/** Base class: anything the store throws on purpose. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

/** A conditional write lost: the item exists already, or its generation moved on. */
export class ConflictError extends StoreError {
  override readonly name = 'ConflictError';
  readonly endpointName: string;
  /** The generation the caller read (undefined for creates). */
  readonly expectedGeneration: number | undefined;
  /** The generation found in the table, when it could be read. */
  readonly actualGeneration: number | undefined;
  constructor(
    message: string,
    context: { endpointName: string; expectedGeneration?: number; actualGeneration?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.endpointName = context.endpointName;
    this.expectedGeneration = context.expectedGeneration;
    this.actualGeneration = context.actualGeneration;
  }
}

/** The endpoint (or its table) does not exist. */
export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError';
  readonly endpointName: string;
  constructor(endpointName: string, message = `endpoint ${endpointName} not found`) {
    super(message);
    this.endpointName = endpointName;
  }
}

/**
 * The table could not be reached or used: network failure, throttling after the SDK's retries,
 * missing credentials or region, or a missing table. Transient from the monitor's point of view.
 */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  readonly operation: string;
  readonly table: string | undefined;
  constructor(
    message: string,
    context: { operation: string; table?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.operation = context.operation;
    this.table = context.table;
  }
}

const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'LimitExceededException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
]);

function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown };
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.code === 'string') return e.code;
  }
  return '';
}

/**
 * Errors after which the item is known to be unchanged: the request was refused before it could
 * apply (throttled, not authorised, malformed) or never sent (connection refused). After a timeout
 * or a dropped connection the write may or may not have applied, so those are not in this list.
 */
const UNAPPLIED_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ValidationException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'ResourceNotFoundException',
  'ECONNREFUSED',
]);

/** True when a failed write certainly did not change the item (see UNAPPLIED_NAMES). */
export function isUnappliedWrite(err: unknown): boolean {
  return UNAPPLIED_NAMES.has(errorName(err));
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException;
}

/**
 * A transaction refused because another writer got there first: a failed condition, or another
 * transaction on the same item in flight (TransactionConflict).
 */
export function isTransactionLost(err: unknown): boolean {
  if (!(err instanceof TransactionCanceledException)) return false;
  const reasons = err.CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
}

export function isMissingTable(err: unknown): boolean {
  return err instanceof ResourceNotFoundException;
}

/** Runs one request, mapping its failure through `classifyError`. */
export async function classified<T>(operation: string, table: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw classifyError(err, operation, table);
  }
}

/**
 * Map an SDK error to a StoreUnavailableError when it is about reachability, throttling,
 * credentials, region or a missing table; anything else is returned unchanged.
 */
export function classifyError(err: unknown, operation: string, table?: string): unknown {
  if (err instanceof StoreError) return err;
  const name = errorName(err);
  const code = err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  const ctx = table === undefined ? { operation } : { operation, table };
  if (name === 'ResourceNotFoundException') {
    return new StoreUnavailableError(
      `table ${table ?? '(unknown)'} does not exist or is not active (${operation}); create it (inferctl init for a local DynamoDB) or set the table name`,
      ctx,
      { cause: err },
    );
  }
  if (/region is missing/i.test(msg)) {
    return new StoreUnavailableError(
      `no AWS region for DynamoDB (${operation}): set DYNAMODB_REGION (or AWS_REGION) to the region of the tables`,
      ctx,
      { cause: err },
    );
  }
  if (
    UNAVAILABLE_NAMES.has(name) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    /could not load credentials|ECONNREFUSED|socket hang up|getaddrinfo/i.test(msg)
  ) {
    // The SDK's plain Errors have no name worth printing; the CLI already says "error:".
    return new StoreUnavailableError(
      `DynamoDB unavailable during ${operation}: ${name ? `${name}: ` : ''}${msg}`,
      ctx,
      { cause: err },
    );
  }
  // AggregateError from happy-eyeballs connects carries the network code on its members.
  if (
    err instanceof AggregateError &&
    err.errors.some((e) => NETWORK_CODES.has(String((e as { code?: unknown }).code)))
  ) {
    return new StoreUnavailableError(`DynamoDB unreachable during ${operation}: ${msg}`, ctx, { cause: err });
  }
  return err;
}
