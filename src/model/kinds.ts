// The kinds inferctl owns, in one table: everything render, plan, the watch caches, the RBAC
// rules and the bench need to know about a kind is derived from its row. Adding a kind is a row
// here and its object in render/render.ts.
import type { Endpoint } from './endpoint.js';
import { canaryName, deploymentName, hpaName, ingressName, serviceName } from './names.js';

export type RbacVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** Why plan deletes an owned object (a closed list: it is reported in logs, metrics and Events). */
export const DELETE_REASONS = [
  'CanaryRemoved',
  'HpaDisabled',
  'WatchdogTripped',
  'EndpointStopped',
  'EndpointDeleted',
  'RegionRemoved',
  'TooFewReplicas',
  'NotDesired',
  'Orphan',
] as const;
type DeleteReason = (typeof DELETE_REASONS)[number];

/** An object of an endpoint that still runs in this region, which render no longer produces. */
interface UnwantedObject {
  readonly endpoint: Endpoint;
  readonly name: string;
  /** The watchdog has pulled the endpoint's Ingress. */
  readonly ingressPulled: boolean;
}

interface OwnedKind {
  readonly kind: string;
  readonly apiVersion: string;
  /** The resource name in URLs and RBAC rules. */
  readonly plural: string;
  /** Applies run in ascending rank: what others point at exists before they do. */
  readonly applyRank: number;
  /** Deletes run in ascending rank. */
  readonly deleteRank: number;
  /**
   * Sends traffic to the endpoint's other objects: deleted before anything is applied (stop routing
   * before backends change) and applied after everything else (route only to what exists).
   */
  readonly routesTraffic: boolean;
  /** Every name an endpoint may give an object of this kind (primary and canary). */
  readonly names: (endpoint: string) => readonly string[];
  readonly unwantedBecause: (o: UnwantedObject) => DeleteReason;
  readonly rbac: { readonly verbs: readonly RbacVerb[]; readonly why: string };
}

/** list/watch for the watch caches, create/patch for server-side apply, get and delete for the executor. */
const OWNED_VERBS: readonly RbacVerb[] = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
const OWNED_WHY = 'caches (list/watch), executor (apply/delete)';

const canaryGone = ({ endpoint, name }: UnwantedObject): DeleteReason =>
  name === canaryName(endpoint.name) && endpoint.spec.canary === undefined ? 'CanaryRemoved' : 'NotDesired';
const stopped = (o: UnwantedObject): boolean => o.endpoint.desiredState === 'stopped';

const TABLE = [
  {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    plural: 'deployments',
    applyRank: 1,
    deleteRank: 3,
    routesTraffic: false,
    names: (e: string) => [deploymentName(e), canaryName(e)],
    unwantedBecause: canaryGone,
    rbac: { verbs: OWNED_VERBS, why: OWNED_WHY },
  },
  {
    kind: 'Service',
    apiVersion: 'v1',
    plural: 'services',
    applyRank: 0,
    deleteRank: 4,
    routesTraffic: false,
    names: (e: string) => [serviceName(e), canaryName(e)],
    unwantedBecause: canaryGone,
    rbac: { verbs: OWNED_VERBS, why: OWNED_WHY },
  },
  {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    plural: 'ingresses',
    applyRank: 4,
    deleteRank: 0,
    routesTraffic: true,
    names: (e: string) => [ingressName(e)],
    unwantedBecause: (o: UnwantedObject): DeleteReason =>
      o.ingressPulled ? 'WatchdogTripped' : stopped(o) ? 'EndpointStopped' : 'NotDesired',
    rbac: { verbs: OWNED_VERBS, why: OWNED_WHY },
  },
  {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v2',
    plural: 'horizontalpodautoscalers',
    applyRank: 2,
    deleteRank: 1,
    routesTraffic: false,
    names: (e: string) => [hpaName(e)],
    unwantedBecause: (o: UnwantedObject): DeleteReason =>
      stopped(o)
        ? 'EndpointStopped'
        : o.endpoint.spec.autoscaling?.enabled !== true
          ? 'HpaDisabled'
          : 'NotDesired',
    rbac: { verbs: OWNED_VERBS, why: OWNED_WHY },
  },
  {
    kind: 'PodDisruptionBudget',
    apiVersion: 'policy/v1',
    plural: 'poddisruptionbudgets',
    applyRank: 3,
    deleteRank: 2,
    routesTraffic: false,
    names: (e: string) => [e],
    unwantedBecause: (o: UnwantedObject): DeleteReason => (stopped(o) ? 'EndpointStopped' : 'TooFewReplicas'),
    rbac: {
      verbs: OWNED_VERBS,
      why: `${OWNED_WHY}: the budget that keeps a node drain from evicting every replica at once`,
    },
  },
] as const satisfies readonly OwnedKind[];

type OwnedKindName = (typeof TABLE)[number]['kind'];

/** Every kind an endpoint's objects may have. */
export const OWNED_KINDS: readonly OwnedKind[] = TABLE;

const BY_KIND: ReadonlyMap<string, OwnedKind> = new Map(TABLE.map((k) => [k.kind, k]));

export function ownedKind(kind: OwnedKindName): OwnedKind {
  return BY_KIND.get(kind)!;
}

/** The row of a kind read from the cluster, or undefined when it is not one of ours. */
export function findOwnedKind(kind: string): OwnedKind | undefined {
  return BY_KIND.get(kind);
}

/** The API group of an apiVersion (`''` for the core group). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
