// reconcileEndpoint against small fake ports (desired cache, observed objects, executor, status
// store), as controller-runtime and Flux test their reconcilers besides envtest: each row is one
// situation, and what the pass wrote to the cluster and to the status store.
import { pino } from 'pino';
import { describe, expect, test, vi } from 'vitest';
import { regionStatus } from '../../test/helpers/region-status.js';
import type { PodView } from '../diagnose/index.js';
import { KubeApiError, NotLeaderError } from '../kube/index.js';
import { settleOwned } from '../kube/keep.js';
import {
  type EndpointSpecInput,
  InvalidSpecError,
  type KubeObject,
  type KubeRef,
  parseEndpointItem,
  type RegionStatus,
  statusInvariantViolations,
} from '../model/index.js';
import { render } from '../render/index.js';
import type { DesiredEntry } from './desired-cache.js';
import { classify } from './errors.js';
import { ApplyExpectations } from './expectations.js';
import { type ReconcileDeps, reconcileEndpoint } from './reconcile-endpoint.js';
import { RenderMemo } from './render-memo.js';
import { StatusBook } from './status-book.js';

const REGION = 'us-east-1';
const NOW = new Date('2026-11-30T12:00:00Z');

function entry(spec: Partial<EndpointSpecInput> = {}, item: Record<string, unknown> = {}): DesiredEntry {
  const r = parseEndpointItem({
    endpoint_name: 'llama',
    target_regions: [REGION],
    generation: 2,
    spec: { image: 'vllm/vllm-openai:v0.9.0', ...spec },
    ...item,
  });
  if (!r.ok) throw r.error;
  return { kind: 'endpoint', endpoint: r.value };
}

/** The objects as the cluster would show them after applying `objs`, with a live replica count. */
function live(objs: readonly KubeObject[], replicas = 2): KubeObject[] {
  return objs.map((o) => {
    const copy = structuredClone(o) as KubeObject & { spec: Record<string, unknown> };
    if (o.kind === 'Deployment') {
      copy.spec.replicas ??= replicas;
      return { ...copy, status: { readyReplicas: replicas, updatedReplicas: replicas } };
    }
    return copy;
  });
}

interface World {
  readonly entry?: DesiredEntry;
  readonly scanComplete?: boolean;
  readonly observed?: KubeObject[];
  readonly previous?: RegionStatus;
  readonly namespaces?: string[];
  readonly now?: Date;
  /** Trimmed pods by Deployment name. */
  readonly pods?: Record<string, PodView[]>;
  /** Every apply waits for it after it is sent: an apply in flight. */
  readonly applyGate?: Promise<void>;
  /** Thrown by the executor for the first apply of this kind. */
  readonly failApply?: { kind: string; error: unknown };
  /** The status store already holds what the pass computes: its put writes nothing. */
  readonly statusUnchanged?: boolean;
}

function harness(world: World, statuses = new StatusBook(), expectations?: ApplyExpectations) {
  const calls: string[] = [];
  const events: string[] = [];
  const written: RegionStatus[] = [];
  const deleted: string[] = [];
  const settled: string[] = [];
  if (world.previous) statuses.set(world.previous);
  const describe = (r: KubeRef) => `${r.kind}/${r.name}`;
  const deps: ReconcileDeps = {
    region: REGION,
    allowedNamespaces: new Set(world.namespaces ?? ['gco-inference']),
    unhealthyThresholdMs: 600_000,
    desired: { get: () => world.entry, scanComplete: world.scanComplete ?? true },
    observed: {
      byEndpoint: () => world.observed ?? [],
      podsOf: (_namespace, deployment) => world.pods?.[deployment] ?? [],
      settle: (o) => settled.push(`${o.kind}/${o.metadata.name}`),
    },
    executor: {
      async apply(obj, { previous }) {
        if (world.failApply?.kind === obj.kind) throw world.failApply.error;
        calls.push(`apply ${obj.kind}/${obj.metadata.name}`);
        await world.applyGate;
        // As the API server answers: the applied fields over the live status.
        return { outcome: previous ? 'configured' : 'created', object: { ...obj, status: previous?.status } };
      },
      async delete(ref) {
        calls.push(`delete ${describe(ref)}`);
        return { outcome: 'deleted' };
      },
      async handOffReplicas(ref, replicas) {
        calls.push(`handOff ${describe(ref)} ${replicas}`);
      },
    },
    store: {
      async putStatusIfChanged(status) {
        if (world.statusUnchanged) return { written: false };
        written.push(status);
        return { written: true };
      },
      async deleteStatus(name, region) {
        deleted.push(`${name}/${region}`);
      },
      async listStatus() {
        return [];
      },
      async purgeEndpoint() {},
    },
    statuses,
    ...(expectations ? { expectations } : {}),
    now: () => world.now ?? NOW,
    log: pino({ level: 'silent' }),
    recordEvent: async (e) => {
      events.push(`${e.type} ${e.reason}: ${e.note}`);
    },
  };
  const run = async () => {
    try {
      return { result: await reconcileEndpoint(deps, 'llama'), error: undefined };
    } catch (error) {
      return { result: undefined, error };
    }
  };
  return { run, calls, events, written, deleted, settled, statuses, deps };
}

