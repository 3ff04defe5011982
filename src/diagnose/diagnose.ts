import { compareCauses, compareText } from '../model/index.js';
import {
  type Cause,
  type CauseReason,
  type ConditionView,
  type ContainerState,
  type ContainerView,
  DEFAULT_THRESHOLDS,
  type DeploymentView,
  type DiagnoseInput,
  type PodView,
  type Thresholds,
  type Track,
  type TrackInput,
} from './types.js';

/** One pod's (or one Deployment's) cause before pods are counted together. */
interface Finding {
  readonly reason: CauseReason;
  readonly terminal: boolean;
  readonly message: string;
  readonly since: number;
  readonly pods: number;
  /** Orders findings of one reason: the highest becomes the cause's message and details. */
  readonly weight: number;
  readonly name: string;
  readonly details?: Readonly<Record<string, string | number>>;
}

type Terminated = Extract<ContainerState, { kind: 'terminated' }>;

const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** Pull failures no retry can fix: the reference itself is wrong, or pulling is forbidden. */
const PULL_FAILURES_AT_ONCE = new Set(['InvalidImageName', 'ErrImageNeverPull']);
const PREEMPTION = new Set(['PreemptionByScheduler', 'PreemptionByKubeScheduler']);

const cond = (conditions: readonly ConditionView[], type: string) => conditions.find((c) => c.type === type);
const withText = (head: string, text: string | undefined) => (text ? `${head}: ${text}` : head);
const exitText = (t: Terminated) => `exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`;

/**
 * The time a diagnosis is made at, and the earliest later moment at which one of the thresholds
 * it compared passes: until then, the same pods and Deployments are diagnosed the same way, so
 * the caller needs no look before it (or before an event).
 */
class Clock {
  next: number | undefined;

  constructor(readonly now: number) {}

  /** Whether `ms` have passed since `since`; remembers when they will, if that is still ahead. */
  passed(since: number, ms: number): boolean {
    this.turnsAt(since + ms);
    return this.now - since >= ms;
  }

  /** Whether `since` is at most `ms` ago; remembers when it will not be, if that is still ahead. */
  within(since: number, ms: number): boolean {
    this.turnsAt(since + ms + 1);
    return this.now - since <= ms;
  }

  private turnsAt(at: number): void {
    if (at > this.now && (this.next === undefined || at < this.next)) this.next = at;
  }
}

function notReadySince(pod: PodView): number {
  const ready = cond(pod.conditions, 'Ready');
  return (ready?.status === 'False' ? ready.since : undefined) ?? pod.startTime ?? pod.created;
}

/** Evictions and preemptions, including of pods already failed or going away. */
function disruption(pod: PodView): Finding | undefined {
  const target = cond(pod.conditions, 'DisruptionTarget');
  const evicted = pod.phase === 'Failed' && pod.reason === 'Evicted';
  if (!evicted && target?.status !== 'True') return undefined;
  const preempted = target?.status === 'True' && PREEMPTION.has(target.reason ?? '');
  const finished = pod.containers.map((c) =>
    c.state?.kind === 'terminated' ? c.state.finishedAt : undefined,
  );
  const since =
    (target?.status === 'True' ? target.since : undefined) ??
    finished.find((t) => t !== undefined) ??
    notReadySince(pod);
  return {
    reason: preempted ? 'Preempted' : 'Evicted',
    terminal: false,
    message: (evicted ? pod.message : undefined) ?? target?.message ?? pod.message ?? 'pod disrupted',
    since,
    pods: 1,
    weight: since,
    name: pod.name,
    details: { pod: pod.name, ...(target?.reason ? { disruption: target.reason } : {}) },
  };
}

function imagePull(pod: PodView, th: Thresholds, clock: Clock): Finding | undefined {
  for (const c of [...pod.initContainers, ...pod.containers]) {
    const s = c.state;
    if (s?.kind !== 'waiting' || !PULL_FAILURES.has(s.reason ?? '')) continue;
    const since = pod.startTime ?? pod.created;
    const reason = s.reason ?? '';
    return {
      reason: 'ImagePullFailed',
      terminal: PULL_FAILURES_AT_ONCE.has(reason) || clock.passed(since, th.imagePullMs),
      message: withText(`image "${c.image}" of container "${c.name}": ${reason}`, s.message),
      since,
      pods: 1,
      weight: 0,
      name: pod.name,
      details: { container: c.name, image: c.image, waitingReason: reason },
    };
  }
  return undefined;
}

