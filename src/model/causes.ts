// Why an endpoint is not serving in a region: the closed set of causes that diagnosis reports
// (src/diagnose, docs/diagnosis.md) and that status items carry to every reader.
import { compareText } from './order.js';

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

const RANK = new Map<CauseReason, number>(CAUSE_REASONS.map((r, i) => [r, i]));

/**
 * The precedence of docs/diagnosis.md: terminal first, then by reason, the primary before the
 * canary, then the message so the order is stable. Diagnosis sorts with it; readers pick the worst.
 */
export function compareCauses(a: Cause, b: Cause): number {
  const severity = (c: Cause) => (c.severity === 'terminal' ? 0 : 1);
  const track = (c: Cause) => (c.track === 'primary' ? 0 : 1);
  return (
    severity(a) - severity(b) ||
    RANK.get(a.reason)! - RANK.get(b.reason)! ||
    track(a) - track(b) ||
    compareText(a.message, b.message)
  );
}