const previousStatus: RegionStatus = regionStatus({
  endpointName: 'llama',
  region: REGION,
  observedGeneration: 1,
});
const invalid: DesiredEntry = {
  kind: 'invalid',
  name: 'llama',
  generation: 4,
  error: new InvalidSpecError([{ path: 'spec.replicas', rule: 'must be ≥ 0' }]),
};
const rendered = (e: DesiredEntry) => (e.kind === 'endpoint' ? render(e.endpoint, REGION) : []);
const apiError = (status: number, reason: string, message: string) =>
  new KubeApiError(status, reason, 'apply', undefined, message);

describe('reconcileEndpoint', () => {
  test.each<{
    name: string;
    world: World;
    calls: string[];
    /** State and Stalled/Ready reason of the one status write; undefined: no status write. */
    status?: { state: string; reason: string };
    /** State and Ready reason of a status computed but held back by the write policy (not written). */
    held?: { state: string; reason: string };
    /** How the pass ended: ok, or the classification of what it threw. */
    ends: string;
    deleted?: string[];
  }>([
    {
      name: 'an unknown name before the first complete scan: nothing',
      world: { scanComplete: false },
      calls: [],
      ends: 'ok',
    },
    {
      name: 'an invalid item: Stalled InvalidSpec, no cluster write, no retry',
      world: { entry: invalid },
      calls: [],
      status: { state: 'error', reason: 'InvalidSpec' },
      ends: 'terminal',
    },
    {
      name: 'a namespace that is not allowed: Stalled NamespaceNotAllowed',
      world: { entry: entry({}, { namespace: 'team-x' }) },
      calls: [],
      status: { state: 'error', reason: 'NamespaceNotAllowed' },
      ends: 'terminal',
    },
    {
      name: 'an endpoint for another region that never ran here: nothing',
      world: { entry: entry({}, { target_regions: ['eu-west-1'] }) },
      calls: [],
      ends: 'ok',
    },
    {
      name: 'a new endpoint: Service, Deployment, then Ingress; creating, held back while it rolls out',
      world: { entry: entry() },
      calls: ['apply Service/llama', 'apply Deployment/llama', 'apply Ingress/inference-llama'],
      held: { state: 'creating', reason: 'WaitingForReplicas' },
      ends: 'ok',
    },
    {
      name: 'an up-to-date endpoint with its replicas ready: no write to the cluster; running',
      world: { entry: entry(), observed: live(rendered(entry()), 1) },
      calls: [],
      status: { state: 'running', reason: 'Succeeded' },
      ends: 'ok',
    },
    {
      name: 'autoscaling turned on: the live replica count is handed off before the apply',
      world: {
        entry: entry({ autoscaling: { enabled: true, min_replicas: 2, max_replicas: 4 } }),
        observed: live(rendered(entry({ replicas: 3 })), 3),
      },
      calls: ['handOff Deployment/llama 3', 'apply Deployment/llama', 'apply HorizontalPodAutoscaler/llama'],
      status: { state: 'running', reason: 'Succeeded' },
      ends: 'ok',
    },
    {
      name: 'an apply the API server refuses as invalid: Stalled with its message, no retry',
      world: {
        entry: entry(),
        failApply: { kind: 'Deployment', error: apiError(422, 'Invalid', 'spec.template: bad') },
      },
      calls: ['apply Service/llama'],
      status: { state: 'error', reason: 'ApplyRejected' },
      ends: 'terminal',
    },
    {
      name: 'an apply the API server cannot take now: error ApplyFailed, retried',
      world: {
        entry: entry(),
        failApply: { kind: 'Deployment', error: apiError(500, 'InternalError', 'etcd timeout') },
      },
      calls: ['apply Service/llama'],
      status: { state: 'error', reason: 'ApplyFailed' },
      ends: 'transient',
    },
    {
      name: 'the lease lost mid-pass: stops, writes no status',
      world: {
        entry: entry(),
        failApply: { kind: 'Deployment', error: new NotLeaderError('me', 'apply', undefined) },
      },
      calls: ['apply Service/llama'],
      ends: 'not-leader',
    },
    {
      name: 'the item gone with objects left: deletes them, Ingress first, then its status item',
      world: { observed: live(rendered(entry())), previous: previousStatus },
      calls: ['delete Ingress/inference-llama', 'delete Deployment/llama', 'delete Service/llama'],
      deleted: ['llama/us-east-1'],
      ends: 'ok',
    },
    {
      name: 'the item gone and nothing left: its status item goes',
      world: { previous: previousStatus },
      calls: [],
      deleted: ['llama/us-east-1'],
      ends: 'ok',
    },
    {
      name: 'stopped: the Ingress goes first, the Deployment scales to 0',
      world: { entry: entry({}, { desired_state: 'stopped' }), observed: live(rendered(entry())) },
      calls: ['delete Ingress/inference-llama', 'apply Deployment/llama'],
      status: { state: 'stopped', reason: 'Stopped' },
      ends: 'ok',
    },
  ])('$name', async (row) => {
    const h = harness(row.world);
    const { error } = await h.run();
    expect(h.calls).toEqual(row.calls);
    expect(error === undefined ? 'ok' : classify(error).kind).toBe(row.ends);
    if (row.status) {
      expect(h.written).toHaveLength(1);
      const s = h.written[0]!;
      const cause =
        s.conditions.find((c) => c.type === 'Stalled') ?? s.conditions.find((c) => c.type === 'Ready');
      expect({ state: s.state, reason: cause?.reason }).toEqual(row.status);
      expect(h.statuses.get('llama')).toEqual(s);
    } else {
      expect(h.written).toEqual([]);
    }
    if (row.held) {
      const s = h.statuses.get('llama');
      const ready = s?.conditions.find((c) => c.type === 'Ready');
      expect({ state: s?.state, reason: ready?.reason }).toEqual(row.held);
    }
    expect(h.deleted).toEqual(row.deleted ?? []);
  });

  test("a refused apply reports the API server's message on the Stalled condition", async () => {
    const h = harness({
      entry: entry(),
      failApply: { kind: 'Deployment', error: apiError(422, 'Invalid', 'spec.template.spec: Invalid value') },
    });
    await h.run();
    const stalled = h.written[0]?.conditions.find((c) => c.type === 'Stalled');
    expect(stalled?.status).toBe('True');
    expect(stalled?.message).toContain('spec.template.spec: Invalid value');
  });
});

