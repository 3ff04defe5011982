// Plain, JSON-shaped Kubernetes objects as render produces them and plan compares them.

export const KINDS = ['Service', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress'] as const;
export type KubeKind = (typeof KINDS)[number];

export interface KubeMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A rendered object: wire-format (camelCase) JSON with our metadata always present. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: KubeKind;
  readonly metadata: KubeMeta;
  readonly [field: string]: unknown;
}

export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Anything with kind and metadata (a rendered object or one from a watch cache). */
export interface HasRef {
  readonly kind?: string | undefined;
  readonly metadata?:
    | { readonly name?: string | undefined; readonly namespace?: string | undefined }
    | undefined;
}

export function ref(o: HasRef): ObjectRef {
  return { kind: o.kind ?? '', namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' };
}

/** `Kind/namespace/name`, for maps, logs and `--dry-run` output. */
export function refKey(r: ObjectRef): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

export const API_VERSIONS: Readonly<Record<KubeKind, string>> = {
  Service: 'v1',
  Deployment: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Ingress: 'networking.k8s.io/v1',
};
