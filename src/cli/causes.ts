// Causes (why a region is not serving, docs/diagnosis.md) as readers show them: one line per
// cause, the worst one across regions, and which ones `--wait` has not printed yet.
import { CAUSE_REASONS, type Cause, type CauseReason, compareCauses, compareText } from '../model/index.js';

/** Monitors name the conditions a cause sets (Ready False, Stalled True) after the cause. */
export const isCauseReason = (reason: string): reason is CauseReason =>
  (CAUSE_REASONS as readonly string[]).includes(reason);

/** Long enough for the scheduler's usual verdict, short enough for one terminal line. */
const MESSAGE_MAX = 120;

/** Termination messages may span lines; a one-line reader shows them as one. */
export function shorten(text: string, max = MESSAGE_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * `CrashLooping (terminal), 1 pod since 2025-06-01T11:58:00.000Z: container "inference" failed …`;
 * canary causes say so first, as the primary may be fine.
 */
export function causeLine(
  c: Pick<Cause, 'reason' | 'severity' | 'track' | 'pods' | 'since' | 'message'>,
): string {
  const track = c.track === 'canary' ? 'canary ' : '';
  const severity = c.severity === 'terminal' ? ' (terminal)' : '';
  const pods = `${c.pods} ${c.pods === 1 ? 'pod' : 'pods'}`;
  return `${track}${c.reason}${severity}, ${pods} since ${c.since}: ${shorten(c.message)}`;
}

export interface RegionCause<C extends Cause = Cause> {
  readonly region: string;
  readonly cause: C;
}

/** The cause a one-line reader shows for several regions: terminal first, then by precedence. */
export function worstCause<C extends Cause>(
  regions: readonly { region: string; causes: readonly C[] }[],
): RegionCause<C> | undefined {
  const all = regions.flatMap((r) => r.causes.map((cause) => ({ region: r.region, cause })));
  return all.sort((a, b) => compareCauses(a.cause, b.cause) || compareText(a.region, b.region))[0];
}

/** `--wait` prints a cause once per region, track and reason, however its counts move. */
export function unseenCauses(
  seen: ReadonlySet<string>,
  region: string,
  causes: readonly Cause[],
): RegionCause[] {
  return causes.filter((c) => !seen.has(causeKey(region, c))).map((cause) => ({ region, cause }));
}

export const causeKey = (region: string, c: Cause): string => `${region}/${c.track}/${c.reason}`;

/** The first thing to try, in the `--wait` error; docs/operations.md has the full table. */
const WHAT_TO_DO: Record<CauseReason, string> = {
  CreateFailed: 'raise the namespace quota or fix what the admission policy refuses',
  Unschedulable: 'lower gpu_count, change node_selector, or add capacity',
  ImagePullFailed: 'fix the image reference or the registry access (`inferctl update-image`)',
  ModelSyncFailed: 'fix model_source or the bucket permissions (`inferctl update --model-source`)',
  CrashLooping: "read the container's logs, then fix the image, args or memory (`inferctl update`)",
  ProbeFailing: 'check health_path and port, or give the model longer to load',
  Evicted: 'nothing if replacements run; otherwise add capacity or use on-demand nodes',
  Preempted: 'nothing if replacements run; otherwise add capacity',
  ProgressDeadlineExceeded: 'fix what held the rollout back (the causes above), then apply again',
};

export const whatToDo = (reason: CauseReason): string => WHAT_TO_DO[reason];