/** A pod of `image` crash-looping with `restarts` restarts, as trimPod keeps it. */
function crashLooping(name: string, restarts: number, image = 'vllm/vllm-openai:v0.9.0'): PodView {
  const since = NOW.getTime() - 300_000;
  return {
    name,
    created: since,
    deleting: false,
    phase: 'Running',
    startTime: since,
    conditions: [
      { type: 'PodScheduled', status: 'True', since },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', since },
    ],
    initContainers: [],
    containers: [
      {
        name: 'inference',
        image,
        ready: false,
        restartCount: restarts,
        state: { kind: 'waiting', reason: 'CrashLoopBackOff' },
        lastTerminated: { kind: 'terminated', exitCode: 1, reason: 'Error', finishedAt: since },
      },
    ],
  };
}

describe('reconcileEndpoint: settling the cache', () => {
  test('the objects plan found up to date are offered to the cache to settle; those applied are not', async () => {
    const observed = live(rendered(entry({ image: 'vllm/vllm-openai:v0.8.0' })), 1);
    const h = harness({ entry: entry(), observed });
    await h.run();
    expect(h.calls).toEqual(['apply Deployment/llama']);
    const upToDate = observed
      .filter((o) => o.kind !== 'Deployment')
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(upToDate.length).toBeGreaterThan(0);
    expect(h.settled.sort()).toEqual(upToDate.sort());
  });

  test("a pass over objects the cache has settled at the last render's hashes renders nothing; any other pass renders", async () => {
    let renders = 0;
    // Room for one endpoint's objects: rendering another evicts them, their keys and hashes stay.
    const memo = new RenderMemo((e, r, o) => {
      renders++;
      return render(e, r, o);
    }, 1);
    const desired = entry();
    const world: { entry: DesiredEntry; observed: KubeObject[] } = {
      entry: desired,
      observed: live(rendered(desired)),
    };
    const h = harness(world);
    const pass = () => reconcileEndpoint({ ...h.deps, renderMemo: memo }, 'llama');
    await pass();
    expect([renders, h.calls, h.settled.length]).toEqual([1, [], world.observed.length]);
    const written = h.written.length;
    const other = entry({ image: 'vllm/vllm-openai:v0.9.1' });
    if (other.kind === 'endpoint') memo.render(other.endpoint, REGION, { ingressPulled: false });
    expect(renders).toBe(2);

    // The watch cache now holds them settled (ADR 0014): the plan needs no render.
    world.observed = world.observed.map(settleOwned);
    await pass();
    expect([renders, h.calls]).toEqual([2, []]);
    expect(h.written.slice(written)).toEqual([h.written[written - 1]]); // the same status

    // A new version of the Deployment from the watch (not settled): rendered, checked for drift.
    world.observed = world.observed.map((o) =>
      o.kind === 'Deployment' ? live(rendered(desired)).find((d) => d.kind === 'Deployment')! : o,
    );
    await pass();
    expect([renders, h.calls]).toEqual([3, []]);

    // A hand edit that changed our hash annotation: rendered and applied again.
    world.observed = world.observed
      .map(settleOwned)
      .map((o) =>
        o.kind === 'Service' ? settleOwned({ ...o, metadata: { ...o.metadata, annotations: {} } }) : o,
      );
    await pass();
    expect(renders).toBe(3); // the render is still in the memo
    expect(h.calls).toEqual(['apply Service/llama']);
  });
});

