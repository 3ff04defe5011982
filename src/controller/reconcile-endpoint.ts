// Reconcile one endpoint in this region, as named steps (PRACTICES 3):
//   load → guard → render → plan → execute → report
// The key is only a name; everything is re-read from the desired cache (table) and the watch
// caches (cluster). load, guard, render and plan only read and decide; execute is the only step
// that writes to the cluster, report the only one that writes status, records the Event and purges
// the item.
import type { Logger } from 'pino';
import {
  type Cause,
  type Endpoint,
  findOwnedKind,
  type KubeObject,
  type KubeRef,
  Reason,
  type RegionStatus,
  refKey,
  refOf,
} from '../model/index.js';
import {
  causesToWrite,
  computeStatus,
  diagnoseEndpoint,
  type PodSource,
  plainProgress,
  progressWrite,
  type StatusInput,
  type WatchdogDecision,
  watchdog,
} from '../observe/index.js';
import { type Action, plan, planSettled } from '../plan/index.js';
import { type RenderOptions, render } from '../render/index.js';
import { ConflictError, NotFoundError } from '../store/index.js';
import type { DesiredEntry } from './desired-cache.js';
import { classify, ReconcileError, type Result, TerminalError } from './errors.js';
import type { RenderMemo } from './render-memo.js';
import {
  decideServe,
  finishStatus,
  type RolloutDecision,
  type RolloutPorts,
  type RolloutReport,
  rolloutEvents,
} from './rollout-step.js';

interface DesiredPort {
  get(name: string): DesiredEntry | undefined;
  /** A scan of the endpoints table has completed: an absent name is really absent. */
  readonly scanComplete: boolean;
}

interface ObservedPort extends PodSource {
  byEndpoint(name: string): KubeObject[];
  /** Plan found this cached object up to date: the cache may drop what only that check reads. */
  settle?(obj: KubeObject): void;
}

interface ExecutorPort {
  apply(
    obj: KubeObject,
    options: { previous?: KubeObject | null },
  ): Promise<{ outcome: string; object?: KubeObject }>;
  delete(ref: KubeRef): Promise<{ outcome: string }>;
  handOffReplicas(ref: KubeRef, replicas: number): Promise<void>;
}

interface StatusStorePort {
  putStatusIfChanged(status: RegionStatus): Promise<{ written: boolean }>;
  deleteStatus(endpointName: string, region: string): Promise<void>;
  listStatus(endpointName: string): Promise<RegionStatus[]>;
  purgeEndpoint(name: string, expectedGeneration: number): Promise<void>;
}

/** Own applies the watch has not shown yet (ApplyExpectations). */
interface ExpectationsPort {
  expect(endpoint: string, before: KubeObject | null, applied: KubeObject): void;
  forget(endpoint: string, ref: KubeRef): void;
  overlay(endpoint: string, live: readonly KubeObject[]): KubeObject[];
}

/** This region's last status per endpoint, in memory (StatusBook). */
interface StatusBookPort {
  get(name: string): RegionStatus | undefined;
  set(status: RegionStatus): void;
  /** Remembers a status the write policy held back, and since when. */
  setHeld(status: RegionStatus, since: number): void;
  heldSince(name: string): number | undefined;
  delete(name: string): void;
  /** When the causes of this endpoint were last written (epoch ms), for the write policy. */
  causesWrittenAt(name: string): number | undefined;
  markCausesWritten(name: string, at: number): void;
}

interface ReconcileEvent {
  readonly regarding: KubeRef;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly action: string;
  readonly note: string;
}

export interface ReconcileDeps {
  readonly region: string;
  readonly allowedNamespaces: ReadonlySet<string>;
  readonly unhealthyThresholdMs: number;
  /** The write policy's window for a fresh generation's plain progress (default PROGRESS_HOLD_MS). */
  readonly statusHoldMs?: number;
  readonly modelSyncImage?: string;
  readonly desired: DesiredPort;
  readonly observed: ObservedPort;
  /** Without it, a reconcile before the watch shows an own apply applies the object again. */
  readonly expectations?: ExpectationsPort;
  /** Reuses the render of an unchanged endpoint across reconciles; renders afresh without it. */
  readonly renderMemo?: RenderMemo;
  readonly executor: ExecutorPort;
  readonly store: StatusStorePort;
  readonly statuses: StatusBookPort;
  readonly now: () => Date;
  readonly log: Logger;
  /** Called once per executed apply or delete, for metrics. */
  readonly onAction?: (action: Action, outcome: string, endpoint: string) => void;
  readonly onStatusWritten?: (status: RegionStatus) => void;
  /** Records a Kubernetes Event; failures are logged, never fatal. */
  readonly recordEvent?: (event: ReconcileEvent) => Promise<void>;
  /** Region waves; without it every region applies every generation at once. */
  readonly rollout?: RolloutPorts;
}

