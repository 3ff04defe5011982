// Why an endpoint is not serving in a region: the closed set of causes that diagnosis reports
// (src/diagnose, docs/diagnosis.md) and that status items carry to every reader.

export const CAUSE_REASONS = [
  'CreateFailed',
  'Unschedulable',
  'ImagePullFailed',
  'ModelSyncFailed',
  'CrashLooping',
  'ProbeFailing',
  'Evicted',
  'Preempted',
  'ProgressDeadlineExceeded',
] as const;
/** The closed set, in precedence order (docs/diagnosis.md). */
export type CauseReason = (typeof CAUSE_REASONS)[number];

export type Severity = 'terminal' | 'waiting';
export type Track = 'primary' | 'canary';

export interface Cause {
  readonly reason: CauseReason;
  /** terminal: the rollout cannot succeed without a change; waiting: it may still succeed. */
  readonly severity: Severity;
  readonly track: Track;
  /** The cluster's own words, with the container or image it is about. */
  readonly message: string;
  /** Pods affected (for Deployment-level causes, the replicas missing). */
  readonly pods: number;
  /** ISO-8601: the earliest time the cluster records for this cause on any affected pod. */
  readonly since: string;
  readonly details?: Readonly<Record<string, string | number>>;
}
