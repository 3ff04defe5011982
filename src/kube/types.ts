// What the kube edge adds to model's object shape: the executor's outcomes and the apiVersion of
// every kind it reads or writes without being told.
import { OWNED_KINDS } from '../model/index.js';

/** What the executor did, in the same vocabulary as plan's actions and `--dry-run` output. */
export type Outcome = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

/** apiVersion of each kind this package reads or writes: the owned kinds, the Lease and the RBAC objects. */
export const KIND_API_VERSIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(OWNED_KINDS.map((k) => [k.kind, k.apiVersion])),
  Lease: 'coordination.k8s.io/v1',
  ServiceAccount: 'v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
};