export async function reconcileEndpoint(deps: ReconcileDeps, name: string): Promise<Result> {
  const loaded = load(deps, name);
  return report(loaded, await decideAndExecute(loaded));
}

// ---------------------------------------------------------------------------------------------
// load

interface Loaded {
  readonly deps: ReconcileDeps;
  readonly name: string;
  readonly entry: DesiredEntry | undefined;
  readonly observed: KubeObject[];
  readonly previous: RegionStatus | undefined;
}

function load(outer: ReconcileDeps, name: string): Loaded {
  const entry = outer.desired.get(name);
  // Every log line of this pass names the generation it works on.
  const generation = entry?.kind === 'endpoint' ? entry.endpoint.generation : entry?.generation;
  const deps = generation === undefined ? outer : { ...outer, log: outer.log.child({ generation }) };
  const live = deps.observed.byEndpoint(name);
  const observed = deps.expectations ? deps.expectations.overlay(name, live) : live;
  return { deps, name, entry, observed, previous: deps.statuses.get(name) };
}

// ---------------------------------------------------------------------------------------------
// guard

/** The item itself is unusable: report Stalled, no retry. */
interface Stalled {
  readonly kind: 'stalled';
  readonly endpoint?: Endpoint;
  readonly reason: string;
  readonly message: string;
  readonly generation: number;
}

type Guarded =
  /** Nothing to do and nothing to report. */
  | { readonly kind: 'skip' }
  /** The item is gone: whatever still runs for it is an orphan. */
  | { readonly kind: 'gone' }
  | Stalled
  | { readonly kind: 'reconcile'; readonly endpoint: Endpoint };

function guard({ deps, entry, observed, previous }: Loaded): Guarded {
  // Not in the desired cache before any scan of the table has succeeded: we do not know whether
  // the item exists, and a read that failed must never delete anything. The first complete scan
  // queues every endpoint again.
  if (!entry && !deps.desired.scanComplete) {
    deps.log.debug('not known yet: the endpoints table has not been read completely');
    return { kind: 'skip' };
  }
  // A successful read or a complete scan said the item is gone.
  if (!entry) return { kind: 'gone' };
  if (entry.kind === 'invalid') {
    return {
      kind: 'stalled',
      reason: Reason.InvalidSpec,
      message: entry.error.message,
      generation: entry.generation,
    };
  }
  const endpoint = entry.endpoint;
  if (!deps.allowedNamespaces.has(endpoint.namespace)) {
    const message = `namespace: ${endpoint.namespace} is not in ALLOWED_NAMESPACES (${[...deps.allowedNamespaces].join(', ')})`;
    return {
      kind: 'stalled',
      endpoint,
      reason: Reason.NamespaceNotAllowed,
      message,
      generation: endpoint.generation,
    };
  }
  // Not ours and never was.
  if (!endpoint.targetRegions.includes(deps.region) && observed.length === 0 && !previous)
    return { kind: 'skip' };
  return { kind: 'reconcile', endpoint };
}

// ---------------------------------------------------------------------------------------------
// render → plan → execute

type Pass =
  | { readonly kind: 'skip' }
  | Stalled
  | { readonly kind: 'gone'; readonly executed: Executed }
  | {
      readonly kind: 'reconciled';
      readonly endpoint: Endpoint;
      /** This region should run the endpoint (false: removing it from here). */
      readonly targeted: boolean;
      readonly watchdog: WatchdogDecision | undefined;
      readonly executed: Executed;
      /** The wave step's choice; `endpoint` is what it serves. */
      readonly rollout: RolloutDecision | undefined;
    };

