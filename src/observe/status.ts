// Pure: from what the cluster shows (after this pass's writes) to this region's status item and
// the watchdog's decision. No I/O, so every rule here has a plain unit test.

import type { Cause, KubeObject } from '../model/index.js';
import {
  type Condition,
  ConditionType,
  canaryName,
  deploymentName,
  type Endpoint,
  Reason,
  type RegionState,
  type RegionStatus,
  removeCondition,
  setCondition,
} from '../model/index.js';

interface DeploymentView {
  readonly specReplicas: number | undefined;
  readonly ready: number;
  readonly updated: number;
  /** Every pod of the Deployment, old ReplicaSets' included (status.replicas), when reported. */
  readonly total: number | undefined;
  readonly current: boolean;
  /** Why the rollout cannot progress (ReplicaFailure, ProgressDeadlineExceeded), if it cannot. */
  readonly problem: string | undefined;
}

function deploymentView(obj: KubeObject | undefined): DeploymentView | undefined {
  if (!obj) return undefined;
  const o = obj as KubeObject & {
    spec?: { replicas?: number };
    status?: {
      readyReplicas?: number;
      updatedReplicas?: number;
      replicas?: number;
      observedGeneration?: number;
      conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    };
  };
  const conditions = o.status?.conditions ?? [];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const stuck = conditions.find((c) => c.type === 'Progressing' && c.status === 'False');
  const problem = failure ?? stuck;
  const generation = (o.metadata as { generation?: number }).generation;
  return {
    specReplicas: o.spec?.replicas,
    ready: o.status?.readyReplicas ?? 0,
    updated: o.status?.updatedReplicas ?? 0,
    total: o.status?.replicas,
    current: generation === undefined || (o.status?.observedGeneration ?? 0) >= generation,
    problem: problem ? `${problem.reason ?? problem.type}: ${problem.message ?? ''}`.trim() : undefined,
  };
}

