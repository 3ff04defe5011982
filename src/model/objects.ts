// The one shape of a Kubernetes object in inferctl: wire-format (camelCase) JSON as render produces
// it, plan compares it, the kube edge sends and receives it and the watch caches hold it.

interface KubeMetadata {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly resourceVersion?: string | undefined;
  readonly uid?: string | undefined;
  readonly generation?: number | undefined;
  readonly deletionTimestamp?: string | undefined;
  readonly [field: string]: unknown;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: KubeMetadata;
  readonly [field: string]: unknown;
}

/** Which object: enough to build its URL (the apiVersion defaults from the kind for the kinds we know). */
export interface KubeRef {
  readonly apiVersion?: string | undefined;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function refOf(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): KubeRef {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
  };
}

/** `Kind/namespace/name`, for maps, logs, errors and `--dry-run` output. */
export function refKey(r: KubeRef): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

/**
 * Marks a cached object whose rendered fields plan has found to hold (no drift), after which the
 * watch cache drops what only that check reads (kube/keep.ts, settleOwned). The verdict stands
 * until the watch brings another version of the object, which replaces this one: a settled object
 * whose hash annotation still matches its render is up to date without comparing fields.
 */
export const SETTLED: unique symbol = Symbol('inferctl.settled');

export function isSettled(o: KubeObject): boolean {
  return (o as { readonly [SETTLED]?: boolean })[SETTLED] === true;
}