describe('reconcileEndpoint: diagnosis of the pods', () => {
  // The Deployment as it runs with 1 replica of which none is ready.
  const unready = () =>
    live(rendered(entry()), 1).map((o) =>
      o.kind === 'Deployment' ? { ...o, status: { readyReplicas: 0, updatedReplicas: 1, replicas: 1 } } : o,
    );

  test('a terminal cause: listed with its severity, Ready False and Stalled True with its reason, and the pass still reconciles', async () => {
    const h = harness({ entry: entry(), observed: unready(), pods: { llama: [crashLooping('llama-a', 4)] } });
    const { result, error } = await h.run();
    expect(error).toBeUndefined();
    const s = h.written[0]!;
    expect(s.causes?.map((c) => [c.reason, c.severity, c.track, c.pods])).toEqual([
      ['CrashLooping', 'terminal', 'primary', 1],
    ]);
    const cond = (type: string) => s.conditions.find((c) => c.type === type);
    expect(cond('Ready')).toMatchObject({ status: 'False', reason: 'CrashLooping' });
    expect(cond('Stalled')).toMatchObject({ status: 'True', reason: 'CrashLooping' });
    expect(cond('Stalled')?.message).toContain('4 restarts');
    expect(cond('Reconciling')).toBeUndefined();
    expect(statusInvariantViolations(s, 2)).toEqual([]);
    // Looked at again without a pod event, so a fix that arrives is seen and thresholds pass.
    expect(result?.requeueAfterMs).toBeGreaterThan(0);
  });

  test('a waiting cause: Reconciling with its reason, no Stalled', async () => {
    const h = harness({ entry: entry(), observed: unready(), pods: { llama: [crashLooping('llama-a', 1)] } });
    await h.run();
    const s = h.written[0]!;
    expect(s.causes?.[0]).toMatchObject({ reason: 'CrashLooping', severity: 'waiting' });
    expect(s.conditions.find((c) => c.type === 'Reconciling')).toMatchObject({ reason: 'CrashLooping' });
    expect(s.conditions.find((c) => c.type === 'Stalled')).toBeUndefined();
  });

  test('pods of an older image say nothing about the current spec', async () => {
    const h = harness({
      entry: entry(),
      observed: unready(),
      pods: { llama: [crashLooping('llama-old', 9, 'vllm/vllm-openai:v0.8.0')] },
    });
    await h.run();
    // Nothing to report but progress: held back, and without causes.
    expect(h.written).toEqual([]);
    expect(h.statuses.get('llama')?.causes).toBeUndefined();
  });

  test('a climbing restart count is held back until the interval has passed, with a recheck at its end', async () => {
    const statuses = new StatusBook();
    const first = harness(
      { entry: entry(), observed: unready(), pods: { llama: [crashLooping('llama-a', 4)] } },
      statuses,
    );
    await first.run();
    const written = first.written[0]!;
    const second = harness(
      { entry: entry(), observed: unready(), pods: { llama: [crashLooping('llama-a', 5)] } },
      statuses,
    );
    const { result } = await second.run();
    // The same content as written: the status store sees no change and writes nothing.
    expect(second.written[0]!.causes).toEqual(written.causes);
    expect(second.written[0]!.conditions).toEqual(written.conditions);
    expect(result?.requeueAfterMs).toBeLessThanOrEqual(30_000);
    // Without another pod event, the pass at the end of the interval writes the new count.
    const later = harness(
      {
        entry: entry(),
        observed: unready(),
        pods: { llama: [crashLooping('llama-a', 5)] },
        now: new Date(NOW.getTime() + 30_000),
      },
      statuses,
    );
    await later.run();
    expect(later.written[0]!.causes?.[0]?.details).toMatchObject({ restarts: 5 });
  });

  test('a healthy endpoint has no causes and is not looked at again', async () => {
    const h = harness({ entry: entry(), observed: live(rendered(entry()), 1) });
    const { result } = await h.run();
    expect(h.written[0]!.causes).toBeUndefined();
    expect(result).toEqual({});
  });
});

