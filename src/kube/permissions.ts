// The single table of what the monitor may do in Kubernetes (PRACTICES 14), and the RBAC objects
// rendered from it. Least privilege: namespaced Roles only, no wildcards, no Secrets, no
// cluster-scoped grants. Server-side apply is a PATCH, and an apply that creates an object is also
// authorized as `create`, so writes need both verbs; nothing here uses PUT except the Lease.
import {
  apiGroupOf,
  type KubeObject,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  OWNED_KINDS,
  type RbacVerb,
} from '../model/index.js';

interface Permission {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verbs: readonly RbacVerb[];
  /** Which code needs it. */
  readonly why: string;
}

/** Granted in every allowed endpoint namespace: each owned kind's row (model/kinds.ts), pods, then Events. */
export const NAMESPACED_PERMISSIONS: readonly Permission[] = [
  ...OWNED_KINDS.map((k) => ({
    apiGroup: apiGroupOf(k.apiVersion),
    resource: k.plural,
    verbs: k.rbac.verbs,
    why: k.rbac.why,
  })),
  {
    apiGroup: '',
    resource: 'pods',
    // No get: the cache is the only reader, and nothing writes pods.
    verbs: ['list', 'watch'],
    why: 'caches.ts: the pod watch diagnosis reads (why an endpoint is not serving)',
  },
  {
    apiGroup: 'events.k8s.io',
    resource: 'events',
    verbs: ['create'],
    why: 'events.ts: one Event per reconcile that changed something or failed',
  },
];

/** Granted only in the monitor's own namespace. */
export const LEASE_PERMISSIONS: readonly Permission[] = [
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['get', 'create', 'update'],
    why: 'leader election (lease.ts)',
  },
];

interface MonitorRbacOptions {
  /** The monitor's namespace: its ServiceAccount and the leader Lease live here. */
  readonly namespace: string;
  /** Namespaces endpoints may use (ALLOWED_NAMESPACES). */
  readonly allowedNamespaces: readonly string[];
  readonly serviceAccountName?: string;
  /** Prefix of Role/RoleBinding names. */
  readonly name?: string;
}

function rules(permissions: readonly Permission[]) {
  return permissions.map((p) => ({ apiGroups: [p.apiGroup], resources: [p.resource], verbs: [...p.verbs] }));
}

/** ServiceAccount, a Role + RoleBinding per allowed namespace, and the Lease Role + RoleBinding. */
export function renderMonitorRbac(options: MonitorRbacOptions): KubeObject[] {
  const sa = options.serviceAccountName ?? 'inference-monitor';
  const name = options.name ?? 'inferctl-monitor';
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, 'app.kubernetes.io/component': 'monitor' };
  const subject = { kind: 'ServiceAccount', name: sa, namespace: options.namespace };
  const roleAndBinding = (
    roleName: string,
    namespace: string,
    permissions: readonly Permission[],
  ): KubeObject[] => [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: roleName, namespace, labels },
      rules: rules(permissions),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: roleName, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [subject],
    },
  ];
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: options.namespace, labels },
    },
    ...[...new Set(options.allowedNamespaces)]
      .sort()
      .flatMap((ns) => roleAndBinding(name, ns, NAMESPACED_PERMISSIONS)),
    ...roleAndBinding(`${name}-leader-election`, options.namespace, LEASE_PERMISSIONS),
  ];
}