/**
 * The exit of a serving container that is failing now. With restartPolicy Always any exit is a
 * failure, and a restarted container that is not ready yet has not recovered.
 */
function failedExit(c: ContainerView): Terminated | undefined {
  const s = c.state;
  if (s?.kind === 'terminated') return s;
  if (s?.kind === 'waiting' && s.reason === 'CrashLoopBackOff') return c.lastTerminated;
  if (s?.kind === 'running' && !c.ready && c.restartCount > 0) return c.lastTerminated;
  return undefined;
}

/** The failed exit of an init container, now or on the attempt before the current one. */
function failedInit(c: ContainerView): Terminated | undefined {
  const s = c.state;
  const exit = s?.kind === 'terminated' ? s : c.lastTerminated;
  return exit && exit.exitCode !== 0 ? exit : undefined;
}

function modelSync(pod: PodView, th: Thresholds, clock: Clock): Finding | undefined {
  const initialized = cond(pod.conditions, 'Initialized');
  const since =
    (initialized?.status === 'False' ? initialized.since : undefined) ?? pod.startTime ?? pod.created;
  for (const c of pod.initContainers) {
    const exit = failedInit(c);
    if (exit) {
      return {
        reason: 'ModelSyncFailed',
        terminal: true,
        message: withText(`init container "${c.name}" failed with ${exitText(exit)}`, exit.message),
        since,
        pods: 1,
        weight: c.restartCount,
        name: pod.name,
        details: { container: c.name, exitCode: exit.exitCode, restarts: c.restartCount },
      };
    }
    const s = c.state;
    if (
      s?.kind === 'running' &&
      s.startedAt !== undefined &&
      clock.passed(s.startedAt, th.modelSyncStuckMs)
    ) {
      const started = new Date(s.startedAt).toISOString();
      return {
        reason: 'ModelSyncFailed',
        terminal: false,
        message: `init container "${c.name}" has been running since ${started} and has not finished`,
        since: s.startedAt,
        pods: 1,
        weight: 0,
        name: pod.name,
        details: { container: c.name, stuckSince: started },
      };
    }
  }
  return undefined;
}

function crashLoop(pod: PodView, th: Thresholds): Finding | undefined {
  for (const c of pod.containers) {
    const exit = failedExit(c);
    if (!exit) continue;
    const head =
      exit.reason === 'OOMKilled'
        ? `container "${c.name}" was OOMKilled (exit code ${exit.exitCode})`
        : `container "${c.name}" failed with ${exitText(exit)}`;
    return {
      reason: 'CrashLooping',
      terminal: c.restartCount >= th.crashLoopRestarts,
      message: withText(`${head}, ${c.restartCount} restarts`, exit.message),
      since: notReadySince(pod),
      pods: 1,
      weight: c.restartCount,
      name: pod.name,
      details: {
        container: c.name,
        restarts: c.restartCount,
        exitCode: exit.exitCode,
        ...(exit.reason ? { lastReason: exit.reason } : {}),
      },
    };
  }
  return undefined;
}

function probeFailing(pod: PodView, track: TrackInput, th: Thresholds, clock: Clock): Finding | undefined {
  if (pod.phase !== 'Running') return undefined;
  const c = pod.containers.find((x) => x.state?.kind === 'running' && !x.ready);
  if (c?.state?.kind !== 'running') return undefined;
  const since = notReadySince(pod);
  if (!clock.passed(Math.max(since, c.state.startedAt ?? since), th.probeGraceMs)) return undefined;
  const { path, port } = track.probe;
  const ready = cond(pod.conditions, 'Ready');
  return {
    reason: 'ProbeFailing',
    terminal: false,
    message: withText(
      `container "${c.name}" is running but not ready; readiness probe GET ${path} on port ${port}`,
      ready?.message,
    ),
    since,
    pods: 1,
    weight: 0,
    name: pod.name,
    details: { container: c.name, path, port },
  };
}

/** The one cause that explains a live pod best, in precedence order. */
function podFinding(pod: PodView, track: TrackInput, th: Thresholds, clock: Clock): Finding | undefined {
  if (pod.deleting || pod.phase === 'Failed' || pod.phase === 'Succeeded') return undefined;
  const scheduled = cond(pod.conditions, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      reason: 'Unschedulable',
      terminal: false,
      message: scheduled.message ?? 'no node fits the pod',
      since: scheduled.since ?? pod.created,
      pods: 1,
      weight: 0,
      name: pod.name,
    };
  }
  return (
    imagePull(pod, th, clock) ??
    modelSync(pod, th, clock) ??
    crashLoop(pod, th) ??
    probeFailing(pod, track, th, clock)
  );
}

