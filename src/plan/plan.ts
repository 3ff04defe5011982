// Desired objects + observed objects → actions, each with a reason from a closed list. Deciding
// only: the controller executes them through the kube layer.
import {
  compareText,
  DELETE_REASONS,
  type Endpoint,
  findOwnedKind,
  isSettled,
  type KubeObject,
  type KubeRef,
  LABEL_APP,
  LABEL_ENDPOINT,
  LABEL_MANAGED_BY,
  LABEL_PROJECT,
  LABEL_TYPE,
  MANAGED_BY_VALUE,
  PROJECT_VALUE,
  refKey,
  refOf,
  TYPE_VALUE,
  weightedActionAnnotation,
} from '../model/index.js';
import { hashOf } from '../render/index.js';
import { findDrift } from './drift.js';

const ACTION_REASONS = [
  // apply
  'Missing',
  'HashChanged',
  'Drifted',
  // handOff
  'AutoscalerTakesReplicas',
  // none
  'UpToDate',
  'Terminating',
  // delete (and 'CanaryRemoved' also for the Ingress re-applied without weighted routing)
  ...DELETE_REASONS,
] as const;
type ActionReason = (typeof ACTION_REASONS)[number];
/**
 * `handOff`: before an apply that stops setting `spec.replicas` (autoscaling turned on), share the
 * field at its live count so server-side apply does not reset it to the default of 1 when we drop
 * our claim; the HPA controller takes it over from there (see kube/apply.ts handOffReplicas).
 */
type ActionVerb = 'apply' | 'delete' | 'handOff' | 'none';

export interface Action {
  readonly verb: ActionVerb;
  readonly ref: KubeRef;
  readonly reason: ActionReason;
  /** For `Drifted`: the first differing field path. */
  readonly detail?: string;
  /** The object to server-side apply (verb `apply` only). */
  readonly object?: KubeObject;
  /** The live replica count to hold (verb `handOff` only). */
  readonly replicas?: number;
}

interface PlanContext {
  readonly endpointName: string;
  /** The parsed item; undefined when the item is gone (everything observed is an orphan). */
  readonly endpoint: Endpoint | undefined;
  readonly region: string;
  /** Whether the watchdog has pulled the Ingress (render was told the same). */
  readonly ingressPulled?: boolean;
}

/**
 * Whether we may delete this observed object on behalf of `endpointName`: it carries our
 * managed-by and endpoint labels, or it is a seed-created object (seed labels, one of the
 * endpoint's object names) that we are adopting.
 */
function ownedBy(obj: KubeObject, endpointName: string): boolean {
  const labels = obj.metadata.labels ?? {};
  if (labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) return labels[LABEL_ENDPOINT] === endpointName;
  const seedLabelled =
    labels[LABEL_PROJECT] === PROJECT_VALUE &&
    labels[LABEL_TYPE] === TYPE_VALUE &&
    labels[LABEL_APP] !== undefined;
  const names = findOwnedKind(obj.kind)?.names(endpointName) ?? [];
  return seedLabelled && names.includes(obj.metadata.name);
}

/**
 * Execution order, from the kinds table: what routes traffic (the Ingress) is deleted first (stop
 * routing before removing backends); then applies by apply rank, the Ingress last (it only points
 * at what exists, so a removed canary gets plain routing back before its Service goes); then the
 * other deletes by delete rank. Unknown kinds go after the known ones.
 */
function rank(a: Action): number {
  const k = findOwnedKind(a.ref.kind);
  if (a.verb === 'delete') return (k?.routesTraffic ? 0 : 300) + (k?.deleteRank ?? 99);
  // A hand-off goes before every apply, so its object's apply (in any wave) follows it.
  if (a.verb === 'handOff') return 100 + (k?.applyRank ?? 99);
  return 200 + (k?.applyRank ?? 99);
}

function sortActions(actions: readonly Action[]): Action[] {
  return [...actions].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      compareText(a.ref.namespace, b.ref.namespace) ||
      compareText(a.ref.name, b.ref.name) ||
      compareText(a.ref.kind, b.ref.kind),
  );
}

function hasWeightedRouting(o: KubeObject): boolean {
  return o.metadata.annotations?.[weightedActionAnnotation()] !== undefined;
}

