import type { ConditionView, ContainerState, ContainerView, DeploymentView, PodView } from './types.js';

// The shape of a pod as either client delivers it: typed API answers carry Dates, informer and
// watch items raw JSON strings. Only the fields read here are named, so a V1Pod fits.
type Time = Date | string;

interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: Time;
}

interface TerminatedLike {
  exitCode: number;
  reason?: string;
  message?: string;
  finishedAt?: Time;
}

interface StateLike {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: Time };
  terminated?: TerminatedLike;
}

interface ContainerStatusLike {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: StateLike;
  lastState?: StateLike;
}

export interface PodLike {
  metadata?: { name?: string; creationTimestamp?: Time; deletionTimestamp?: Time };
  spec?: {
    initContainers?: readonly { name: string; image?: string }[];
    containers: readonly { name: string; image?: string }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    startTime?: Time;
    conditions?: readonly ConditionLike[];
    initContainerStatuses?: readonly ContainerStatusLike[];
    containerStatuses?: readonly ContainerStatusLike[];
  };
}

const KEPT_CONDITIONS = new Set([
  'PodScheduled',
  'Initialized',
  'ContainersReady',
  'Ready',
  'DisruptionTarget',
]);

function ms(t: Time | undefined): number | undefined {
  if (t === undefined) return undefined;
  const n = (t instanceof Date ? t : new Date(t)).getTime();
  return Number.isNaN(n) ? undefined : n;
}

/** Drops undefined members, so a view holds only what the cluster said. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function condition(c: ConditionLike): ConditionView {
  return compact({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    since: ms(c.lastTransitionTime),
  });
}

function terminated(t: TerminatedLike): Extract<ContainerState, { kind: 'terminated' }> {
  return compact({
    kind: 'terminated' as const,
    exitCode: t.exitCode,
    reason: t.reason,
    message: t.message,
    finishedAt: ms(t.finishedAt),
  });
}

function state(s: StateLike | undefined): ContainerState | undefined {
  if (s?.waiting) return compact({ kind: 'waiting' as const, ...s.waiting });
  if (s?.running) return compact({ kind: 'running' as const, startedAt: ms(s.running.startedAt) });
  if (s?.terminated) return terminated(s.terminated);
  return undefined;
}

function containers(
  specs: readonly { name: string; image?: string }[] | undefined,
  statuses: readonly ContainerStatusLike[] | undefined,
): ContainerView[] {
  return (specs ?? []).map((spec) => {
    const s = statuses?.find((x) => x.name === spec.name);
    return compact({
      name: spec.name,
      image: spec.image ?? '',
      ready: s?.ready ?? false,
      restartCount: s?.restartCount ?? 0,
      state: state(s?.state),
      lastTerminated: s?.lastState?.terminated ? terminated(s.lastState.terminated) : undefined,
    });
  });
}

/** The fields of a pod that diagnosis reads (see PodView). */
export function trimPod(pod: PodLike): PodView {
  const status = pod.status ?? {};
  return compact({
    name: pod.metadata?.name ?? '',
    created: ms(pod.metadata?.creationTimestamp) ?? 0,
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    phase: status.phase,
    reason: status.reason,
    message: status.message,
    startTime: ms(status.startTime),
    conditions: (status.conditions ?? []).filter((c) => KEPT_CONDITIONS.has(c.type)).map(condition),
    initContainers: containers(pod.spec?.initContainers, status.initContainerStatuses),
    containers: containers(pod.spec?.containers, status.containerStatuses),
  });
}

export interface DeploymentLike {
  spec?: { replicas?: number };
  status?: { replicas?: number; availableReplicas?: number; conditions?: readonly ConditionLike[] };
}

/** The fields of a Deployment that diagnosis reads (see DeploymentView). */
export function trimDeployment(d: DeploymentLike): DeploymentView {
  return {
    // The API server defaults spec.replicas to 1; an HPA-owned Deployment still carries its choice.
    desired: d.spec?.replicas ?? 1,
    replicas: d.status?.replicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    conditions: (d.status?.conditions ?? [])
      .filter((c) => c.type === 'Progressing' || c.type === 'ReplicaFailure')
      .map(condition),
  };
}
