// Resource paths without discovery. The monitor talks to a handful of built-in kinds whose
// plural names and scopes are fixed by the Kubernetes API, so a table replaces the discovery
// round trips (and the generated client that came with them).
import { apiGroupOf, type KubeRef, OWNED_KINDS } from '../model/index.js';
import { KIND_API_VERSIONS } from './types.js';

interface ResourceInfo {
  readonly plural: string;
  readonly namespaced: boolean;
}

/**
 * `group/Kind` (core group: `/Kind`) → plural and scope. Versions do not change either. The owned
 * kinds (all namespaced) come from their table; the rest are kinds the CLI, tests and tools use.
 */
const RESOURCES: ReadonlyMap<string, ResourceInfo> = new Map<string, ResourceInfo>([
  ...OWNED_KINDS.map(
    (k) => [`${apiGroupOf(k.apiVersion)}/${k.kind}`, { plural: k.plural, namespaced: true }] as const,
  ),
  ...(
    [
      ['', 'Pod', 'pods', true],
      ['', 'ServiceAccount', 'serviceaccounts', true],
      ['', 'ConfigMap', 'configmaps', true],
      ['', 'Secret', 'secrets', true],
      ['', 'Endpoints', 'endpoints', true],
      ['', 'Event', 'events', true],
      ['', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
      ['', 'ResourceQuota', 'resourcequotas', true],
      ['', 'LimitRange', 'limitranges', true],
      ['', 'Namespace', 'namespaces', false],
      ['', 'Node', 'nodes', false],
      ['', 'PersistentVolume', 'persistentvolumes', false],
      ['apps', 'ReplicaSet', 'replicasets', true],
      ['apps', 'StatefulSet', 'statefulsets', true],
      ['apps', 'DaemonSet', 'daemonsets', true],
      ['batch', 'Job', 'jobs', true],
      ['batch', 'CronJob', 'cronjobs', true],
      ['networking.k8s.io', 'NetworkPolicy', 'networkpolicies', true],
      ['networking.k8s.io', 'IngressClass', 'ingressclasses', false],
      ['coordination.k8s.io', 'Lease', 'leases', true],
      ['events.k8s.io', 'Event', 'events', true],
      ['discovery.k8s.io', 'EndpointSlice', 'endpointslices', true],
      ['rbac.authorization.k8s.io', 'Role', 'roles', true],
      ['rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings', true],
      ['rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', false],
      ['rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', false],
      ['scheduling.k8s.io', 'PriorityClass', 'priorityclasses', false],
      ['storage.k8s.io', 'StorageClass', 'storageclasses', false],
      ['admissionregistration.k8s.io', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false],
      [
        'admissionregistration.k8s.io',
        'ValidatingAdmissionPolicyBinding',
        'validatingadmissionpolicybindings',
        false,
      ],
      [
        'admissionregistration.k8s.io',
        'ValidatingWebhookConfiguration',
        'validatingwebhookconfigurations',
        false,
      ],
      [
        'admissionregistration.k8s.io',
        'MutatingWebhookConfiguration',
        'mutatingwebhookconfigurations',
        false,
      ],
      ['apiextensions.k8s.io', 'CustomResourceDefinition', 'customresourcedefinitions', false],
      ['flowcontrol.apiserver.k8s.io', 'FlowSchema', 'flowschemas', false],
      ['flowcontrol.apiserver.k8s.io', 'PriorityLevelConfiguration', 'prioritylevelconfigurations', false],
      ['authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews', false],
      ['authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false],
      ['authentication.k8s.io', 'TokenReview', 'tokenreviews', false],
    ] as const
  ).map(([group, kind, plural, namespaced]) => [`${group}/${kind}`, { plural, namespaced }] as const),
]);

/** A kind the path table does not know; add it to `resources.ts` (no discovery fallback by design). */
export class UnknownKindError extends Error {
  override readonly name = 'UnknownKindError';
  constructor(
    readonly apiVersion: string | undefined,
    readonly kind: string,
  ) {
    super(
      apiVersion
        ? `no resource path known for ${apiVersion} ${kind}`
        : `no apiVersion known for kind ${kind}; pass one in the ref`,
    );
  }
}

/**
 * `/apis/apps/v1/namespaces/ns/deployments[/name]`. Like client-node's `specUriPath`: a namespaced
 * object without a namespace gets `defaultNamespace`, except in a list (no name), where an empty
 * namespace means every namespace.
 */
export function resourcePath(ref: KubeRef, withName: boolean, defaultNamespace = 'default'): string {
  const apiVersion = ref.apiVersion ?? KIND_API_VERSIONS[ref.kind];
  if (!apiVersion) throw new UnknownKindError(undefined, ref.kind);
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const info = RESOURCES.get(`${group}/${ref.kind}`);
  if (!info) throw new UnknownKindError(apiVersion, ref.kind);
  const parts = [group === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`];
  const namespace = ref.namespace || (info.namespaced && withName ? defaultNamespace : '');
  if (info.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
  parts.push(info.plural);
  if (withName) {
    if (!ref.name) throw new Error(`${ref.kind}: a name is required for this request`);
    parts.push(encodeURIComponent(ref.name));
  }
  return parts.join('/');
}