function findObject(objects: readonly KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

interface WatchdogInput {
  readonly endpoint: Endpoint;
  readonly observed: readonly KubeObject[];
  readonly previous: RegionStatus | undefined;
  readonly now: Date;
  readonly thresholdMs: number;
}

export interface WatchdogDecision {
  readonly ingressPulled: boolean;
  readonly unreadySince: string | undefined;
  /** When the clock is running: how long until it trips. */
  readonly tripsInMs: number | undefined;
}

/**
 * Zero ready replicas for longer than the threshold pulls the endpoint's Ingress, so one broken
 * endpoint cannot make the shared ALB unhealthy. The clock starts from the status item, not from
 * memory, so a new leader continues it; the Ingress returns as soon as a replica is ready.
 */
export function watchdog(input: WatchdogInput): WatchdogDecision {
  const { endpoint, previous, now } = input;
  const primary = deploymentView(findObject(input.observed, 'Deployment', deploymentName(endpoint.name)));
  const wantsReplicas =
    endpoint.desiredState !== 'stopped' && (endpoint.spec.autoscaling?.enabled || endpoint.spec.replicas > 0);
  if (!primary || !wantsReplicas || primary.ready > 0) {
    return { ingressPulled: false, unreadySince: undefined, tripsInMs: undefined };
  }
  const since = previous?.unreadySince ?? now.toISOString();
  const elapsed = now.getTime() - Date.parse(since);
  if (previous?.ingressPulled || elapsed >= input.thresholdMs) {
    return { ingressPulled: true, unreadySince: since, tripsInMs: undefined };
  }
  return { ingressPulled: false, unreadySince: since, tripsInMs: input.thresholdMs - elapsed };
}

export interface StatusInput {
  readonly name: string;
  readonly region: string;
  readonly endpoint: Endpoint | undefined;
  /** Desired state is delete for this region (endpoint deleted, region removed, or orphan). */
  readonly removing: boolean;
  /** Objects as they are after this pass's writes (apply results over the cache). */
  readonly observed: readonly KubeObject[];
  readonly previous: RegionStatus | undefined;
  readonly watchdog: WatchdogDecision | undefined;
  /** A terminal problem with the item itself (invalid spec, namespace not allowed). */
  readonly stalled?: { reason: string; message: string; generation: number };
  /** A transient failure of this pass (apply rejected, API unavailable). */
  readonly failure?: { reason: string; message: string };
  /** Why the endpoint is not serving (diagnosis, after the write policy), worst first. */
  readonly causes?: readonly Cause[];
  readonly now: Date;
}

/** The Ingress's load-balancer address, hostname before IP, once the cluster reports one. */
function ingressAddress(observed: readonly KubeObject[]): string | undefined {
  const ingress = observed.find((o) => o.kind === 'Ingress') as
    | (KubeObject & { status?: { loadBalancer?: { ingress?: { hostname?: string; ip?: string }[] } } })
    | undefined;
  const first = ingress?.status?.loadBalancer?.ingress?.[0];
  return first?.hostname || first?.ip || undefined;
}

/** How a cause reads in a condition: the canary's are named as such. */
const causeText = (c: Cause) => (c.track === 'canary' ? `canary: ${c.message}` : c.message);

export function computeStatus(input: StatusInput): RegionStatus {
  const { endpoint, previous, now } = input;
  const at = now.toISOString();
  let conditions: readonly Condition[] = previous?.conditions ?? [];
  const generation = input.stalled?.generation ?? endpoint?.generation ?? previous?.observedGeneration ?? 0;
  const base = {
    endpointName: input.name,
    region: input.region,
    lastSync: at,
    ingressPulled: false,
  };

  if (input.stalled) {
    conditions = setCondition(
      conditions,
      {
        type: ConditionType.Stalled,
        status: 'True',
        reason: input.stalled.reason,
        message: input.stalled.message,
      },
      at,
    );
    conditions = setCondition(
      conditions,
      {
        type: ConditionType.Ready,
        status: 'False',
        reason: input.stalled.reason,
        message: input.stalled.message,
      },
      at,
    );
    conditions = removeCondition(conditions, ConditionType.Reconciling);
    return finish(
      {
        ...base,
        state: 'error',
        replicasReady: previous?.replicasReady ?? 0,
        replicasDesired: previous?.replicasDesired ?? 0,
        observedGeneration: previous?.observedGeneration ?? 0,
        conditions,
        error: input.stalled.message,
      },
      previous,
    );
  }
  conditions = removeCondition(conditions, ConditionType.Stalled);

  if (input.removing) {
    const remaining = input.observed.length;
    const done = remaining === 0 && !input.failure;
    const message = done
      ? 'all objects removed from this region'
      : (input.failure?.message ?? `removing ${remaining} object(s)`);
    conditions = setCondition(
      conditions,
      { type: ConditionType.Ready, status: 'False', reason: Reason.Deleted, message },
      at,
    );
    conditions = done
      ? removeCondition(conditions, ConditionType.Reconciling)
      : setCondition(
          conditions,
          { type: ConditionType.Reconciling, status: 'True', reason: Reason.Progressing, message },
          at,
        );
    return finish(
      {
        ...base,
        state: done
          ? 'deleted'
          : input.failure
            ? 'error'
            : previous?.state === 'deleted'
              ? 'deleted'
              : 'updating',
        replicasReady: 0,
        replicasDesired: 0,
        observedGeneration: done ? generation : (previous?.observedGeneration ?? 0),
        conditions,
        ...(input.failure ? { error: input.failure.message } : {}),
      },
      previous,
    );
  }

  // endpoint is defined from here on (not removing, not stalled).
  const ep = endpoint!;
  const primary = deploymentView(findObject(input.observed, 'Deployment', deploymentName(ep.name)));
  const canaryObj = ep.spec.canary
    ? deploymentView(findObject(input.observed, 'Deployment', canaryName(ep.name)))
    : undefined;
  const stopped = ep.desiredState === 'stopped';
  const desired = stopped ? 0 : (primary?.specReplicas ?? ep.spec.replicas);
  const ready = primary?.ready ?? 0;
  const canaryDesired = ep.spec.canary && !stopped ? ep.spec.canary.replicas : 0;
  const canaryReady = canaryObj?.ready ?? 0;
  // Old ReplicaSets' pods still count as ready mid-rollout: done only once they are gone, or a
  // new spec that never becomes ready would read as running (and pass a wave gate) on old pods.
  const primaryDone =
    !!primary &&
    primary.current &&
    ready >= desired &&
    primary.updated >= desired &&
    (primary.total ?? 0) <= desired;
  const canaryDone = !ep.spec.canary || (!!canaryObj && canaryObj.current && canaryReady >= canaryDesired);
  const settled = !input.failure && primaryDone && canaryDone;

  let state: RegionState;
  let reason: string;
  let message: string;
  if (input.failure) {
    state = 'error';
    reason = input.failure.reason;
    message = input.failure.message;
  } else if (stopped) {
    state = settled ? 'stopped' : 'updating';
    reason = Reason.Stopped;
    message = settled ? 'stopped: scaled to 0' : 'scaling to 0';
  } else if (settled) {
    state = 'running';
    reason = Reason.Succeeded;
    message = `${ready}/${desired} replicas ready`;
  } else {
    const wasUp =
      previous &&
      (previous.state === 'running' || previous.state === 'updating' || previous.state === 'stopped');
    state = wasUp ? 'updating' : 'creating';
    reason = !primaryDone ? Reason.WaitingForReplicas : Reason.CanaryNotReady;
    message = !primaryDone
      ? `${ready}/${desired} replicas ready`
      : `canary ${canaryReady}/${canaryDesired} replicas ready`;
    const problem = primary?.problem ?? canaryObj?.problem;
    if (problem) message = `${message}; ${problem}`;
  }

  // What diagnosis found explains an unready region better than a replica count; an apply failure
  // or a stop still speaks for itself.
  const causes = input.causes ?? [];
  const top = causes[0];
  if (top && !settled && !input.failure && !stopped) {
    reason = top.reason;
    message = causeText(top);
  }
  const terminal =
    !settled && !input.failure && !stopped ? causes.find((c) => c.severity === 'terminal') : undefined;

  const address = ingressAddress(input.observed);
  const readyNow = settled && !stopped;
  conditions = setCondition(
    conditions,
    { type: ConditionType.Ready, status: readyNow ? 'True' : 'False', reason, message },
    at,
  );
  if (terminal) {
    // The rollout cannot succeed without a change to the spec; the monitor still reconciles, so
    // the change (a new image, a node selector) is applied and clears this.
    conditions = setCondition(
      conditions,
      { type: ConditionType.Stalled, status: 'True', reason: terminal.reason, message: causeText(terminal) },
      at,
    );
    conditions = removeCondition(conditions, ConditionType.Reconciling);
  } else {
    conditions = settled
      ? removeCondition(conditions, ConditionType.Reconciling)
      : setCondition(conditions, { type: ConditionType.Reconciling, status: 'True', reason, message }, at);
  }
  if (ep.spec.canary && !stopped) {
    const ok = canaryDone;
    conditions = setCondition(
      conditions,
      {
        type: ConditionType.CanaryReady,
        status: ok ? 'True' : 'False',
        reason: ok ? Reason.CanaryReady : Reason.CanaryNotReady,
        message: `${canaryReady}/${canaryDesired} canary replicas ready, weight ${ep.spec.canary.weight}`,
      },
      at,
    );
  } else {
    conditions = removeCondition(conditions, ConditionType.CanaryReady);
  }
  const wd = input.watchdog;
  if (wd?.ingressPulled) {
    conditions = setCondition(
      conditions,
      {
        type: ConditionType.WatchdogTripped,
        status: 'True',
        reason: Reason.WatchdogTripped,
        message: `no ready replica since ${wd.unreadySince}; Ingress removed until one is ready`,
      },
      at,
    );
  } else {
    conditions = removeCondition(conditions, ConditionType.WatchdogTripped);
  }

  return finish(
    {
      ...base,
      state,
      replicasReady: ready,
      replicasDesired: desired,
      // Only a pass whose writes all succeeded has rolled this generation out.
      observedGeneration: input.failure ? (previous?.observedGeneration ?? 0) : ep.generation,
      ...(ep.spec.canary && !stopped ? { canaryReady, canaryWeight: ep.spec.canary.weight } : {}),
      ingressPulled: wd?.ingressPulled ?? false,
      ...(wd?.unreadySince ? { unreadySince: wd.unreadySince } : {}),
      conditions,
      ...(causes.length > 0 ? { causes } : {}),
      ...(address !== undefined ? { address } : {}),
      ...(input.failure ? { error: input.failure.message } : {}),
    },
    previous,
  );
}

function finish(
  next: Omit<RegionStatus, 'lastTransition'>,
  previous: RegionStatus | undefined,
): RegionStatus {
  const lastTransition = previous && previous.state === next.state ? previous.lastTransition : next.lastSync;
  return { ...next, lastTransition };
}