async function decideAndExecute(loaded: Loaded): Promise<Pass> {
  const { deps, name, observed } = loaded;
  const guarded = guard(loaded);
  switch (guarded.kind) {
    case 'skip':
    case 'stalled':
      return guarded;
    case 'gone': {
      const actions = plan([], observed, { endpointName: name, endpoint: undefined, region: deps.region });
      return { kind: 'gone', executed: await execute(deps, name, actions, observed) };
    }
    case 'reconcile': {
      const own = { region: deps.region, own: loaded.previous, now: deps.now() };
      const rollout = await decideServe(deps.rollout, { endpoint: guarded.endpoint, ...own });
      const endpoint = rollout?.serve ?? guarded.endpoint;
      const { targeted, wd, options } = renderInputs(loaded, endpoint);
      // Held back by a gate with nothing to serve: no plan at all, so nothing is deleted either.
      const actions = rollout?.hold
        ? []
        : renderAndPlan(loaded, endpoint, options, {
            endpointName: name,
            endpoint,
            region: deps.region,
            ingressPulled: wd?.ingressPulled ?? false,
          });
      return {
        kind: 'reconciled',
        endpoint,
        targeted,
        watchdog: wd,
        executed: await execute(deps, name, actions, observed),
        rollout,
      };
    }
  }
}

/** Tells the cache which of its objects plan found up to date (ObservedPort.settle). */
function settleUpToDate(
  deps: ReconcileDeps,
  actions: readonly Action[],
  observed: readonly KubeObject[],
): void {
  if (!deps.observed.settle) return;
  const upToDate = new Set(actions.filter((a) => a.reason === 'UpToDate').map((a) => refKey(a.ref)));
  if (upToDate.size === 0) return;
  for (const o of observed) if (upToDate.has(refKey(refOf(o)))) deps.observed.settle(o);
}

/** The watchdog decides whether the Ingress stays; render is told, and so is plan. */
function renderInputs({ deps, observed, previous }: Loaded, endpoint: Endpoint) {
  const targeted = endpoint.desiredState !== 'deleted' && endpoint.targetRegions.includes(deps.region);
  const wd = targeted
    ? watchdog({ endpoint, observed, previous, now: deps.now(), thresholdMs: deps.unhealthyThresholdMs })
    : undefined;
  const options: RenderOptions = {
    ...(deps.modelSyncImage ? { modelSyncImage: deps.modelSyncImage } : {}),
    ingressPulled: wd?.ingressPulled ?? false,
  };
  return { targeted, wd, options };
}

/**
 * The plan, from the memo's keys and hashes of an earlier render when every object is settled
 * and unchanged (planSettled: no render at all), else from a render (memoized when it can be).
 */
function renderAndPlan(
  { deps, observed }: Loaded,
  endpoint: Endpoint,
  options: RenderOptions,
  context: Parameters<typeof plan>[2],
): Action[] {
  const rendered = deps.renderMemo?.renderedRefs(endpoint, deps.region, options);
  const settled = rendered && planSettled(rendered, observed);
  if (settled) return settled;
  const objects = deps.renderMemo
    ? deps.renderMemo.render(endpoint, deps.region, options)
    : render(endpoint, deps.region, options);
  const actions = plan(objects, observed, context);
  settleUpToDate(deps, actions, observed);
  return actions;
}

interface Executed {
  /** How many writes (applies, deletes, hand-offs) the plan sent. */
  readonly sent: number;
  /** The endpoint's objects as they now are (apply results over the cache). */
  readonly remaining: KubeObject[];
  /** One line per write that changed something, for the Event. */
  readonly changes: string[];
  readonly failure?: ReconcileError;
}

/**
 * Runs the plan's writes, stopping at the first failure. Deletes run one by one in plan order (an
 * Ingress goes before the Service it routes to). A run of consecutive hand-offs and applies goes
 * out in parallel waves — hand-offs, then every kind that does not route traffic, then those that
 * do — so a new Ingress never points at a Service that does not exist yet, and an endpoint costs
 * two round trips instead of one per object.
 */
