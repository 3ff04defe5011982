// What a user writes (a file, flags) is held to a stricter standard than a stored item: an unknown
// field is refused with a suggestion, because zod would otherwise drop a typo such as `gpu_cont`
// silently and deploy the default. Stored items stay lenient so items written by the Python
// tooling keep parsing.
import type { z } from 'zod';
import { InvalidSpecError, pathToString, type SpecIssue } from './errors.js';
import { isLabelKey, isLabelValue, LABEL_APP, LABEL_MANAGED_BY, LABEL_PROJECT } from './names.js';
import { EndpointSpecSchema, showValue } from './schema.js';

/** The keys of an endpoint file: exactly what `inferctl get NAME -o yaml` prints. */
const FILE_KEYS = ['name', 'namespace', 'target_regions', 'labels', 'spec'] as const;

/** Label keys and prefixes inferctl sets on every object it renders; a user label may not claim them. */
const RESERVED_LABEL_KEYS = new Set([LABEL_APP, LABEL_PROJECT, LABEL_MANAGED_BY]);
const RESERVED_LABEL_PREFIXES = ['gco.io/', 'inferctl.io/'];

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate, when it is close enough to be the likely intent (case and -/_ ignored). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll('-', '_');
  const w = norm(word);
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, norm(c));
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(1, Math.floor(w.length / 3)) ? best.c : undefined;
}

function unknownFieldRule(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return guess ? `unknown field, did you mean ${guess}?` : `unknown field; known fields: ${known.join(', ')}`;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
};

/** Strip wrappers (default, optional, prefault, transform pipes) down to the shape that holds keys. */
function core(schema: z.ZodType): Def {
  let def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  for (;;) {
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return def;
    def = (next as unknown as { _zod: { def: Def } })._zod.def;
  }
}

/** Every key of `value` the schema does not declare, at any depth, with a suggestion. */
function unknownFields(value: unknown, schema: z.ZodType, path: readonly PropertyKey[]): SpecIssue[] {
  const def = core(schema);
  if (value === null || typeof value !== 'object') return [];
  if (def.type === 'array' && def.element && Array.isArray(value)) {
    const element = def.element;
    return value.flatMap((v, i) => unknownFields(v, element, [...path, i]));
  }
  if (Array.isArray(value)) return [];
  const entries = Object.entries(value as Record<string, unknown>);
  if (def.type === 'record' && def.valueType) {
    const valueType = def.valueType;
    return entries.flatMap(([k, v]) => unknownFields(v, valueType, [...path, k]));
  }
  if (def.type !== 'object' || !def.shape) return [];
  const shape = def.shape;
  const known = Object.keys(shape);
  return entries.flatMap(([k, v]) => {
    const field = shape[k];
    return field
      ? unknownFields(v, field, [...path, k])
      : [{ path: pathToString([...path, k]), rule: unknownFieldRule(k, known) }];
  });
}

/** Unknown fields of a spec the user wrote, as `spec.<path>` issues. */
function unknownSpecFields(spec: unknown): SpecIssue[] {
  return unknownFields(spec, EndpointSpecSchema, ['spec']);
}

/** Why a user label cannot be used (Kubernetes label rules, and not one of inferctl's own). */
export function labelIssues(labels: unknown, field = 'labels'): SpecIssue[] {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    return [{ path: field, rule: `must be a mapping of label keys to values, got ${showValue(labels)}` }];
  }
  const out: SpecIssue[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const path = `${field}.${k}`;
    if (!isLabelKey(k)) {
      out.push({
        path,
        rule: `keys must be [DNS-subdomain prefix/]name, the name ≤ 63 of letters, digits, "-", "_", "." starting and ending alphanumeric, got ${showValue(k)}`,
      });
    } else if (RESERVED_LABEL_KEYS.has(k) || RESERVED_LABEL_PREFIXES.some((p) => k.startsWith(p))) {
      out.push({
        path,
        rule: `is set by inferctl on every object (reserved: ${[...RESERVED_LABEL_KEYS].join(', ')}, ${RESERVED_LABEL_PREFIXES.map((p) => `${p}*`).join(', ')}); choose another key`,
      });
    } else if (typeof v !== 'string' || !isLabelValue(v)) {
      out.push({
        path,
        rule: `values must be ≤ 63 letters, digits, "-", "_", "." starting and ending alphanumeric (or empty), got ${showValue(v)}`,
      });
    }
  }
  return out;
}

/** An endpoint file after the strict checks; the spec is validated later, once flags are applied. */
export interface EndpointFile {
  readonly name?: string;
  readonly namespace?: string;
  readonly targetRegions?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A file holds either a whole endpoint (`{name, namespace, target_regions, labels, spec}`) or a
 * bare spec. Throws InvalidSpecError naming every unknown or malformed field.
 */
export function parseEndpointFile(doc: unknown): EndpointFile {
  if (!isMapping(doc)) {
    throw new InvalidSpecError([
      {
        path: '',
        rule: `expected a mapping with name, target_regions and spec (or a bare spec), got ${showValue(doc)}`,
      },
    ]);
  }
  const whole = FILE_KEYS.some((k) => k !== 'spec' && k in doc) || 'spec' in doc;
  if (!whole) {
    const issues = unknownSpecFields(doc);
    if (issues.length > 0) throw new InvalidSpecError(issues);
    return { spec: doc };
  }
  const issues: SpecIssue[] = [];
  for (const k of Object.keys(doc)) {
    if (!(FILE_KEYS as readonly string[]).includes(k))
      issues.push({ path: k, rule: unknownFieldRule(k, FILE_KEYS) });
  }
  const { name, namespace, target_regions: regions, labels, spec } = doc;
  if (name !== undefined && typeof name !== 'string')
    issues.push({ path: 'name', rule: `must be a string, got ${showValue(name)}` });
  if (namespace !== undefined && typeof namespace !== 'string') {
    issues.push({ path: 'namespace', rule: `must be a string, got ${showValue(namespace)}` });
  }
  if (regions !== undefined && (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string'))) {
    issues.push({
      path: 'target_regions',
      rule: `must be a list of region names, got ${showValue(regions)}`,
    });
  }
  if (labels !== undefined) issues.push(...labelIssues(labels));
  if (!isMapping(spec)) issues.push({ path: 'spec', rule: `must be a mapping, got ${showValue(spec)}` });
  else issues.push(...unknownSpecFields(spec));
  if (issues.length > 0) throw new InvalidSpecError(issues);
  return {
    ...(typeof name === 'string' ? { name } : {}),
    ...(typeof namespace === 'string' ? { namespace } : {}),
    ...(Array.isArray(regions) ? { targetRegions: regions as string[] } : {}),
    ...(labels !== undefined ? { labels: labels as Record<string, string> } : {}),
    spec: spec as Record<string, unknown>,
  };
}
