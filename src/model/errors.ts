// Validation failures as data: a list of {path, rule} plus a one-line message for the first one,
// e.g. `spec.canary.weight: must be an integer between 0 and 100, got 140`.
import type { z } from 'zod';
import { showValue } from './schema.js';

export interface SpecIssue {
  /** Dotted field path as the user wrote it, e.g. `spec.env.1BAD` or `endpoint_name`. */
  readonly path: string;
  readonly rule: string;
}

/** Terminal: the stored item or the user's input is invalid; retrying will not help. */
export class InvalidSpecError extends Error {
  override readonly name = 'InvalidSpecError';
  readonly issues: readonly SpecIssue[];
  constructor(issues: readonly SpecIssue[]) {
    const first = issues[0];
    super(first ? formatIssue(first) : 'invalid endpoint');
    this.issues = issues;
  }
}

export function formatIssue(issue: SpecIssue): string {
  return issue.path ? `${issue.path}: ${issue.rule}` : issue.rule;
}

export function pathToString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/**
 * Fallback wording for zod issues whose schema did not set a message (required fields, wrong
 * types, enums). Passed to safeParse so every message reads `must …, got …`.
 */
export const issueWording: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined
        ? 'is required'
        : `must be ${article(iss.expected)}, got ${showValue(iss.input)}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map(String).join('|')}, got ${showValue(iss.input)}`;
    case 'unrecognized_keys':
      return `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.join(', ')}`;
    default:
      return undefined;
  }
};

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object' || expected === 'record') return 'an object';
  return `a ${expected}`;
}

/** Convert zod issues, prefixing each path (e.g. `spec`). */
export function toSpecIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): SpecIssue[] {
  return error.issues.map((i) => {
    // A bad map key (env name, node selector key…) arrives wrapped; its inner message says why.
    const inner = i.code === 'invalid_key' ? i.issues[0]?.message : undefined;
    return { path: pathToString([...prefix, ...i.path]), rule: inner ?? i.message };
  });
}
