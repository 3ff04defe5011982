// The region-wave step of a reconcile (issue 14; rules in src/rollout, docs/rollout.md). Before
// render it picks the generation this region serves: the current one, an earlier one from the
// revisions table (the gate is closed, or the rollout halted and reverted), or nothing new at all.
// In report it carries the rollout clocks on the status item, decides a halt (and a revert), and
// names the timers a gate needs: the end of a bake, the progress deadline. Never polls.
import {
  ConditionType,
  conditionOf,
  type Endpoint,
  Reason,
  type RegionStatus,
  type RolloutHalt,
  setCondition,
} from '../model/index.js';
import {
  chooseServe,
  type GateWait,
  haltVerdict,
  revertTarget,
  waveOf,
  wavePlan,
  withRolloutClocks,
} from '../rollout/index.js';
import type { StatusOf } from './other-regions.js';

/** What the step reads and reports through; the monitor wires the store, the feed and metrics. */
export interface RolloutPorts {
  readonly otherRegions: { of(name: string): Promise<StatusOf> };
  readonly revisions: { endpointAt(current: Endpoint, generation: number): Promise<Endpoint | undefined> };
  /** In memory per monitor: which generation's first apply each endpoint has counted. */
  readonly started: Map<string, number>;
  /** Endpoints waiting at a gate here, for the gauge. */
  readonly waiting: Set<string>;
  readonly metrics?: {
    halted(): void;
    reverted(): void;
    waitingAtGate(count: number): void;
    gateDelay(seconds: number): void;
  };
}

/** A note for the Reconciling condition: why this region does not run the generation. */
interface Note {
  readonly reason: string;
  readonly message: string;
}

export interface RolloutDecision {
  /** The endpoint's item as read. */
  readonly current: Endpoint;
  /** What this pass renders and reports: `current`, or an earlier generation of it. */
  readonly serve: Endpoint;
  /** Create nothing, delete nothing: nothing runs here yet, or the revision is missing. */
  readonly hold: boolean;
  readonly wait?: GateWait;
  readonly note?: Note;
  readonly statusOf: StatusOf;
  /** This region serves the current generation and has not reported it yet: its wave starts here. */
  readonly first: boolean;
  /** With `first` behind a gate: when the gate could open (epoch ms), for the delay metric. */
  readonly openableAt?: number;
}

/**
 * Which generation this region serves in this pass. Undefined without a policy, and for a stop, a
 * delete or a region being left (never gated): today's behaviour, no read of the other regions.
 */
export async function decideServe(
  ports: RolloutPorts | undefined,
  input: {
    readonly endpoint: Endpoint;
    readonly region: string;
    readonly own: RegionStatus | undefined;
    readonly now: Date;
  },
): Promise<RolloutDecision | undefined> {
  const { endpoint, region, own, now } = input;
  // Stop, delete and leaving a region are never gated: no need to read the other regions.
  const gated =
    endpoint.spec.rollout !== undefined &&
    endpoint.desiredState !== 'stopped' &&
    endpoint.desiredState !== 'deleted' &&
    endpoint.targetRegions.includes(region);
  if (!ports || !gated) {
    if (ports?.waiting.delete(endpoint.name)) ports.metrics?.waitingAtGate(ports.waiting.size);
    return undefined;
  }
  const statusOf = await ports.otherRegions.of(endpoint.name);
  const serve = chooseServe({ endpoint, region, own, statusOf, now });
  const waiting = serve.kind !== 'current' && serve.wait !== undefined;
  if (waiting !== ports.waiting.has(endpoint.name)) {
    if (waiting) ports.waiting.add(endpoint.name);
    else ports.waiting.delete(endpoint.name);
    ports.metrics?.waitingAtGate(ports.waiting.size);
  }
  const base = { current: endpoint, statusOf, first: false };
  if (serve.kind === 'current') {
    const first = (own?.observedGeneration ?? 0) < endpoint.generation;
    const openableAt = first ? gateOpenableAt(endpoint, region, statusOf) : undefined;
    return {
      ...base,
      serve: endpoint,
      hold: false,
      first,
      ...(openableAt !== undefined ? { openableAt } : {}),
    };
  }
  const note = serve.wait ? waitNote(endpoint, serve.wait) : undefined;
  const wait = serve.wait ? { wait: serve.wait } : {};
  if (serve.kind === 'nothing') {
    // Status reports generation 0: nothing of this endpoint was ever applied here.
    return { ...base, ...wait, serve: { ...endpoint, generation: 0 }, hold: true, ...(note ? { note } : {}) };
  }
  const earlier = await ports.revisions.endpointAt(endpoint, serve.generation);
  if (earlier) return { ...base, ...wait, serve: earlier, hold: false, ...(note ? { note } : {}) };
  return {
    ...base,
    ...wait,
    serve: { ...endpoint, generation: own?.observedGeneration ?? 0 },
    hold: true,
    note: {
      reason: Reason.RevisionMissing,
      message: `generation ${serve.generation} has no revision to render (expired, or written without one); keeping what runs${note ? `; ${note.message}` : ''}`,
    },
  };
}

/** The moment the earlier waves made the gate openable: their latest healthySince plus the bake. */
function gateOpenableAt(endpoint: Endpoint, region: string, statusOf: StatusOf): number | undefined {
  const plan = wavePlan(endpoint);
  const wave = waveOf(plan, region);
  if (wave <= 0) return undefined;
  const since = plan
    .slice(0, wave)
    .flat()
    .map((r) => statusOf(r)?.healthySince)
    .map((s) => (s ? Date.parse(s) : Number.NaN));
  if (since.length === 0 || since.some(Number.isNaN)) return undefined;
  return Math.max(...since) + (endpoint.spec.rollout?.bake_seconds ?? 0) * 1000;
}

