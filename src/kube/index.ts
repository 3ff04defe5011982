// The Kubernetes edge of the monitor: watch caches, server-side apply/delete, the leader lease,
// and the RBAC the monitor needs.

export type { KubeObject } from '../model/index.js';
export { KubeExecutor } from './apply.js';
export { KubeCaches, WATCHED_KINDS } from './caches.js';
export { KubeClient } from './client.js';
export type { KubeAccess, KubeHttpResponse, WatchEvent } from './connection.js';
export { openKubeAccess } from './connection.js';
export { KubeApiError, KubeTransportError, NotLeaderError } from './errors.js';
export { EventRecorder } from './events.js';
export type { AccessPlan } from './kubeconfig.js';
export { defaultKubeconfigPath, KubeconfigError, planInCluster, planKubeconfigFile } from './kubeconfig.js';
export { LeaderElector, uniqueIdentity } from './lease.js';
export { LEASE_PERMISSIONS, NAMESPACED_PERMISSIONS, renderMonitorRbac } from './permissions.js';
export type { CacheEvent } from './reflector.js';
export { UnknownKindError } from './resources.js';
