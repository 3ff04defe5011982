// Desired objects + observed objects → actions, each with a reason from a closed list. Deciding
// only: the kube layer executes and reports back created/configured/unchanged/deleted/skipped.
import {
  canaryName,
  deploymentName,
  type Endpoint,
  hpaName,
  ingressName,
  LABEL_APP,
  LABEL_ENDPOINT,
  LABEL_MANAGED_BY,
  LABEL_PROJECT,
  LABEL_TYPE,
  MANAGED_BY_VALUE,
  PROJECT_VALUE,
  serviceName,
  TYPE_VALUE,
  weightedActionAnnotation,
} from '../model/index.js';
import { hashOf, type KubeObject, type ObjectRef, ref, refKey } from '../render/index.js';
import { findDrift, type ObservedObject } from './drift.js';

export const ACTION_REASONS = [
  // apply
  'Missing',
  'HashChanged',
  'Drifted',
  // none
  'UpToDate',
  'Terminating',
  // delete (and 'CanaryRemoved' also for the Ingress re-applied without weighted routing)
  'CanaryRemoved',
  'HpaDisabled',
  'WatchdogTripped',
  'EndpointStopped',
  'EndpointDeleted',
  'RegionRemoved',
  'NotDesired',
  'Orphan',
] as const;
export type ActionReason = (typeof ACTION_REASONS)[number];
export type ActionVerb = 'apply' | 'delete' | 'none';

export interface Action {
  readonly verb: ActionVerb;
  readonly ref: ObjectRef;
  readonly reason: ActionReason;
  /** For `Drifted`: the first differing field path. */
  readonly detail?: string;
  /** The object to server-side apply (verb `apply` only). */
  readonly object?: KubeObject;
}

export interface PlanContext {
  readonly endpointName: string;
  /** The parsed item; undefined when the item is gone (everything observed is an orphan). */
  readonly endpoint: Endpoint | undefined;
  readonly region: string;
  /** Whether the watchdog has pulled the Ingress (render was told the same). */
  readonly ingressPulled?: boolean;
}

/** Names render can produce for an endpoint (primary, canary, Ingress, HPA), by kind. */
function knownNames(name: string): ReadonlyMap<string, readonly string[]> {
  return new Map([
    ['Deployment', [deploymentName(name), canaryName(name)]],
    ['Service', [serviceName(name), canaryName(name)]],
    ['Ingress', [ingressName(name)]],
    ['HorizontalPodAutoscaler', [hpaName(name)]],
  ]);
}

/**
 * Whether we may delete this observed object on behalf of `endpointName`: it carries our
 * managed-by and endpoint labels, or it is a seed-created object (seed labels, one of the
 * endpoint's object names) that we are adopting.
 */
export function ownedBy(obj: ObservedObject, endpointName: string): boolean {
  const labels = obj.metadata?.labels ?? {};
  if (labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) return labels[LABEL_ENDPOINT] === endpointName;
  const seedLabelled =
    labels[LABEL_PROJECT] === PROJECT_VALUE &&
    labels[LABEL_TYPE] === TYPE_VALUE &&
    labels[LABEL_APP] !== undefined;
  const names = knownNames(endpointName).get(obj.kind ?? '') ?? [];
  return seedLabelled && names.includes(obj.metadata?.name ?? '');
}

const APPLY_ORDER: Readonly<Record<string, number>> = {
  Service: 0,
  Deployment: 1,
  HorizontalPodAutoscaler: 2,
  Ingress: 3,
};
const DELETE_ORDER: Readonly<Record<string, number>> = {
  Ingress: 0,
  HorizontalPodAutoscaler: 1,
  Deployment: 2,
  Service: 3,
};

/**
 * Execution order: the Ingress is deleted first (stop routing before removing backends); then
 * applies Service → Deployment → HPA → Ingress (the Ingress only points at what exists, so a
 * removed canary gets plain routing back before its Service goes); then the other deletes.
 */
function rank(a: Action): number {
  if (a.verb === 'delete') return a.ref.kind === 'Ingress' ? 0 : 20 + (DELETE_ORDER[a.ref.kind] ?? 9);
  return 10 + (APPLY_ORDER[a.ref.kind] ?? 9);
}

export function sortActions(actions: readonly Action[]): Action[] {
  return [...actions].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.ref.namespace.localeCompare(b.ref.namespace) ||
      a.ref.name.localeCompare(b.ref.name) ||
      a.ref.kind.localeCompare(b.ref.kind),
  );
}

function hasWeightedRouting(o: {
  metadata?: { annotations?: Readonly<Record<string, string>> | undefined } | undefined;
}): boolean {
  return o.metadata?.annotations?.[weightedActionAnnotation()] !== undefined;
}

