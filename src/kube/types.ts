// Wire-format (camelCase JSON) Kubernetes objects as the kube edge sends and receives them.
// Structurally compatible with render's KubeObject, so rendered objects pass straight in.

export interface KubeMetadata {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly resourceVersion?: string | undefined;
  readonly uid?: string | undefined;
  readonly generation?: number | undefined;
  readonly [field: string]: unknown;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: KubeMetadata;
  readonly [field: string]: unknown;
}

/** Which object: enough to build its URL (apiVersion defaults from the kind for the kinds we manage). */
export interface KubeRef {
  readonly apiVersion?: string | undefined;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** What the executor did, in the same vocabulary as plan's actions and `--dry-run` output. */
export type Outcome = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

/** Labels on everything we own (DESIGN §2.4). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'inferctl';
export const ENDPOINT_LABEL = 'gco.io/endpoint';
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/** Our server-side-apply field manager: never shared with another tool (PRACTICES 6). */
export const FIELD_MANAGER = 'inferctl';

/** apiVersion of each kind this package reads or writes. */
export const KIND_API_VERSIONS: Readonly<Record<string, string>> = {
  Deployment: 'apps/v1',
  Service: 'v1',
  Ingress: 'networking.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Lease: 'coordination.k8s.io/v1',
  ServiceAccount: 'v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
};

export function refOf(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): KubeRef {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
  };
}

export function describeRef(r: KubeRef): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}
