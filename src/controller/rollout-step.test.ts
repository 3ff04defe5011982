// reconcileEndpoint with a rollout policy, against small fake ports: the other regions' status
// items, the revisions table, the executor and the status store. Each row is one situation and
// what the pass wrote to the cluster and to its status item.
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { regionStatus } from '../../test/helpers/region-status.js';
import type { PodView } from '../diagnose/index.js';
import {
  conditionOf,
  type Endpoint,
  type KubeObject,
  parseEndpointItem,
  type RegionStatus,
  statusInvariantViolations,
} from '../model/index.js';
import { render } from '../render/index.js';
import { type ReconcileDeps, reconcileEndpoint } from './reconcile-endpoint.js';
import type { RolloutPorts } from './rollout-step.js';
import { StatusBook } from './status-book.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const OLD = 'vllm/vllm-openai:v1';
const NEW = 'vllm/vllm-openai:v2';

function endpoint(generation: number, image: string, onFailure = 'revert'): Endpoint {
  const r = parseEndpointItem({
    endpoint_name: 'llama',
    target_regions: ['a', 'b', 'c'],
    generation,
    spec: {
      image,
      replicas: 1,
      rollout: { waves: [['a'], ['b', 'c']], bake_seconds: 60, on_failure: onFailure },
    },
  });
  if (!r.ok) throw r.error;
  return r.value;
}

/** The objects as the cluster shows them once `e` ran in `region`, with `ready` replicas ready. */
function running(e: Endpoint, region: string, ready = 1): KubeObject[] {
  return render(e, region).map((o) => {
    const copy = structuredClone(o) as KubeObject & { spec: Record<string, unknown> };
    if (o.kind !== 'Deployment') return copy;
    copy.spec.replicas ??= 1;
    return { ...copy, status: { readyReplicas: ready, updatedReplicas: 1, replicas: 1 } };
  });
}

function status(region: string, generation: number, extra: Partial<RegionStatus> = {}): RegionStatus {
  return regionStatus({
    endpointName: 'llama',
    region,
    observedGeneration: generation,
    lastSync: ago(600),
    lastTransition: ago(600),
    servingSince: ago(600),
    healthySince: ago(600),
    ...extra,
  });
}

function crashLooping(image: string): PodView {
  const since = NOW.getTime() - 300_000;
  return {
    name: 'llama-x',
    created: since,
    deleting: false,
    phase: 'Running',
    startTime: since,
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', since }],
    initContainers: [],
    containers: [
      {
        name: 'inference',
        image,
        ready: false,
        restartCount: 5,
        state: { kind: 'waiting', reason: 'CrashLoopBackOff' },
        lastTerminated: { kind: 'terminated', exitCode: 1, reason: 'Error', finishedAt: since },
      },
    ],
  };
}

interface World {
  readonly region: string;
  readonly endpoint: Endpoint;
  readonly own?: RegionStatus;
  readonly others?: RegionStatus[];
  readonly observed?: KubeObject[];
  readonly pods?: PodView[];
  /** Generations the revisions table holds, by image. */
  readonly revisions?: Record<number, string>;
}

function harness(world: World) {
  const applied: KubeObject[] = [];
  const calls: string[] = [];
  const written: RegionStatus[] = [];
  const events: { type: string; reason: string; note: string }[] = [];
  const metrics = { halts: 0, reverts: 0, delays: [] as number[], waiting: 0 };
  const statuses = new StatusBook();
  if (world.own) statuses.set(world.own);
  let observed = world.observed ?? [];
  const others = new Map((world.others ?? []).map((s) => [s.region, s]));
  let reads = 0;
  let now = NOW;
  const rollout: RolloutPorts = {
    otherRegions: {
      of: async () => {
        reads++;
        return (region) => others.get(region);
      },
    },
    revisions: {
      async endpointAt(current, generation) {
        const image = world.revisions?.[generation];
        return image ? { ...endpoint(generation, image), name: current.name } : undefined;
      },
    },
    started: new Map(),
    waiting: new Set(),
    metrics: {
      halted: () => metrics.halts++,
      reverted: () => metrics.reverts++,
      waitingAtGate: (n) => {
        metrics.waiting = n;
      },
      gateDelay: (s) => metrics.delays.push(s),
    },
  };
  const deps: ReconcileDeps = {
    region: world.region,
    allowedNamespaces: new Set(['gco-inference']),
    unhealthyThresholdMs: 600_000,
    // Every pass's status is written: what these rows check, not when the write policy writes it.
    statusHoldMs: 0,
    desired: { get: () => ({ kind: 'endpoint', endpoint: world.endpoint }), scanComplete: true },
    observed: { byEndpoint: () => observed, podsOf: () => world.pods ?? [] },
    executor: {
      async apply(obj) {
        calls.push(`apply ${obj.kind}`);
        applied.push(obj);
        return { outcome: 'configured', object: obj };
      },
      async delete(ref) {
        calls.push(`delete ${ref.kind}`);
        return { outcome: 'deleted' };
      },
      async handOffReplicas() {},
    },
    store: {
      async putStatusIfChanged(s) {
        written.push(s);
        return { written: true };
      },
      async deleteStatus() {},
      async listStatus() {
        return [];
      },
      async purgeEndpoint() {},
    },
    statuses,
    now: () => now,
    log: pino({ level: 'silent' }),
    recordEvent: async (e) => {
      events.push({ type: e.type, reason: e.reason, note: e.note });
    },
    rollout,
  };
  return {
    run: () => reconcileEndpoint(deps, 'llama'),
    setObserved: (o: KubeObject[]) => {
      observed = o;
    },
    later: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    applied,
    calls,
    written,
    events,
    metrics,
    reads: () => reads,
    last: () => written.at(-1)!,
  };
}

