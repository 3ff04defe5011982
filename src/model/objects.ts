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