async function execute(
  deps: ReconcileDeps,
  name: string,
  actions: readonly Action[],
  observed: readonly KubeObject[],
): Promise<Executed> {
  const changes: string[] = [];
  let sent = 0;
  const now = new Map(observed.map((o) => [refKey(refOf(o)), o]));
  // Every apply of the plan is expected before the first is sent: a pass of the same endpoint
  // running beside this one (the lease lost and won back mid-pass) finds them in flight, not
  // missing. Those this pass does not complete are forgotten at its end.
  const inFlight = new Map<string, KubeRef>();
  for (const a of actions) {
    if (a.verb !== 'apply' || !a.object || !deps.expectations) continue;
    inFlight.set(refKey(a.ref), a.ref);
    deps.expectations.expect(name, now.get(refKey(a.ref)) ?? null, a.object);
  }
  const perform = async (action: Action): Promise<void> => {
    sent++;
    const key = refKey(action.ref);
    if (action.verb === 'handOff') {
      if (action.replicas !== undefined) await deps.executor.handOffReplicas(action.ref, action.replicas);
      return;
    }
    let outcome: string;
    if (action.verb === 'apply') {
      if (!action.object) return; // plan always attaches the object; nothing to send without it
      const before = now.get(key) ?? null;
      const result = await deps.executor.apply(action.object, { previous: before });
      inFlight.delete(key);
      if (result.object) {
        now.set(key, result.object);
        deps.expectations?.expect(name, before, result.object);
      } else deps.expectations?.forget(name, action.ref);
      outcome = result.outcome;
    } else {
      outcome = (await deps.executor.delete(action.ref)).outcome;
      now.delete(key);
    }
    deps.onAction?.(action, outcome, name);
    if (outcome !== 'unchanged') {
      changes.push(`${action.verb} ${action.ref.kind}/${action.ref.name} (${action.reason}): ${outcome}`);
    }
    // The endpoint is on every line already: the handler's logger carries it.
    deps.log.info(
      {
        action: action.verb,
        kind: action.ref.kind,
        object: action.ref.name,
        reason: action.reason,
        detail: action.detail,
        outcome,
      },
      action.verb === 'apply' ? 'applied' : 'deleted',
    );
  };

  try {
    for (const wave of waves(actions)) {
      const results = await Promise.allSettled(wave.map(perform));
      const index = results.findIndex((r) => r.status === 'rejected');
      if (index < 0) continue;
      const err = (results[index] as PromiseRejectedResult).reason as unknown;
      if (classify(err).kind === 'not-leader') throw err;
      const action = wave[index]!;
      deps.onAction?.(action, 'failed', name);
      const message = `${action.verb} ${action.ref.kind} ${action.ref.namespace}/${action.ref.name}: ${err instanceof Error ? err.message : String(err)}`;
      const reason = action.verb === 'delete' ? Reason.DeleteFailed : Reason.ApplyFailed;
      return {
        sent,
        remaining: [...now.values()],
        changes,
        failure: new ReconcileError(name, reason, message, { cause: err }),
      };
    }
    return { sent, remaining: [...now.values()], changes };
  } finally {
    for (const ref of inFlight.values()) deps.expectations?.forget(name, ref);
  }
}

