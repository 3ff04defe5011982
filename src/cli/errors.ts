// Errors as data: every failure the CLI reports carries a code, and every code an exit code.
import { InvalidSpecError } from '../model/index.js';
import { ConflictError, NotFoundError, StoreUnavailableError } from '../store/index.js';

export const CLI_ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAVAILABLE',
  'TIMEOUT',
  'FAILED',
  'BLOCKED',
  'INTERNAL',
] as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/**
 * 0 ok, 1 operation failed (store unavailable, a region reported a terminal error, --wait timed
 * out), 2 usage/validation error, 3 not found, 4 conflict (issue 3), 5 --wait saw a terminal cause
 * (issue 13: the rollout cannot succeed without a change). Documented in docs/cli.md.
 */
export const EXIT_CODE: Record<CliErrorCode, number> = {
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  UNAVAILABLE: 1,
  TIMEOUT: 1,
  FAILED: 1,
  BLOCKED: 5,
  INTERNAL: 1,
};

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Normalise anything thrown into a CliError (the one place errors become exit codes). */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof InvalidSpecError) return new CliError('INVALID_INPUT', err.message, { cause: err });
  if (err instanceof ConflictError) return new CliError('CONFLICT', err.message, { cause: err });
  if (err instanceof NotFoundError) return new CliError('NOT_FOUND', err.message, { cause: err });
  if (err instanceof StoreUnavailableError) return new CliError('UNAVAILABLE', err.message, { cause: err });
  const msg = err instanceof Error ? err.message : String(err);
  return new CliError('INTERNAL', `internal error: ${msg}`, { cause: err });
}

/** The cause chain, one line each, for --debug. */
export function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 10; depth++) {
    if (cur instanceof Error) {
      out.push(
        depth === 0 ? (cur.stack ?? `${cur.name}: ${cur.message}`) : `caused by: ${cur.stack ?? cur.message}`,
      );
      cur = (cur as { cause?: unknown }).cause;
    } else {
      out.push(`caused by: ${String(cur)}`);
      break;
    }
  }
  return out;
}