function applyReason(
  desired: KubeObject,
  live: KubeObject,
): { reason: ActionReason; detail?: string } | undefined {
  if (hashOf(live) !== hashOf(desired)) {
    // Only an Ingress routing to a canary carries the weighted-routing annotation.
    if (hasWeightedRouting(live) && !hasWeightedRouting(desired)) {
      return { reason: 'CanaryRemoved' };
    }
    return { reason: 'HashChanged' };
  }
  // Checked against a render with this very hash, and unchanged since (a new version replaces it).
  if (isSettled(live)) return undefined;
  const drift = findDrift(desired, live);
  return drift === undefined ? undefined : { reason: 'Drifted', detail: drift };
}

/** Why an owned object goes: first what is true of the whole endpoint, then its kind's row. */
function deleteReason(obj: KubeObject, ctx: PlanContext): ActionReason {
  const ep = ctx.endpoint;
  if (!ep) return 'Orphan';
  if (ep.desiredState === 'deleted') return 'EndpointDeleted';
  if (!ep.targetRegions.includes(ctx.region)) return 'RegionRemoved';
  const kind = findOwnedKind(obj.kind);
  if (obj.metadata.namespace !== ep.namespace || !kind) return 'NotDesired';
  return kind.unwantedBecause({
    endpoint: ep,
    name: obj.metadata.name,
    ingressPulled: ctx.ingressPulled === true,
  });
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
  observed: readonly KubeObject[],
  ctx: PlanContext,
): Action[] {
  const live = new Map<string, KubeObject>();
  for (const o of observed) live.set(refKey(refOf(o)), o);
  const wanted = new Set<string>();
  const actions: Action[] = [];

  for (const d of desired) {
    const r = refOf(d);
    const key = refKey(r);
    wanted.add(key);
    const l = live.get(key);
    if (!l) {
      actions.push({ verb: 'apply', ref: r, reason: 'Missing', object: d });
      continue;
    }
    if (l.metadata.deletionTimestamp) {
      actions.push({ verb: 'none', ref: r, reason: 'Terminating' });
      continue;
    }
    const why = applyReason(d, l);
    if (!why) {
      actions.push({ verb: 'none', ref: r, reason: 'UpToDate' });
      continue;
    }
    const liveReplicas = replicasOf(l);
    if (replicasOf(d) === undefined && liveReplicas !== undefined) {
      actions.push({ verb: 'handOff', ref: r, reason: 'AutoscalerTakesReplicas', replicas: liveReplicas });
    }
    actions.push({ verb: 'apply', ref: r, ...why, object: d });
  }

  for (const [key, o] of live) {
    if (wanted.has(key) || o.metadata.deletionTimestamp || !ownedBy(o, ctx.endpointName)) continue;
    actions.push({ verb: 'delete', ref: refOf(o), reason: deleteReason(o, ctx) });
  }
  return sortActions(actions);
}

/** One object of a render, without the object: what `planSettled` compares. */
export interface RenderedRef {
  /** refKey of the object. */
  readonly key: string;
  /** The render's content hash (its spec-hash annotation). */
  readonly hash: string | undefined;
}

/** The keys and hashes of rendered objects, for `planSettled`. */
export function renderedRefs(desired: readonly KubeObject[]): RenderedRef[] {
  return desired.map((d) => ({ key: refKey(refOf(d)), hash: hashOf(d) }));
}

/**
 * `plan` for the commonest pass, decided from the render's keys and hashes alone: when exactly the
 * rendered objects are observed, none terminating, each settled (checked for drift against a
 * render with this very hash, ADR 0014) and carrying the rendered hash, every action is
 * `UpToDate`. Undefined whenever `plan` could decide anything else; the caller then renders and
 * plans. A resync's passes over a settled fleet take this path, without rendering.
 */
export function planSettled(
  rendered: readonly RenderedRef[],
  observed: readonly KubeObject[],
): Action[] | undefined {
  if (observed.length !== rendered.length) return undefined;
  const live = new Map<string, KubeObject>();
  for (const o of observed) live.set(refKey(refOf(o)), o);
  // As many distinct observed objects as rendered ones, each matched below: nothing else to delete.
  if (live.size !== rendered.length) return undefined;
  const actions: Action[] = [];
  for (const r of rendered) {
    const l = live.get(r.key);
    if (!l || l.metadata.deletionTimestamp || !isSettled(l) || hashOf(l) !== r.hash) return undefined;
    actions.push({ verb: 'none', ref: refOf(l), reason: 'UpToDate' });
  }
  return sortActions(actions);
}

function replicasOf(obj: KubeObject): number | undefined {
  const replicas = (obj.spec as { replicas?: unknown } | undefined)?.replicas;
  return typeof replicas === 'number' ? replicas : undefined;
}