function waves(actions: readonly Action[]): Action[][] {
  const out: Action[][] = [];
  const writes = (a: Action | undefined) => a?.verb === 'apply' || a?.verb === 'handOff';
  for (let i = 0; i < actions.length; ) {
    const action = actions[i]!;
    if (!writes(action)) {
      if (action.verb === 'delete') out.push([action]);
      i++;
      continue;
    }
    const run: Action[] = [];
    while (i < actions.length && writes(actions[i])) run.push(actions[i++]!);
    const routes = (a: Action) => findOwnedKind(a.ref.kind)?.routesTraffic === true;
    const handOffs = run.filter((a) => a.verb === 'handOff');
    const first = run.filter((a) => a.verb === 'apply' && !routes(a));
    const second = run.filter((a) => a.verb === 'apply' && routes(a));
    for (const wave of [handOffs, first, second]) if (wave.length > 0) out.push(wave);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// report

/** The one status write of a pass, its Event, and the purge once every region reports deleted. */
async function report(loaded: Loaded, pass: Pass): Promise<Result> {
  const { deps, name, previous } = loaded;
  switch (pass.kind) {
    case 'skip':
      return {};
    case 'stalled': {
      await writeStatus(deps, {
        ...statusInput(loaded, pass.endpoint, loaded.observed),
        stalled: { reason: pass.reason, message: pass.message, generation: pass.generation },
      });
      throw new TerminalError(pass.reason, `${name}: ${pass.message}`);
    }
    case 'gone': {
      const { remaining, failure } = pass.executed;
      if (failure) throw failure;
      if (remaining.length > 0 || !previous) return {};
      await deps.store.deleteStatus(name, deps.region);
      deps.statuses.delete(name);
      return {};
    }
    case 'reconciled': {
      const { endpoint, targeted, executed } = pass;
      const { remaining, changes, failure } = executed;
      const verdict = failure ? classify(failure) : undefined;
      const diagnosed = diagnosis(loaded, endpoint, targeted, remaining);
      let wave: RolloutReport | undefined;
      const finish = async (computed: RegionStatus) => {
        const current = pass.rollout?.current ?? endpoint;
        const at = { region: deps.region, previous, now: deps.now() };
        wave = await finishStatus(deps.rollout, pass.rollout, { endpoint: current, computed, ...at });
        return wave.status;
      };
      const input: StatusInput = {
        ...statusInput(loaded, endpoint, remaining),
        removing: !targeted,
        watchdog: pass.watchdog,
        causes: diagnosed.causes,
        // An object the API server refuses is refused again: Stalled until the spec changes.
        ...(failure && verdict?.kind === 'terminal'
          ? { stalled: { reason: verdict.reason, message: failure.message, generation: endpoint.generation } }
          : failure
            ? { failure: { reason: failure.reason, message: failure.message } }
            : {}),
      };
      const computed = computeStatus(input);
      const status = targeted ? await finish(computed) : computed;
      const heldSince = deps.statuses.heldSince(name);
      const hold = progressWrite(
        {
          // With region waves the other regions' gates read this item: written at once.
          progressing: plainProgress(input, status) && endpoint.spec.rollout === undefined,
          generation: endpoint.generation,
          // While held back, the book's status was never written.
          written: heldSince === undefined ? previous : undefined,
          heldSince,
          now: deps.now().getTime(),
        },
        deps.statusHoldMs,
      );
      const written = hold.write ? await putStatus(deps, status) : false;
      if (!hold.write) deps.statuses.setHeld(status, hold.since);
      if (targeted && eventWorthy(loaded, changes, failure))
        recordEvent(deps, endpoint, status, changes, failure);
      if (wave && deps.rollout) {
        const executedNow = { changes, failed: failure !== undefined };
        for (const e of rolloutEvents(deps.rollout, pass.rollout, wave, executedNow, deps.now()))
          emit(deps, endpoint, { ...e, action: 'Rollout' });
      }
      if (failure) throw failure;
      if (endpoint.desiredState === 'deleted' && status.state === 'deleted') await maybePurge(deps, endpoint);
      const waits = [
        pass.watchdog?.tripsInMs !== undefined ? pass.watchdog.tripsInMs + 50 : undefined,
        diagnosed.recheckInMs,
        hold.write ? undefined : hold.recheckInMs,
        (wave as RolloutReport | undefined)?.requeueAfterMs,
      ].filter((ms): ms is number => ms !== undefined);
      // A later look this pass asks for is the queue's to keep (the pass's latest schedule stands),
      // so it does not stop the pass from being quiet. A wave's gates and the purge of a deleted
      // endpoint read the other regions' status items, which change without a watch event here:
      // those passes are never quiet.
      const quiet =
        executed.sent === 0 &&
        !written &&
        hold.write &&
        pass.rollout === undefined &&
        endpoint.desiredState !== 'deleted';
      return {
        ...(waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : {}),
        ...(quiet ? { quiet } : {}),
      };
    }
  }
}

/**
 * Diagnosis of the endpoint's pods, through the write policy: the causes this pass writes, and
 * when to look again without an event (a held-back count change, a threshold passing with time).
 */
function diagnosis(
  { deps, name, previous }: Loaded,
  endpoint: Endpoint,
  targeted: boolean,
  observed: readonly KubeObject[],
): { causes: readonly Cause[]; recheckInMs: number | undefined } {
  if (!targeted || endpoint.desiredState === 'stopped' || endpoint.desiredState === 'deleted')
    return { causes: [], recheckInMs: undefined };
  const now = deps.now().getTime();
  const found = diagnoseEndpoint(endpoint, observed, deps.observed, now);
  const chosen = causesToWrite(
    previous?.causes ?? [],
    found.causes,
    deps.statuses.causesWrittenAt(name),
    now,
  );
  if (chosen.fresh) deps.statuses.markCausesWritten(name, now);
  const waits = [chosen.recheckAt, found.recheckAt]
    .filter((at): at is number => at !== undefined)
    .map((at) => Math.max(at - now, 1));
  return { causes: chosen.causes, recheckInMs: waits.length > 0 ? Math.min(...waits) : undefined };
}

function statusInput(
  { deps, name, previous }: Loaded,
  endpoint: Endpoint | undefined,
  observed: readonly KubeObject[],
): StatusInput {
  return {
    name,
    region: deps.region,
    endpoint,
    removing: false,
    observed,
    previous,
    watchdog: undefined,
    now: deps.now(),
  };
}

async function writeStatus(deps: ReconcileDeps, input: StatusInput): Promise<void> {
  await putStatus(deps, computeStatus(input));
}

/** Whether the status item changed. */
async function putStatus(deps: ReconcileDeps, status: RegionStatus): Promise<boolean> {
  const { written } = await deps.store.putStatusIfChanged(status);
  deps.statuses.set(status);
  if (written) deps.onStatusWritten?.(status);
  return written;
}

/**
 * Events mark what a user would look for in `kubectl describe`: a spec change rolled out, a manual
 * edit or deletion reverted, objects removed (stopped, region dropped, Ingress pulled or restored),
 * and failures. A pass that changed nothing records none, and a failure is told once until its
 * message changes: a retry with backoff is not news. The first creation in a region (no status
 * item yet) records none either: the Deployment's age, its controller's `ScalingReplicaSet` Event
 * and the status item tell it, and at a fleet's creation it was a quarter of the monitor's API
 * writes (ADR 0012).
 */
function eventWorthy(
  { previous }: Loaded,
  changes: readonly string[],
  failure: ReconcileError | undefined,
): boolean {
  if (failure) return changes.length > 0 || previous?.error !== failure.message;
  return changes.length > 0 && previous !== undefined;
}

/**
 * On the Deployment, where `kubectl describe` shows it; only when something happened. Not
 * awaited: an Event is a report, and waiting for it held a worker for one more round trip per
 * changed endpoint (the recorder bounds what is in flight and drops the excess).
 */
function recordEvent(
  deps: ReconcileDeps,
  endpoint: Endpoint,
  status: RegionStatus,
  changes: readonly string[],
  failure: ReconcileError | undefined,
): void {
  const note = [...changes, ...(failure ? [failure.message] : [])].join('; ');
  emit(deps, endpoint, {
    type: failure ? 'Warning' : 'Normal',
    reason: failure
      ? failure.reason
      : (status.conditions.find((c) => c.type === 'Ready')?.reason ?? Reason.Progressing),
    action: 'Reconcile',
    note: `generation ${endpoint.generation}: ${note}`,
  });
}

function emit(deps: ReconcileDeps, endpoint: Endpoint, event: Omit<ReconcileEvent, 'regarding'>): void {
  const regarding = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: endpoint.namespace,
    name: endpoint.name,
  };
  void deps
    .recordEvent?.({ regarding, ...event })
    .catch((err: unknown) => deps.log.debug({ err: String(err) }, 'event not recorded'));
}

/** When every target region reports `deleted` for this generation, remove the item (conditional). */
async function maybePurge(deps: ReconcileDeps, endpoint: Endpoint): Promise<void> {
  const statuses = await deps.store.listStatus(endpoint.name);
  const byRegion = new Map(statuses.map((s) => [s.region, s]));
  const regions = new Set([...endpoint.targetRegions, deps.region]);
  for (const region of regions) {
    const s = byRegion.get(region);
    if (s?.state !== 'deleted' || s.observedGeneration < endpoint.generation) return;
  }
  try {
    await deps.store.purgeEndpoint(endpoint.name, endpoint.generation);
    deps.log.info(
      { endpoint: endpoint.name, generation: endpoint.generation, action: 'purge' },
      'purged: every target region reports deleted',
    );
  } catch (err) {
    // Another region purged first, or the user changed the item meanwhile: both are fine.
    if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
  }
}
