// Reconcile one endpoint in this region: load → validate → watchdog → render → plan → apply →
// observe → write status (PRACTICES 3). The key is only a name; everything is re-read from the
// desired cache (table) and the watch caches (cluster).
import type { Logger } from 'pino';
import {
  type Endpoint,
  type KubeObject,
  type KubeRef,
  Reason,
  type RegionStatus,
  refKey,
  refOf,
} from '../model/index.js';
import { type Action, plan } from '../plan/index.js';
import { render } from '../render/index.js';
import type { DesiredCache } from './desired-cache.js';
import { type Result, TerminalError } from './errors.js';
import { computeStatus, type StatusInput, watchdog } from './observe.js';
import type { RenderMemo } from './render-memo.js';
import type { StatusBook } from './status-book.js';

export interface ExecutorPort {
  apply(
    obj: KubeObject,
    options: { previous?: KubeObject | null },
  ): Promise<{ outcome: string; object?: unknown }>;
  delete(ref: { kind: string; namespace: string; name: string }): Promise<{ outcome: string }>;
  handOffReplicas(ref: { kind: string; namespace: string; name: string }, replicas: number): Promise<void>;
}

export interface StatusStorePort {
  putStatusIfChanged(status: RegionStatus): Promise<{ written: boolean }>;
  deleteStatus(endpointName: string, region: string): Promise<void>;
  listStatus(endpointName: string): Promise<RegionStatus[]>;
  purgeEndpoint(name: string, expectedGeneration: number): Promise<void>;
}

export interface ReconcileDeps {
  readonly region: string;
  readonly allowedNamespaces: ReadonlySet<string>;
  readonly unhealthyThresholdMs: number;
  readonly modelSyncImage?: string;
  readonly desired: DesiredCache;
  readonly observed: { byEndpoint(name: string): KubeObject[] };
  /** Reuses the render of an unchanged endpoint across reconciles; renders afresh without it. */
  readonly renderMemo?: RenderMemo;
  readonly executor: ExecutorPort;
  readonly store: StatusStorePort;
  readonly statuses: StatusBook;
  readonly now: () => Date;
  readonly log: Logger;
  /** Called once per executed action, for metrics and events. */
  readonly onAction?: (action: Action, outcome: string, endpoint: string) => void;
  readonly onStatusWritten?: (status: RegionStatus) => void;
  /** Records a Kubernetes Event; failures are logged, never fatal. */
  readonly recordEvent?: (event: {
    regarding: { apiVersion: string; kind: string; namespace: string; name: string };
    type: 'Normal' | 'Warning';
    reason: string;
    action: string;
    note: string;
  }) => Promise<void>;
}

/** A reconcile that failed after it wrote what it could; the queue retries it with backoff. */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
  constructor(
    readonly endpoint: string,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function reconcileEndpoint(outer: ReconcileDeps, name: string): Promise<Result> {
  const entry = outer.desired.get(name);
  // Every log line of this pass names the generation it works on.
  const generation = entry?.kind === 'endpoint' ? entry.endpoint.generation : entry?.generation;
  const deps = generation === undefined ? outer : { ...outer, log: outer.log.child({ generation }) };
  const observed = deps.observed.byEndpoint(name);
  const previous = deps.statuses.get(name);

  // Not in the desired cache before any scan of the table has succeeded: we do not know whether
  // the item exists, and a read that failed must never delete anything. The first complete scan
  // queues every endpoint again.
  if (!entry && !deps.desired.scanComplete) {
    deps.log.debug('not known yet: the endpoints table has not been read completely');
    return {};
  }

  // The item is gone (a successful read or a complete scan said so): whatever we still run for
  // it is an orphan, and our status item for it goes too.
  if (!entry) {
    if (observed.length > 0) {
      const { remaining, failure } = await execute(
        deps,
        name,
        plan([], observed, { endpointName: name, endpoint: undefined, region: deps.region }),
        observed,
      );
      if (failure) throw failure;
      if (remaining.length > 0) return {};
    }
    if (previous) {
      await deps.store.deleteStatus(name, deps.region);
      deps.statuses.delete(name);
    }
    return {};
  }

  if (entry.kind === 'invalid') {
    await writeStatus(deps, {
      ...baseInput(deps, name, undefined, observed, previous),
      stalled: { reason: Reason.InvalidSpec, message: entry.error.message, generation: entry.generation },
    });
    throw new TerminalError(Reason.InvalidSpec, `${name}: ${entry.error.message}`);
  }

  const endpoint = entry.endpoint;
  if (!deps.allowedNamespaces.has(endpoint.namespace)) {
    const message = `namespace: ${endpoint.namespace} is not in ALLOWED_NAMESPACES (${[...deps.allowedNamespaces].join(', ')})`;
    await writeStatus(deps, {
      ...baseInput(deps, name, endpoint, observed, previous),
      stalled: { reason: Reason.NamespaceNotAllowed, message, generation: endpoint.generation },
    });
    throw new TerminalError(Reason.NamespaceNotAllowed, `${name}: ${message}`);
  }

  const targeted = endpoint.desiredState !== 'deleted' && endpoint.targetRegions.includes(deps.region);
  // Not ours and never was: nothing to do and nothing to report.
  if (!endpoint.targetRegions.includes(deps.region) && observed.length === 0 && !previous) return {};

  const wd = targeted
    ? watchdog({ endpoint, observed, previous, now: deps.now(), thresholdMs: deps.unhealthyThresholdMs })
    : undefined;
  const renderOptions = {
    ...(deps.modelSyncImage ? { modelSyncImage: deps.modelSyncImage } : {}),
    ingressPulled: wd?.ingressPulled ?? false,
  };
  const desiredObjects = deps.renderMemo
    ? deps.renderMemo.render(endpoint, deps.region, renderOptions)
    : render(endpoint, deps.region, renderOptions);
  const actions = plan(desiredObjects, observed, {
    endpointName: name,
    endpoint,
    region: deps.region,
    ingressPulled: wd?.ingressPulled ?? false,
  });
  const { remaining, changes, failure } = await execute(deps, name, actions, observed);

  const status = await writeStatus(deps, {
    ...baseInput(deps, name, endpoint, remaining, previous),
    removing: !targeted,
    watchdog: wd,
    ...(failure ? { failure: { reason: failure.reason, message: failure.message } } : {}),
  });
  if ((changes.length > 0 || failure) && targeted) {
    // On the Deployment, where `kubectl describe` shows it; only when something happened. Not
    // awaited: an Event is a report, and waiting for it held a worker for one more round trip per
    // changed endpoint (the recorder bounds what is in flight and drops the excess).
    const note = [...changes, ...(failure ? [failure.message] : [])].join('; ');
    void deps
      .recordEvent?.({
        regarding: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: endpoint.namespace,
          name: endpoint.name,
        },
        type: failure ? 'Warning' : 'Normal',
        reason: failure
          ? failure.reason
          : (status.conditions.find((c) => c.type === 'Ready')?.reason ?? Reason.Progressing),
        action: 'Reconcile',
        note: `generation ${endpoint.generation}: ${note}`,
      })
      .catch((err: unknown) => deps.log.debug({ err: String(err) }, 'event not recorded'));
  }
  if (failure) throw failure;

  if (endpoint.desiredState === 'deleted' && status.state === 'deleted') await maybePurge(deps, endpoint);
  return wd?.tripsInMs !== undefined ? { requeueAfterMs: wd.tripsInMs + 50 } : {};
}