const imageOf = (objs: readonly KubeObject[]) =>
  (
    objs.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    }
  ).spec.template.spec.containers[0]!.image;

describe('a region behind a closed gate', () => {
  const e5 = endpoint(5, NEW);
  const e4 = endpoint(4, OLD);

  test('renders the earlier generation it serves: a drifted Deployment gets the old image back', async () => {
    // a has not reported generation 5 yet; b serves 4, whose Deployment someone deleted.
    const h = harness({
      region: 'b',
      endpoint: e5,
      own: status('b', 4),
      others: [status('a', 4)],
      observed: running(e4, 'b').filter((o) => o.kind !== 'Deployment'),
      revisions: { 4: OLD },
    });
    await h.run();
    expect(h.calls).toEqual(['apply Deployment']);
    expect(imageOf(h.applied)).toBe(OLD);
    const s = h.last();
    expect(s.observedGeneration).toBe(4);
    expect(conditionOf(s, 'Reconciling')).toMatchObject({
      reason: 'WaitingForWave',
      message: 'generation 5 waits for a (wave 1) to report it healthy',
    });
    expect(statusInvariantViolations(s)).toEqual([]);
    expect(h.metrics.waiting).toBe(1);
  });

  test('with nothing running yet: creates nothing and deletes nothing, even a stray object', async () => {
    const stray = running(e5, 'c').filter((o) => o.kind === 'Service');
    const h = harness({ region: 'c', endpoint: e5, others: [status('a', 4)], observed: stray });
    await h.run();
    expect(h.calls).toEqual([]);
    expect(h.last()).toMatchObject({ observedGeneration: 0, state: 'creating' });
    expect(conditionOf(h.last(), 'Reconciling')?.reason).toBe('WaitingForWave');
  });

  test('a missing revision keeps what runs: no action, and the status says why', async () => {
    const h = harness({
      region: 'b',
      endpoint: e5,
      own: status('b', 4),
      others: [status('a', 4)],
      observed: [],
      revisions: {},
    });
    await h.run();
    expect(h.calls).toEqual([]);
    const s = h.last();
    expect(s.observedGeneration).toBe(4);
    expect(conditionOf(s, 'Reconciling')).toMatchObject({ reason: 'RevisionMissing' });
    expect(conditionOf(s, 'Reconciling')?.message).toContain('generation 4 has no revision');
  });

  test('a later pass with the same wait writes the same item: the note keeps its transition time', async () => {
    const h = harness({
      region: 'b',
      endpoint: e5,
      own: status('b', 4),
      others: [status('a', 4)],
      observed: running(e4, 'b'),
      revisions: { 4: OLD },
    });
    await h.run();
    h.later(30_000);
    await h.run();
    expect(h.written).toHaveLength(2);
    expect({ ...h.written[1], lastSync: '' }).toEqual({ ...h.written[0], lastSync: '' });
    expect(conditionOf(h.written[1]!, 'Reconciling')?.lastTransitionTime).toBe(NOW.toISOString());
  });

  test('while the earlier wave bakes: requeued for the end of the bake, no countdown in the status', async () => {
    const h = harness({
      region: 'b',
      endpoint: e5,
      own: status('b', 4),
      others: [status('a', 5, { healthySince: ago(20) })],
      observed: running(e4, 'b'),
      revisions: { 4: OLD },
    });
    expect(await h.run()).toEqual({ requeueAfterMs: 40_050 });
    expect(h.calls).toEqual([]);
    expect(conditionOf(h.last(), 'Reconciling')?.message).toBe(
      'generation 5 waits for a (wave 1) to bake 60 s',
    );
  });

  test('once it opens: applies the generation, records the wave start and the gate delay', async () => {
    const h = harness({
      region: 'b',
      endpoint: e5,
      own: status('b', 4),
      others: [status('a', 5, { healthySince: ago(62) })],
      observed: running(e4, 'b'),
      revisions: { 4: OLD },
    });
    await h.run();
    expect(imageOf(h.applied)).toBe(NEW);
    expect(h.last().observedGeneration).toBe(5);
    expect(h.events.map((e) => [e.type, e.reason])).toContainEqual(['Normal', 'WaveStarted']);
    expect(h.metrics.delays).toEqual([2]);
    expect(h.metrics.waiting).toBe(0);
  });
});