describe('reconcileEndpoint: writes while an endpoint converges', () => {
  const e = entry();
  const objects = rendered(e);
  // The watch cache as the passes find it: empty (the creates not delivered yet), the objects
  // with no replica ready, ready, or with a pod the diagnosis names.
  const views = {
    empty: () => [] as KubeObject[],
    unready: () =>
      live(objects, 2).map((o) =>
        o.kind === 'Deployment' ? { ...o, status: { readyReplicas: 0, updatedReplicas: 2, replicas: 2 } } : o,
      ),
    ready: () => live(objects, 2),
  };
  interface Pass {
    readonly atMs: number;
    readonly cache: keyof typeof views;
    readonly pods?: PodView[];
  }

  test.each<{
    name: string;
    passes: Pass[];
    /**
     * Per pass: the cluster writes, the state put to the status store (undefined: none; the store
     * itself skips an unchanged item), the requeue asked for (the watchdog's clock runs from the
     * first pass that sees the Deployment with no replica ready: its 600 s threshold shows up once
     * the hold is over).
     */
    expected: { calls: number; put?: string; requeueAfterMs?: number }[];
  }>([
    {
      name: 'a create that converges within the window: objects applied once, one status write (running)',
      passes: [
        { atMs: 0, cache: 'empty' },
        // A sibling's watch event before the Deployment's: the own applies stand in, nothing re-applied.
        { atMs: 40, cache: 'empty' },
        { atMs: 900, cache: 'unready' },
        { atMs: 2_000, cache: 'ready' },
      ],
      expected: [
        { calls: 3, requeueAfterMs: 5_000 },
        { calls: 0, requeueAfterMs: 4_960 },
        { calls: 0, requeueAfterMs: 4_100 },
        { calls: 0, put: 'running' },
      ],
    },
    {
      name: 'a slow rollout is written as creating when the window ends, then running',
      passes: [
        { atMs: 0, cache: 'empty' },
        { atMs: 5_000, cache: 'unready' },
        { atMs: 5_500, cache: 'unready' },
        { atMs: 9_000, cache: 'ready' },
      ],
      expected: [
        { calls: 3, requeueAfterMs: 5_000 },
        { calls: 0, put: 'creating', requeueAfterMs: 600_050 },
        { calls: 0, put: 'creating', requeueAfterMs: 599_550 },
        { calls: 0, put: 'running' },
      ],
    },
    {
      name: 'a cause the diagnosis finds is written at once',
      passes: [
        { atMs: 0, cache: 'empty' },
        { atMs: 1_000, cache: 'unready', pods: [crashLooping('llama-a', 1)] },
      ],
      expected: [
        { calls: 3, requeueAfterMs: 5_000 },
        // The next restart is a pod event; only the watchdog has a clock running.
        { calls: 0, put: 'creating', requeueAfterMs: 600_050 },
      ],
    },
  ])('$name', async ({ passes, expected }) => {
    let clock = 0;
    const statuses = new StatusBook();
    const expectations = new ApplyExpectations(() => NOW.getTime() + clock);
    const seen = [];
    for (const pass of passes) {
      clock = pass.atMs;
      const h = harness(
        {
          entry: e,
          observed: views[pass.cache](),
          now: new Date(NOW.getTime() + pass.atMs),
          ...(pass.pods ? { pods: { llama: pass.pods } } : {}),
        },
        statuses,
        expectations,
      );
      const { result, error } = await h.run();
      expect(error).toBeUndefined();
      seen.push({
        calls: h.calls.length,
        ...(h.written[0] ? { put: h.written[0].state } : {}),
        ...(result?.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : {}),
      });
      expect(h.written.length).toBeLessThanOrEqual(1);
    }
    expect(seen).toEqual(expected);
  });

  test('a pass that clears a written failure is written at once, not held back', async () => {
    const failed: RegionStatus = { ...previousStatus, state: 'error', error: 'apply Service: etcd timeout' };
    const h = harness({ entry: e, observed: views.unready(), previous: failed });
    await h.run();
    expect(h.written.map((s) => [s.state, s.observedGeneration, s.error])).toEqual([
      ['creating', 2, undefined],
    ]);
  });

  test('a second pass while the first pass has its applies in flight (the lease lost and won back) applies nothing', async () => {
    const statuses = new StatusBook();
    const expectations = new ApplyExpectations();
    let open = () => {};
    const applyGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const a = harness({ entry: e, observed: [], applyGate }, statuses, expectations);
    const first = a.run();
    await vi.waitFor(() => expect(a.calls).toEqual(['apply Service/llama', 'apply Deployment/llama']));
    const b = harness({ entry: e, observed: [] }, statuses, expectations);
    await b.run();
    open();
    await first;
    expect(b.calls).toEqual([]);
    expect(a.calls).toEqual([
      'apply Service/llama',
      'apply Deployment/llama',
      'apply Ingress/inference-llama',
    ]);
  });

  test('an apply that failed, and one never sent after it, are not expected: the next pass sends both', async () => {
    const statuses = new StatusBook();
    const expectations = new ApplyExpectations();
    const failApply = { kind: 'Service', error: apiError(500, 'InternalError', 'etcd timeout') };
    await harness({ entry: e, observed: [], failApply }, statuses, expectations).run();
    const next = harness({ entry: e, observed: [] }, statuses, expectations);
    await next.run();
    expect(next.calls).toEqual(['apply Service/llama', 'apply Ingress/inference-llama']);
  });

  test('without expectations, the pass before the watch shows the creates applies them again', async () => {
    const statuses = new StatusBook();
    await harness({ entry: e, observed: [] }, statuses).run();
    const again = harness({ entry: e, observed: [] }, statuses);
    await again.run();
    expect(again.calls).toHaveLength(3);
  });
});