function baseInput(
  deps: ReconcileDeps,
  name: string,
  endpoint: Endpoint | undefined,
  observed: readonly KubeObject[],
  previous: RegionStatus | undefined,
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

/**
 * Runs the plan's writes, stopping at the first failure; returns the objects as they now are.
 * Deletes run one by one in plan order (an Ingress goes before the Service it routes to).
 * A run of consecutive applies goes out in two parallel waves — Services, Deployments and HPAs,
 * then Ingresses — so a new Ingress never points at a Service that does not exist yet, and an
 * endpoint costs two round trips instead of four.
 */
async function execute(
  deps: ReconcileDeps,
  name: string,
  actions: readonly Action[],
  observed: readonly KubeObject[],
): Promise<{ remaining: KubeObject[]; changes: string[]; failure?: ReconcileError }> {
  const changes: string[] = [];
  const now = new Map(
    observed.map((o) => [
      refKey({ kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name }),
      o,
    ]),
  );
  const waves: Action[][] = [];
  for (let i = 0; i < actions.length; ) {
    const action = actions[i]!;
    if (action.verb !== 'apply') {
      if (action.verb === 'delete') waves.push([action]);
      i++;
      continue;
    }
    const run: Action[] = [];
    while (i < actions.length && actions[i]!.verb === 'apply') run.push(actions[i++]!);
    const first = run.filter((a) => a.ref.kind !== 'Ingress');
    const second = run.filter((a) => a.ref.kind === 'Ingress');
    if (first.length > 0) waves.push(first);
    if (second.length > 0) waves.push(second);
  }

  const perform = async (action: Action): Promise<void> => {
    const key = refKey(action.ref);
    let outcome: string;
    if (action.verb === 'apply') {
      if (!action.object) return; // plan always attaches the object; nothing to send without it
      const live = now.get(key);
      const liveReplicas = replicasOf(live);
      if (
        action.ref.kind === 'Deployment' &&
        replicasOf(action.object) === undefined &&
        liveReplicas !== undefined
      ) {
        await deps.executor.handOffReplicas(action.ref, liveReplicas);
      }
      const result = await deps.executor.apply(action.object, { previous: live ?? null });
      if (result.object) now.set(key, result.object as KubeObject);
      outcome = result.outcome;
    } else {
      outcome = (await deps.executor.delete(action.ref)).outcome;
      now.delete(key);
    }
    deps.onAction?.(action, outcome, name);
    if (outcome !== 'unchanged') {
      changes.push(`${action.verb} ${action.ref.kind}/${action.ref.name} (${action.reason}): ${outcome}`);
    }
    deps.log.info(
      {
        endpoint: name,
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

  for (const wave of waves) {
    const results = await Promise.allSettled(wave.map(perform));
    const index = results.findIndex((r) => r.status === 'rejected');
    if (index < 0) continue;
    const err = (results[index] as PromiseRejectedResult).reason as unknown;
    if (err instanceof Error && err.name === 'NotLeaderError') throw err;
    const action = wave[index]!;
    deps.onAction?.(action, 'failed', name);
    const message = `${action.verb} ${action.ref.kind} ${action.ref.namespace}/${action.ref.name}: ${err instanceof Error ? err.message : String(err)}`;
    return {
      remaining: [...now.values()],
      changes,
      failure: new ReconcileError(
        name,
        action.verb === 'apply' ? Reason.ApplyFailed : Reason.DeleteFailed,
        message,
        { cause: err },
      ),
    };
  }
  return { remaining: [...now.values()], changes };
}

async function writeStatus(deps: ReconcileDeps, input: StatusInput): Promise<RegionStatus> {
  const { status } = computeStatus(input);
  const { written } = await deps.store.putStatusIfChanged(status);
  deps.statuses.set(status);
  if (written) deps.onStatusWritten?.(status);
  return status;
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
    if (!(err instanceof Error && (err.name === 'ConflictError' || err.name === 'NotFoundError'))) throw err;
  }
}

function replicasOf(obj: KubeObject | undefined): number | undefined {
  return (obj as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;
}
