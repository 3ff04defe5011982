// What diagnosis reads and what it reports. Plain data, times as epoch milliseconds inside and as
// ISO-8601 in a Cause, so a Cause can go into a status item as it is.

/** A pod or Deployment condition, trimmed. */
export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  /** Epoch ms of lastTransitionTime, when the cluster gave one. */
  readonly since?: number;
}

export type ContainerState =
  | { readonly kind: 'waiting'; readonly reason?: string; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAt?: number }
  | {
      readonly kind: 'terminated';
      readonly exitCode: number;
      readonly reason?: string;
      readonly message?: string;
      readonly finishedAt?: number;
    };

/** A container's spec image and the kubelet's view of it. */
export interface ContainerView {
  readonly name: string;
  /** From the pod spec: the reference as written (the status may hold a resolved digest). */
  readonly image: string;
  readonly ready: boolean;
  readonly restartCount: number;
  /** Undefined until the kubelet reports the container. */
  readonly state?: ContainerState;
  readonly lastTerminated?: Extract<ContainerState, { kind: 'terminated' }>;
}

/**
 * The fields of a pod that diagnosis reads, nothing else, so a cache of every pod of every
 * endpoint stays small.
 */
export interface PodView {
  readonly name: string;
  /** Epoch ms of creationTimestamp: the last resort for `since`, always set by the API server. */
  readonly created: number;
  /** metadata.deletionTimestamp is set: the pod is going away and says nothing about the spec. */
  readonly deleting: boolean;
  readonly phase?: string;
  /** status.reason, e.g. `Evicted`. */
  readonly reason?: string;
  readonly message?: string;
  readonly startTime?: number;
  /** PodScheduled, Initialized, ContainersReady, Ready and DisruptionTarget only. */
  readonly conditions: readonly ConditionView[];
  readonly initContainers: readonly ContainerView[];
  readonly containers: readonly ContainerView[];
}

/** The Deployment of one track (primary or canary), trimmed. */
export interface DeploymentView {
  /** spec.replicas (the HPA's current choice when autoscaling). */
  readonly desired: number;
  /** status.replicas: pods the ReplicaSets have created. */
  readonly replicas: number;
  readonly available: number;
  /** Progressing and ReplicaFailure are the ones read. */
  readonly conditions: readonly ConditionView[];
}

export type { Cause, CauseReason, Severity, Track } from '../model/causes.js';
export { CAUSE_REASONS } from '../model/causes.js';

/** When a cause turns terminal or starts being reported; defaults in DEFAULT_THRESHOLDS. */
export interface Thresholds {
  /** CrashLooping is terminal at this many restarts of one container. */
  readonly crashLoopRestarts: number;
  /** ErrImagePull / ImagePullBackOff is terminal after failing this long. */
  readonly imagePullMs: number;
  /** A running model-sync init container is reported as stuck after this long. */
  readonly modelSyncStuckMs: number;
  /** A running, unready container is reported as ProbeFailing after this long. */
  readonly probeGraceMs: number;
  /** CreateFailed for an exceeded quota is terminal after this long. */
  readonly quotaMs: number;
  /** Evictions and preemptions older than this explain nothing any more. */
  readonly disruptionWindowMs: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  crashLoopRestarts: 3,
  imagePullMs: 120_000,
  modelSyncStuckMs: 30 * 60_000,
  probeGraceMs: 120_000,
  quotaMs: 120_000,
  disruptionWindowMs: 10 * 60_000,
};

export interface TrackInput {
  /** The track's pods (selected by its Deployment's selector). */
  readonly pods: readonly PodView[];
  /** Undefined while the Deployment is not (yet) seen. */
  readonly deployment?: DeploymentView;
  /** The image the track's current spec runs; pods of another image belong to an older rollout. */
  readonly image: string;
  /** The readiness probe, to name it in ProbeFailing. */
  readonly probe: { readonly path: string; readonly port: number };
}

export interface DiagnoseInput {
  readonly primary: TrackInput;
  readonly canary?: TrackInput;
  /** Epoch ms. */
  readonly now: number;
  readonly thresholds?: Partial<Thresholds>;
}