describe('reconcileEndpoint: Events', () => {
  test('no Event for the first creation in a region, none for the passes that follow, one for a spec change', async () => {
    const statuses = new StatusBook();
    const expectations = new ApplyExpectations();
    const events: string[] = [];
    const calls: string[] = [];
    for (const observed of [[], [], live(rendered(entry()), 1)]) {
      const h = harness({ entry: entry(), observed }, statuses, expectations);
      await h.run();
      events.push(...h.events);
      calls.push(...h.calls);
    }
    expect(calls).toHaveLength(3);
    expect(events).toEqual([]);
    const changed = entry({ image: 'vllm/vllm-openai:v0.9.1' }, { generation: 3 });
    const h = harness({ entry: changed, observed: live(rendered(entry()), 1) }, statuses, expectations);
    await h.run();
    expect(h.events).toEqual([
      expect.stringMatching(
        /^Normal \w+: generation 3: apply Deployment\/llama \(HashChanged\): configured$/,
      ),
    ]);
  });

  test('objects deleted by hand after the endpoint reported are re-created with an Event', async () => {
    const statuses = new StatusBook();
    const expectations = new ApplyExpectations();
    for (const observed of [[], live(rendered(entry()), 1)]) {
      await harness({ entry: entry(), observed }, statuses, expectations).run();
    }
    const h = harness({ entry: entry(), observed: [] }, statuses, expectations);
    await h.run();
    expect(h.calls).toHaveLength(3);
    expect(h.events).toEqual([
      expect.stringMatching(/^Normal \w+: generation 2: apply \w+\/\S+ \(Missing\): created;/),
    ]);
  });

  test('a failure retried with the same message is told once', async () => {
    const statuses = new StatusBook();
    // The Deployment goes out in the same wave and succeeds; the retry finds it applied.
    const expectations = new ApplyExpectations();
    const failApply = { kind: 'Service', error: apiError(500, 'InternalError', 'etcd timeout') };
    const first = harness({ entry: entry(), failApply }, statuses, expectations);
    await first.run();
    const retry = harness({ entry: entry(), failApply }, statuses, expectations);
    await retry.run();
    expect(first.events).toEqual([
      expect.stringMatching(/^Warning ApplyFailed: generation 2: .*etcd timeout$/),
    ]);
    expect(retry.calls).toEqual([]);
    expect(retry.events).toEqual([]);
    // A different failure is news again.
    const other = harness(
      {
        entry: entry(),
        failApply: { kind: 'Service', error: apiError(503, 'ServiceUnavailable', 'overloaded') },
      },
      statuses,
      expectations,
    );
    await other.run();
    expect(other.events).toEqual([expect.stringMatching(/overloaded$/)]);
  });
});