/** A create failure no retry fixes: an admission rejection or an invalid pod. */
const REJECTED = /forbidden|is invalid|denied/i;

function deploymentFindings(d: DeploymentView, th: Thresholds, clock: Clock): Finding[] {
  const now = clock.now;
  const out: Finding[] = [];
  const failure = cond(d.conditions, 'ReplicaFailure');
  if (failure?.status === 'True') {
    const message = failure.message ?? failure.reason ?? 'the ReplicaSet cannot create pods';
    const since = failure.since ?? now;
    const kind = /exceeded quota/i.test(message) ? 'quota' : REJECTED.test(message) ? 'rejected' : 'other';
    out.push({
      reason: 'CreateFailed',
      terminal: kind === 'rejected' || (kind === 'quota' && clock.passed(since, th.quotaMs)),
      message,
      since,
      pods: Math.max(1, d.desired - d.replicas),
      weight: 0,
      name: '',
      details: { kind },
    });
  }
  const progressing = cond(d.conditions, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    out.push({
      reason: 'ProgressDeadlineExceeded',
      terminal: true,
      message: progressing.message ?? 'the Deployment has timed out progressing',
      since: progressing.since ?? now,
      pods: Math.max(1, d.desired - d.available),
      weight: 0,
      name: '',
    });
  }
  return out;
}

function trackFindings(track: TrackInput, th: Thresholds, clock: Clock): Finding[] {
  // Pods running none of the current image belong to an older rollout that is being replaced.
  const current = track.pods.filter((p) =>
    [...p.initContainers, ...p.containers].some((c) => c.image === track.image),
  );
  const findings: Finding[] = [];
  const d = track.deployment;
  const missingReplicas = d === undefined || d.available < d.desired;
  for (const pod of current) {
    const disrupted = disruption(pod);
    if (disrupted) {
      if (missingReplicas && clock.within(disrupted.since, th.disruptionWindowMs)) findings.push(disrupted);
      continue;
    }
    const f = podFinding(pod, track, th, clock);
    if (f) findings.push(f);
  }
  if (d) findings.push(...deploymentFindings(d, th, clock));
  return findings;
}

function aggregate(findings: readonly Finding[], track: Track): Cause[] {
  // Once the Deployment has given up, whatever held the rollout back is why it failed.
  const deadlineExceeded = findings.some((f) => f.reason === 'ProgressDeadlineExceeded');
  const byReason = new Map<CauseReason, Finding[]>();
  for (const f of findings) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f]);
  return [...byReason.entries()].map(([reason, group]) => {
    const lead = [...group].sort((a, b) => b.weight - a.weight || compareText(a.name, b.name))[0]!;
    const terminal = deadlineExceeded || group.some((f) => f.terminal);
    return {
      reason,
      severity: terminal ? 'terminal' : 'waiting',
      track,
      message: lead.message,
      pods: group.reduce((n, f) => n + f.pods, 0),
      since: new Date(Math.min(...group.map((f) => f.since))).toISOString(),
      ...(lead.details ? { details: lead.details } : {}),
    };
  });
}

/** Why an endpoint in one region is not serving: its causes, most important first; [] when none. */
export function diagnose(input: DiagnoseInput): Cause[] {
  return diagnoseUntil(input).causes;
}

/**
 * `diagnose`, and when its answer would change with time alone: the earliest moment a threshold
 * it compared passes (a pull failing long enough to be terminal, a probe's grace ending, a
 * disruption leaving its window), or undefined when no threshold is ahead. Anything else that
 * changes the answer is a change of the pods or Deployments themselves, which their watch brings.
 */
export function diagnoseUntil(input: DiagnoseInput): { causes: Cause[]; changesAt: number | undefined } {
  const th: Thresholds = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const clock = new Clock(input.now);
  const causes = aggregate(trackFindings(input.primary, th, clock), 'primary');
  if (input.canary) causes.push(...aggregate(trackFindings(input.canary, th, clock), 'canary'));
  return { causes: causes.sort(compareCauses), changesAt: clock.next };
}