function applyReason(
  desired: KubeObject,
  live: ObservedObject,
): { reason: ActionReason; detail?: string } | undefined {
  if (hashOf(live) !== hashOf(desired)) {
    if (desired.kind === 'Ingress' && hasWeightedRouting(live) && !hasWeightedRouting(desired)) {
      return { reason: 'CanaryRemoved' };
    }
    return { reason: 'HashChanged' };
  }
  const drift = findDrift(desired, live);
  return drift === undefined ? undefined : { reason: 'Drifted', detail: drift };
}

function deleteReason(obj: ObservedObject, ctx: PlanContext): ActionReason {
  const ep = ctx.endpoint;
  if (!ep) return 'Orphan';
  if (ep.desiredState === 'deleted') return 'EndpointDeleted';
  if (!ep.targetRegions.includes(ctx.region)) return 'RegionRemoved';
  const name = obj.metadata?.name ?? '';
  if (obj.metadata?.namespace !== ep.namespace) return 'NotDesired';
  const stopped = ep.desiredState === 'stopped';
  switch (obj.kind) {
    case 'Deployment':
    case 'Service':
      return name === canaryName(ep.name) && ep.spec.canary === undefined ? 'CanaryRemoved' : 'NotDesired';
    case 'HorizontalPodAutoscaler':
      if (stopped) return 'EndpointStopped';
      return ep.spec.autoscaling?.enabled !== true ? 'HpaDisabled' : 'NotDesired';
    case 'Ingress':
      if (ctx.ingressPulled === true) return 'WatchdogTripped';
      return stopped ? 'EndpointStopped' : 'NotDesired';
    default:
      return 'NotDesired';
  }
}

/**
 * Compare the rendered objects with the endpoint's observed ones.
 * - desired and missing → apply `Missing`; hash annotation differs → apply `HashChanged` (or
 *   `CanaryRemoved` for an Ingress losing its weighted routing); fields we render changed by
 *   hand → apply `Drifted`; otherwise none `UpToDate` (none `Terminating` while being deleted);
 * - observed, owned (see ownedBy) and not desired → delete, with the reason it is no longer
 *   wanted. Objects already being deleted are left alone.
 */
export function plan(
  desired: readonly KubeObject[],
  observed: readonly ObservedObject[],
  ctx: PlanContext,
): Action[] {
  const live = new Map<string, ObservedObject>();
  for (const o of observed) live.set(refKey(ref(o)), o);
  const wanted = new Set<string>();
  const actions: Action[] = [];

  for (const d of desired) {
    const r = ref(d);
    const key = refKey(r);
    wanted.add(key);
    const l = live.get(key);
    if (!l) {
      actions.push({ verb: 'apply', ref: r, reason: 'Missing', object: d });
      continue;
    }
    if (l.metadata?.deletionTimestamp) {
      actions.push({ verb: 'none', ref: r, reason: 'Terminating' });
      continue;
    }
    const why = applyReason(d, l);
    if (why) actions.push({ verb: 'apply', ref: r, ...why, object: d });
    else actions.push({ verb: 'none', ref: r, reason: 'UpToDate' });
  }

  for (const [key, o] of live) {
    if (wanted.has(key) || o.metadata?.deletionTimestamp || !ownedBy(o, ctx.endpointName)) continue;
    actions.push({ verb: 'delete', ref: ref(o), reason: deleteReason(o, ctx) });
  }
  return sortActions(actions);
}

/**
 * Objects we own whose endpoint no longer exists. Returns nothing unless the scan of the
 * endpoints table was complete and successful (a partial read must never delete anything).
 * Objects without an endpoint label (the Lease) are never orphans.
 */
export function planOrphans(
  owned: readonly ObservedObject[],
  knownEndpointNames: ReadonlySet<string> | readonly string[],
  scanComplete: boolean,
): Action[] {
  if (!scanComplete) return [];
  const known =
    knownEndpointNames instanceof Set ? knownEndpointNames : new Set(knownEndpointNames as readonly string[]);
  const out: Action[] = [];
  for (const o of owned) {
    const labels = o.metadata?.labels ?? {};
    const endpoint = labels[LABEL_ENDPOINT];
    if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE || endpoint === undefined) continue;
    if (known.has(endpoint) || o.metadata?.deletionTimestamp) continue;
    out.push({ verb: 'delete', ref: ref(o), reason: 'Orphan' });
  }
  return sortActions(out);
}

/** One line per action, for logs and `--dry-run`. */
export function describeAction(a: Action): string {
  const detail = a.detail ? ` (${a.detail})` : '';
  return `${a.verb} ${refKey(a.ref)}: ${a.reason}${detail}`;
}
