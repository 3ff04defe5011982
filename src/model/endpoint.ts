// Parsing stored endpoint items into the camelCase Endpoint the rest of the code uses.

import { InvalidSpecError, issueWording, type SpecIssue, toSpecIssues } from './errors.js';
import { ingressPathFor } from './names.js';
import {
  type DesiredState,
  EndpointItemSchema,
  type EndpointSpec,
  EndpointSpecSchema,
  SPEC_KEYS,
} from './schema.js';

export interface Endpoint {
  readonly name: string;
  readonly desiredState: DesiredState;
  /** Sorted, unique. */
  readonly targetRegions: readonly string[];
  readonly namespace: string;
  /** Snake_case, exactly the stored contract, with defaults filled in. */
  readonly spec: EndpointSpec;
  /** `/inference/{name}` unless the item says otherwise. */
  readonly ingressPath: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdBy?: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  /** Missing in items written by the Python tooling: counts as 0. */
  readonly generation: number;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error: InvalidSpecError /** the endpoint name, when readable */;
      readonly name?: string;
    };

/** Python tooling may store explicit nulls (DynamoDB NULL) for absent optional fields. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v instanceof Set) return v;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (val !== null) out[k] = dropNulls(val);
    return out;
  }
  return v;
}

/** Validate a spec on its own (the CLI's input); issue paths are prefixed with `spec.`. */
export function parseSpec(raw: unknown): ParseResult<EndpointSpec> {
  const r = EndpointSpecSchema.safeParse(dropNulls(raw), { error: issueWording });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: new InvalidSpecError(toSpecIssues(r.error, ['spec'])) };
}

/** Like parseSpec, but throws InvalidSpecError. */
export function parseSpecOrThrow(raw: unknown): EndpointSpec {
  const r = parseSpec(raw);
  if (!r.ok) throw r.error;
  return r.value;
}

/** Top-level spec keys the schema does not know (dropped on parse); the CLI may warn about them. */
export function unknownSpecKeys(raw: unknown): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  return Object.keys(raw)
    .filter((k) => !SPEC_KEYS.includes(k))
    .sort();
}

/** Parse a whole stored item. Never throws. */
export function parseEndpointItem(raw: unknown): ParseResult<Endpoint> {
  const cleaned = dropNulls(raw);
  const r = EndpointItemSchema.safeParse(cleaned, { error: issueWording });
  if (!r.success) {
    const issues: SpecIssue[] = toSpecIssues(r.error);
    const name =
      cleaned !== null &&
      typeof cleaned === 'object' &&
      typeof (cleaned as { endpoint_name?: unknown }).endpoint_name === 'string'
        ? (cleaned as { endpoint_name: string }).endpoint_name
        : undefined;
    return name === undefined
      ? { ok: false, error: new InvalidSpecError(issues) }
      : { ok: false, error: new InvalidSpecError(issues), name };
  }
  const item = r.data;
  const endpoint: Endpoint = {
    name: item.endpoint_name,
    desiredState: item.desired_state,
    targetRegions: item.target_regions,
    namespace: item.namespace,
    spec: item.spec,
    ingressPath: item.ingress_path ?? ingressPathFor(item.endpoint_name),
    labels: item.labels,
    ...(item.created_by !== undefined ? { createdBy: item.created_by } : {}),
    ...(item.created_at !== undefined ? { createdAt: item.created_at } : {}),
    ...(item.updated_at !== undefined ? { updatedAt: item.updated_at } : {}),
    generation: item.generation,
  };
  return { ok: true, value: endpoint };
}

/** The image a region runs: `region_image_uris[region]` when present, else `image` (DESIGN §4.13). */
export function effectiveImage(
  spec: Pick<EndpointSpec, 'image' | 'region_image_uris'>,
  region: string,
): string {
  return spec.region_image_uris?.[region] ?? spec.image;
}

/**
 * Change the image consistently: set `image` and drop the per-region map, which would otherwise
 * keep overriding it (the seed's stale-map bug). Pass `regionImages` to write a new map instead.
 */
export function withImage(
  spec: EndpointSpec,
  image: string,
  regionImages?: Readonly<Record<string, string>>,
): EndpointSpec {
  const { region_image_uris: _dropped, ...rest } = spec;
  return regionImages ? { ...rest, image, region_image_uris: { ...regionImages } } : { ...rest, image };
}

/**
 * The same rule for a whole new spec written over a stored one: when the image changes and the
 * writer left `region_image_uris` as it was stored, the map is stale and is dropped.
 */
export function keepImagesConsistent(storedSpec: unknown, next: EndpointSpec): EndpointSpec {
  const old = storedSpec && typeof storedSpec === 'object' ? (storedSpec as Record<string, unknown>) : {};
  if (next.region_image_uris === undefined || old.image === next.image) return next;
  const unchangedMap =
    JSON.stringify(old.region_image_uris ?? null) === JSON.stringify(next.region_image_uris);
  return unchangedMap ? withImage(next, next.image) : next;
}
