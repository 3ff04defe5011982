// The endpoint as a user declares it: what `get -o yaml` prints, what `apply -f` reads, and (with
// the desired state) what every writing verb diffs before it writes.
import type { DesiredState, Endpoint, EndpointSpec } from '../model/index.js';
import type { EndpointChange, EndpointRecord } from '../store/index.js';
import { CliError } from './errors.js';

export interface EndpointDocument {
  readonly name: string;
  readonly namespace: string;
  readonly target_regions: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: EndpointSpec;
}

/** What a write may change: the document and the desired state. */
export interface DiffSubject extends Omit<EndpointDocument, 'spec'> {
  readonly desired_state: DesiredState | string;
  readonly spec: Readonly<Record<string, unknown>>;
}

function documentOf(e: Endpoint): EndpointDocument {
  return {
    name: e.name,
    namespace: e.namespace,
    target_regions: [...e.targetRegions],
    labels: { ...e.labels },
    spec: e.spec,
  };
}

/** The record as a diff subject; an item the schema rejects is shown as stored, so it can be fixed. */
export function subjectOf(rec: EndpointRecord): DiffSubject {
  if (rec.parsed.ok) return { ...documentOf(rec.parsed.value), desired_state: rec.parsed.value.desiredState };
  const raw = rec.raw;
  const obj = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, never>) : {};
  return {
    name: rec.name,
    namespace: String(raw.namespace ?? ''),
    target_regions: Array.isArray(raw.target_regions) ? raw.target_regions.map(String) : [],
    labels: obj(raw.labels),
    spec: obj(raw.spec),
    desired_state: String(raw.desired_state ?? 'deploying'),
  };
}

export function withChange(s: DiffSubject, c: EndpointChange): DiffSubject {
  return {
    ...s,
    ...(c.spec ? { spec: c.spec } : {}),
    ...(c.targetRegions ? { target_regions: [...new Set(c.targetRegions)].sort() } : {}),
    ...(c.namespace ? { namespace: c.namespace } : {}),
    ...(c.labels ? { labels: { ...c.labels } } : {}),
    ...(c.desiredState ? { desired_state: c.desiredState } : {}),
  };
}

export function parsedOrThrow(rec: EndpointRecord): Endpoint {
  if (rec.parsed.ok) return rec.parsed.value;
  throw new CliError(
    'INVALID_INPUT',
    `stored endpoint ${rec.name} is invalid: ${rec.parsed.error.message}; fix it with \`inferctl apply -f\` or \`inferctl update\``,
    { cause: rec.parsed.error },
  );
}
