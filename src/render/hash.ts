// Canonical JSON and the content hash stored on every object we render.
import { createHash } from 'node:crypto';
import { ANNOTATION_SPEC_HASH, type KubeObject } from '../model/index.js';

/**
 * JSON with object keys sorted at every level and `undefined` members dropped; arrays keep their
 * order. Two equal values always give the same string.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortKeys(x)));
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** sha256 (hex) of the object's canonical JSON, ignoring its own hash annotation. */
export function hashObject(obj: KubeObject): string {
  const { [ANNOTATION_SPEC_HASH]: _ignored, ...annotations } = obj.metadata.annotations ?? {};
  const body = { ...obj, metadata: { ...obj.metadata, annotations } };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * The object with its hash annotation set. Built key by key rather than as `{ ...obj, metadata }`:
 * V8 gives every object made by a spread that overrides one of its keys a hidden class of its own
 * (about 200 bytes each, for every object the monitor keeps in its render memo); objects built in
 * the same key order share one.
 */
export function withHash(obj: KubeObject): KubeObject {
  const hash = hashObject(obj);
  const annotations = sortedRecord({ ...obj.metadata.annotations, [ANNOTATION_SPEC_HASH]: hash });
  return replaced(obj, 'metadata', replaced(obj.metadata, 'annotations', annotations)) as KubeObject;
}

/** A copy of `o` with `key` set to `value` (kept in its place, or added last). */
function replaced<T extends object>(o: T, key: string, value: unknown): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = k === key ? value : (o as Record<string, unknown>)[k];
  if (!(key in out)) out[key] = value;
  return out as T;
}

/** The hash annotation of a (possibly live) object. */
export function hashOf(obj: {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> | undefined } | undefined;
}): string | undefined {
  return obj.metadata?.annotations?.[ANNOTATION_SPEC_HASH];
}

export function sortedRecord<V>(m: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] as V;
  return out;
}