/** Why the gate is closed, without a countdown: the status item changes when the wait does, not each second. */
function waitNote(endpoint: Endpoint, wait: GateWait): Note {
  const g = endpoint.generation;
  switch (wait.kind) {
    case 'waiting':
      return {
        reason: Reason.WaitingForWave,
        message: `generation ${g} waits for ${wait.region} (wave ${wait.wave + 1}) to report it healthy`,
      };
    case 'baking':
      return {
        reason: Reason.WaitingForWave,
        message: `generation ${g} waits for ${wait.region} (wave ${wait.wave + 1}) to bake ${endpoint.spec.rollout?.bake_seconds ?? 0} s`,
      };
    case 'halted':
      return {
        reason: Reason.RolloutHalted,
        message: `generation ${g} halted in ${wait.region}: ${wait.halt.reason}: ${wait.halt.message}`,
      };
  }
}

interface RolloutEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly note: string;
}

export interface RolloutReport {
  readonly status: RegionStatus;
  readonly requeueAfterMs?: number;
  /** A halt this pass recorded (for its Event and the metrics after the write). */
  readonly halted?: RolloutHalt;
}

/**
 * The status item this pass writes, from the one it computed: the rollout clocks carried, the
 * halt of the current generation kept (a later generation resumes), a new halt decided, the
 * gate's note, and when to look again without an event.
 */
export async function finishStatus(
  ports: RolloutPorts | undefined,
  decision: RolloutDecision | undefined,
  input: {
    readonly endpoint: Endpoint;
    readonly region: string;
    readonly computed: RegionStatus;
    readonly previous: RegionStatus | undefined;
    readonly now: Date;
  },
): Promise<RolloutReport> {
  const { endpoint, region, previous, now } = input;
  const policy = endpoint.spec.rollout;
  let status = withRolloutClocks(input.computed, previous, now, policy ? policy.bake_seconds * 1000 : 0);
  if (previous?.halt && previous.halt.generation === endpoint.generation)
    status = { ...status, halt: previous.halt };
  const at = now.toISOString();
  const note = decision?.note;
  // A Stalled condition already says why; Reconciling beside it would break invariant 2.
  if (note && conditionOf(status, ConditionType.Stalled) === undefined) {
    // The computed item knows nothing of the note: the same wait keeps the time it began, so a
    // region waiting at a gate writes nothing when nothing about the wait changed.
    const prior = previous ? conditionOf(previous, ConditionType.Reconciling) : undefined;
    const same = prior?.status === 'True' && prior.reason === note.reason && prior.message === note.message;
    status = {
      ...status,
      conditions: setCondition(
        status.conditions,
        { type: ConditionType.Reconciling, status: 'True', reason: note.reason, message: note.message },
        same ? prior.lastTransitionTime : at,
      ),
    };
  }
  if (!decision || !ports) return { status };
  const waits: number[] = [];
  if (decision.wait?.kind === 'baking') waits.push(decision.wait.leftMs + 50);
  const verdict = haltVerdict({ endpoint, status, now });
  let halted: RolloutHalt | undefined;
  if (verdict.halt) {
    const target = revertTarget({ endpoint, region, own: status, statusOf: decision.statusOf, now });
    const usable = target !== undefined && (await ports.revisions.endpointAt(endpoint, target)) !== undefined;
    halted = { ...verdict.halt, ...(usable ? { revertedTo: target } : {}) };
    status = { ...status, halt: halted };
    // The reverted generation is served by the next pass, at once.
    if (usable) waits.push(1);
  } else if (verdict.recheckInMs !== undefined) {
    waits.push(verdict.recheckInMs + 50);
  }
  return {
    status,
    ...(waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : {}),
    ...(halted ? { halted } : {}),
  };
}

/**
 * Metrics and Events once the status is written: halt (Warning) and revert, and the first apply
 * of a generation under a policy (the wave starts here) with the gate's delay. A bake completing
 * is neither: it writes nothing.
 */
export function rolloutEvents(
  ports: RolloutPorts,
  decision: RolloutDecision | undefined,
  report: RolloutReport,
  executed: { readonly changes: readonly string[]; readonly failed: boolean },
  now: Date,
): RolloutEvent[] {
  if (!decision) return [];
  const { current } = decision;
  const events: RolloutEvent[] = [];
  const started =
    decision.first &&
    executed.changes.length > 0 &&
    !executed.failed &&
    ports.started.get(current.name) !== current.generation;
  if (started) {
    ports.started.set(current.name, current.generation);
    if (decision.openableAt !== undefined)
      ports.metrics?.gateDelay(Math.max(0, now.getTime() - decision.openableAt) / 1000);
    events.push({
      type: 'Normal',
      reason: Reason.WaveStarted,
      note: `generation ${current.generation}: the wave gate is open, applying here`,
    });
  }
  const halt = report.halted;
  if (halt) {
    ports.metrics?.halted();
    events.push({
      type: 'Warning',
      reason: Reason.RolloutHalted,
      note: `generation ${halt.generation}: rollout halted here: ${halt.reason}: ${halt.message}`,
    });
    if (halt.revertedTo !== undefined) {
      ports.metrics?.reverted();
      events.push({
        type: 'Normal',
        reason: Reason.RolloutReverted,
        note: `generation ${halt.generation}: going back to generation ${halt.revertedTo}, the last one good in every region`,
      });
    }
  }
  return events;
}