describe('reconcileEndpoint: quiet passes (a resync may skip them while their inputs stay)', () => {
  const running = () => live(rendered(entry()), 1);
  test.each<{ name: string; world: World; quiet: boolean; later?: boolean }>([
    {
      name: 'objects up to date, replicas ready, the status as written: quiet',
      world: { entry: entry(), observed: running(), statusUnchanged: true },
      quiet: true,
    },
    {
      name: 'the same, but the status changed: written, not quiet',
      world: { entry: entry(), observed: running() },
      quiet: false,
    },
    {
      name: 'an object missing: applied, not quiet',
      world: {
        entry: entry(),
        observed: running().filter((o) => o.kind !== 'Service'),
        statusUnchanged: true,
      },
      quiet: false,
    },
    {
      name: 'no replica ready, the status as written: quiet, and the watchdog asks the queue for a later look',
      world: {
        entry: entry(),
        observed: running().map((o) =>
          o.kind === 'Deployment' ? { ...o, status: { readyReplicas: 0, updatedReplicas: 1 } } : o,
        ),
        // Reported for this generation already, so nothing is held back.
        previous: regionStatus({
          endpointName: 'llama',
          region: REGION,
          observedGeneration: 2,
          state: 'creating',
        }),
        statusUnchanged: true,
      },
      quiet: true,
      later: true,
    },
    {
      name: 'deleted and gone here: the purge reads the other regions, not quiet',
      world: { entry: entry({}, { desired_state: 'deleted' }), statusUnchanged: true },
      quiet: false,
    },
    {
      name: 'an invalid item: Stalled, ends with an error',
      world: { entry: invalid, statusUnchanged: true },
      quiet: false,
    },
  ])('$name', async ({ world, quiet, later }) => {
    const { result } = await harness(world).run();
    expect(result?.quiet === true).toBe(quiet);
    expect(result?.requeueAfterMs !== undefined).toBe(later === true);
  });
});