describe('a halt in the first wave', () => {
  const broken = (e: Endpoint) => running(e, 'a', 0);

  test('on_failure halt: the halt is recorded in its status item, with a Warning, and nothing reverts', async () => {
    const e5 = endpoint(5, NEW, 'halt');
    const h = harness({
      region: 'a',
      endpoint: e5,
      own: status('a', 5, { healthySince: undefined, servingSince: ago(30), lastGoodGeneration: 4 }),
      others: [status('b', 4), status('c', 4)],
      observed: broken(e5),
      pods: [crashLooping(NEW)],
      revisions: { 4: OLD },
    });
    await h.run();
    expect(h.last().halt).toMatchObject({ generation: 5, reason: 'CrashLooping', at: NOW.toISOString() });
    expect(h.last().halt?.revertedTo).toBeUndefined();
    expect(h.events.map((e) => [e.type, e.reason])).toContainEqual(['Warning', 'RolloutHalted']);
    expect(h.metrics).toMatchObject({ halts: 1, reverts: 0 });
  });

  test('on_failure revert: halts, names the generation good everywhere, and the next pass serves it', async () => {
    const e5 = endpoint(5, NEW);
    const h = harness({
      region: 'a',
      endpoint: e5,
      own: status('a', 5, { healthySince: undefined, servingSince: ago(30), lastGoodGeneration: 4 }),
      others: [status('b', 4), status('c', 4)],
      observed: broken(e5),
      pods: [crashLooping(NEW)],
      revisions: { 4: OLD },
    });
    const first = await h.run();
    expect(first.requeueAfterMs).toBeLessThan(100);
    expect(h.last().halt).toMatchObject({ generation: 5, reason: 'CrashLooping', revertedTo: 4 });
    expect(h.events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['RolloutHalted', 'RolloutReverted']),
    );
    h.setObserved(broken(e5));
    await h.run();
    expect(imageOf(h.applied)).toBe(OLD);
    expect(h.last()).toMatchObject({ observedGeneration: 4, halt: { generation: 5, revertedTo: 4 } });
    expect(h.metrics).toMatchObject({ halts: 1, reverts: 1 });
  });
});

describe('after a halt', () => {
  test('a new generation resumes: the first wave applies it and the old halt is dropped', async () => {
    const halt = { generation: 5, reason: 'CrashLooping', message: 'm', at: ago(100), revertedTo: 4 };
    const e6 = endpoint(6, NEW);
    const h = harness({
      region: 'a',
      endpoint: e6,
      own: status('a', 4, { halt }),
      others: [status('b', 4), status('c', 4)],
      observed: running(endpoint(4, OLD), 'a'),
      revisions: { 4: OLD },
    });
    await h.run();
    expect(imageOf(h.applied)).toBe(NEW);
    expect(h.last().observedGeneration).toBe(6);
    expect(h.last().halt).toBeUndefined();
  });

  test('the halted generation stays halted: the first wave keeps serving what it reverted to', async () => {
    const halt = { generation: 5, reason: 'CrashLooping', message: 'm', at: ago(100), revertedTo: 4 };
    const h = harness({
      region: 'a',
      endpoint: endpoint(5, NEW),
      own: status('a', 4, { halt }),
      others: [status('b', 4), status('c', 4)],
      observed: running(endpoint(4, OLD), 'a'),
      revisions: { 4: OLD },
    });
    await h.run();
    expect(h.calls).toEqual([]);
    expect(h.last()).toMatchObject({ observedGeneration: 4, halt });
    expect(h.metrics.halts).toBe(0);
  });
});

describe('without a policy', () => {
  test('every region applies the generation at once and no other region is read', async () => {
    const r = parseEndpointItem({
      endpoint_name: 'llama',
      target_regions: ['a', 'b'],
      generation: 2,
      spec: { image: NEW, replicas: 1 },
    });
    if (!r.ok) throw r.error;
    const h = harness({ region: 'b', endpoint: r.value, own: status('b', 1) });
    await h.run();
    expect(imageOf(h.applied)).toBe(NEW);
    expect(h.last().observedGeneration).toBe(2);
    expect(h.reads()).toBe(0);
  });
});
