// The Kubernetes edge of the monitor: watch caches, server-side apply/delete, the leader lease,
// and the RBAC the monitor needs.

export type { KubeObject } from '../model/index.js';
export type { ApplyOptions, ApplyResult, WriteGuard } from './apply.js';
export { KubeExecutor, REPLICAS_HANDOFF_MANAGER } from './apply.js';
export type { CacheEvent, KubeCachesOptions, WatchedKind } from './caches.js';
export { KubeCaches, WATCHED_KINDS } from './caches.js';
export type { RawRequest, RawResponse } from './client.js';
export { KubeClient } from './client.js';
export type { KubeAccess, KubeHttpRequest, KubeHttpResponse, WatchEvent } from './connection.js';
export { accessFromKubeConfig, openKubeAccess } from './connection.js';
export { KubeApiError, KubeTransportError, NotLeaderError } from './errors.js';
export { type EventInput, EventRecorder } from './events.js';
export type { AccessPlan, NativeAccess } from './kubeconfig.js';
export { defaultKubeconfigPath, KubeconfigError, planInCluster, planKubeconfigFile } from './kubeconfig.js';
export type { LeaderElectionOptions } from './lease.js';
export { LeaderElector } from './lease.js';
export type { MonitorRbacOptions, Permission } from './permissions.js';
export { LEASE_PERMISSIONS, NAMESPACED_PERMISSIONS, renderMonitorRbac } from './permissions.js';
export { UnknownKindError } from './resources.js';
export type { Outcome } from './types.js';
