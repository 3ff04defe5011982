import { describe, expect, test } from 'vitest';
import type { Cause, KubeObject } from '../model/index.js';
import {
  assertStatusInvariants,
  type Endpoint,
  parseSpecOrThrow,
  type RegionStatus,
} from '../model/index.js';
import { computeStatus, watchdog } from './status.js';

const now = new Date('2026-11-26T12:00:00.000Z');

function endpoint(overrides: Partial<Endpoint> = {}, spec: Record<string, unknown> = {}): Endpoint {
  return {
    name: 'llm',
    desiredState: 'running',
    targetRegions: ['us-east-1'],
    namespace: 'gco-inference',
    spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', replicas: 2, ...spec }),
    ingressPath: '/inference/llm',
    labels: {},
    generation: 3,
    ...overrides,
  } as Endpoint;
}

function deployment(
  name: string,
  replicas: number | undefined,
  ready: number,
  opts: { generation?: number; observed?: number; updated?: number; conditions?: unknown[] } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'gco-inference',
      generation: opts.generation ?? 1,
    } as unknown as KubeObject['metadata'],
    spec: replicas === undefined ? {} : { replicas },
    status: {
      readyReplicas: ready,
      updatedReplicas: opts.updated ?? ready,
      observedGeneration: opts.observed ?? opts.generation ?? 1,
      conditions: opts.conditions ?? [],
    },
  } as KubeObject;
}

function previous(overrides: Partial<RegionStatus>): RegionStatus {
  return {
    endpointName: 'llm',
    region: 'us-east-1',
    state: 'running',
    replicasReady: 2,
    replicasDesired: 2,
    observedGeneration: 3,
    ingressPulled: false,
    conditions: [],
    lastSync: '2026-11-26T11:00:00.000Z',
    lastTransition: '2026-11-26T11:00:00.000Z',
    ...overrides,
  };
}

const base = { name: 'llm', region: 'us-east-1', removing: false, watchdog: undefined, now };

describe('computeStatus', () => {
  test.each([
    [
      'running, when every desired replica is ready and the rollout is observed',
      [deployment('llm', 2, 2)],
      undefined,
      'running',
      'True',
    ],
    [
      'creating, when replicas are not ready yet and it never ran',
      [deployment('llm', 2, 1)],
      undefined,
      'creating',
      'False',
    ],
    [
      'updating, when replicas are not ready and it ran before',
      [deployment('llm', 2, 1)],
      previous({}),
      'updating',
      'False',
    ],
    [
      'updating, when the Deployment controller has not observed the new generation',
      [deployment('llm', 2, 2, { generation: 2, observed: 1 })],
      previous({}),
      'updating',
      'False',
    ],
    ['creating, when the Deployment does not exist yet', [], undefined, 'creating', 'False'],
  ] as const)('reports %s', (_name, observed, prev, state, ready) => {
    const status = computeStatus({ ...base, endpoint: endpoint(), observed, previous: prev });
    expect(status.state).toBe(state);
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe(ready);
    assertStatusInvariants(status, 3);
  });

  test("is not running while an old ReplicaSet's pods are what is ready (mid-rollout)", () => {
    // 2 desired, 2 updated (new pods up but not ready), 2 ready (the old ones), 4 pods in all.
    const d = deployment('llm', 2, 2, { updated: 2 }) as KubeObject & { status: Record<string, unknown> };
    d.status.replicas = 4;
    const mid = computeStatus({ ...base, endpoint: endpoint(), observed: [d], previous: previous({}) });
    expect(mid.state).toBe('updating');
    d.status.replicas = 2;
    const done = computeStatus({ ...base, endpoint: endpoint(), observed: [d], previous: previous({}) });
    expect(done.state).toBe('running');
  });

  test('sets observedGeneration after a pass without failure, even before pods are ready', () => {
    const status = computeStatus({
      ...base,
      endpoint: endpoint(),
      observed: [deployment('llm', 2, 0)],
      previous: undefined,
    });
    expect(status.observedGeneration).toBe(3);
  });

  test('keeps the previous observedGeneration and reports error when the pass failed', () => {
    const status = computeStatus({
      ...base,
      endpoint: endpoint(),
      observed: [deployment('llm', 2, 2)],
      previous: previous({ observedGeneration: 2 }),
      failure: { reason: 'ApplyFailed', message: 'apply Deployment: 422' },
    });
    expect(status.state).toBe('error');
    expect(status.observedGeneration).toBe(2);
    expect(status.error).toBe('apply Deployment: 422');
    assertStatusInvariants(status, 3);
  });

  test('reports a terminal problem as error + Stalled and never Ready', () => {
    const status = computeStatus({
      ...base,
      endpoint: undefined,
      observed: [],
      previous: undefined,
      stalled: {
        reason: 'InvalidSpec',
        message: 'spec.port: must be between 1 and 65535, got 0',
        generation: 4,
      },
    });
    expect(status.state).toBe('error');
    expect(status.conditions.find((c) => c.type === 'Stalled')?.status).toBe('True');
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
    assertStatusInvariants(status, 4);
  });

  test('follows the HPA-owned replica count when autoscaling is on', () => {
    const ep = endpoint({}, { autoscaling: { enabled: true, min_replicas: 2, max_replicas: 6 } });
    const status = computeStatus({
      ...base,
      endpoint: ep,
      observed: [deployment('llm', 5, 5)],
      previous: undefined,
    });
    expect(status).toMatchObject({ state: 'running', replicasDesired: 5, replicasReady: 5 });
  });

  test('a stopped endpoint is stopped once its Deployment is at zero', () => {
    const status = computeStatus({
      ...base,
      endpoint: endpoint({ desiredState: 'stopped' }),
      observed: [deployment('llm', 0, 0)],
      previous: previous({}),
    });
    expect(status).toMatchObject({ state: 'stopped', replicasDesired: 0 });
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  test('waits for the canary, and reports its readiness and weight', () => {
    const ep = endpoint({}, { canary: { image: 'vllm/vllm-openai:v0.9.1', weight: 25, replicas: 1 } });
    const waiting = computeStatus({
      ...base,
      endpoint: ep,
      observed: [deployment('llm', 2, 2), deployment('llm-canary', 1, 0)],
      previous: previous({}),
    });
    expect(waiting).toMatchObject({ state: 'updating', canaryReady: 0, canaryWeight: 25 });
    const ready = computeStatus({
      ...base,
      endpoint: ep,
      observed: [deployment('llm', 2, 2), deployment('llm-canary', 1, 1)],
      previous: waiting,
    });
    expect(ready).toMatchObject({ state: 'running', canaryReady: 1 });
    expect(ready.conditions.find((c) => c.type === 'CanaryReady')?.status).toBe('True');
  });

  test('surfaces why a rollout cannot progress in the message', () => {
    const stuck = deployment('llm', 2, 0, {
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: 'serviceaccount "x" not found',
        },
      ],
    });
    const status = computeStatus({
      ...base,
      endpoint: endpoint(),
      observed: [stuck],
      previous: undefined,
    });
    expect(status.conditions.find((c) => c.type === 'Ready')?.message).toBe(
      '0/2 replicas ready; FailedCreate: serviceaccount "x" not found',
    );
  });

  describe('with causes', () => {
    const cause = (over: Partial<Cause>): Cause => ({
      reason: 'Unschedulable',
      severity: 'waiting',
      track: 'primary',
      message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      pods: 1,
      since: '2026-11-26T11:59:00.000Z',
      ...over,
    });
    const unready = {
      ...base,
      endpoint: endpoint(),
      observed: [deployment('llm', 2, 0)],
      previous: undefined,
    };
    const cond = (s: RegionStatus, type: string) => s.conditions.find((c) => c.type === type);

    test('a waiting cause names Ready and Reconciling; no Stalled', () => {
      const s = computeStatus({ ...unready, causes: [cause({})] });
      expect(s.causes).toEqual([cause({})]);
      expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      expect(cond(s, 'Reconciling')).toMatchObject({ reason: 'Unschedulable' });
      expect(cond(s, 'Stalled')).toBeUndefined();
      assertStatusInvariants(s, 3);
    });

    test('a terminal cause anywhere in the list makes the region Stalled with that cause', () => {
      const pull = cause({
        reason: 'ImagePullFailed',
        severity: 'terminal',
        track: 'canary',
        message: 'bad image',
      });
      const s = computeStatus({ ...unready, causes: [pull, cause({})] });
      expect(cond(s, 'Stalled')).toMatchObject({
        status: 'True',
        reason: 'ImagePullFailed',
        message: 'canary: bad image',
      });
      expect(cond(s, 'Reconciling')).toBeUndefined();
      expect(s.state).toBe('creating');
      assertStatusInvariants(s, 3);
    });

    test('the causes clear and Stalled goes with them', () => {
      const stalled = computeStatus({ ...unready, causes: [cause({ severity: 'terminal' })] });
      const s = computeStatus({ ...unready, previous: stalled, causes: [] });
      expect(s.causes).toBeUndefined();
      expect(cond(s, 'Stalled')).toBeUndefined();
      expect(cond(s, 'Reconciling')).toMatchObject({ reason: 'WaitingForReplicas' });
    });

    test('an apply failure speaks for itself; the causes are still listed', () => {
      const s = computeStatus({
        ...unready,
        failure: { reason: 'ApplyFailed', message: 'etcd timeout' },
        causes: [cause({ severity: 'terminal' })],
      });
      expect(cond(s, 'Ready')).toMatchObject({ reason: 'ApplyFailed' });
      expect(cond(s, 'Stalled')).toBeUndefined();
      expect(s.causes).toHaveLength(1);
    });
  });

  test('carries the Ingress address, hostname before IP, once the cluster reports one', () => {
    const ingress = (lb: unknown): KubeObject =>
      ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'inference-llm', namespace: 'gco-inference' },
        status: { loadBalancer: lb },
      }) as KubeObject;
    const at = (lb: unknown) =>
      computeStatus({
        ...base,
        endpoint: endpoint(),
        observed: [deployment('llm', 2, 2), ingress(lb)],
        previous: undefined,
      }).address;
    expect(at({ ingress: [{ hostname: 'k8s-alb.example.com', ip: '10.0.0.1' }] })).toBe(
      'k8s-alb.example.com',
    );
    expect(at({ ingress: [{ ip: '10.0.0.1' }] })).toBe('10.0.0.1');
    expect(at({})).toBeUndefined();
  });

  test('removal: deleted only when no object remains', () => {
    const ep = endpoint({ desiredState: 'deleted' });
    const removing = computeStatus({
      ...base,
      removing: true,
      endpoint: ep,
      observed: [deployment('llm', 2, 2)],
      previous: previous({}),
    });
    expect(removing.state).toBe('updating');
    const done = computeStatus({
      ...base,
      removing: true,
      endpoint: ep,
      observed: [],
      previous: removing,
    });
    expect(done).toMatchObject({ state: 'deleted', observedGeneration: 3, replicasDesired: 0 });
    assertStatusInvariants(done, 3);
  });

  test('lastTransition moves only when the state changes', () => {
    const prev = previous({ lastTransition: '2026-11-26T10:00:00.000Z' });
    const same = computeStatus({
      ...base,
      endpoint: endpoint(),
      observed: [deployment('llm', 2, 2)],
      previous: prev,
    });
    expect(same.lastTransition).toBe('2026-11-26T10:00:00.000Z');
    const changed = computeStatus({
      ...base,
      endpoint: endpoint(),
      observed: [deployment('llm', 2, 1)],
      previous: prev,
    });
    expect(changed.lastTransition).toBe(now.toISOString());
  });
});

describe('watchdog', () => {
  const threshold = 300_000;
  test.each([
    [
      'is idle, when a replica is ready',
      [deployment('llm', 2, 1)],
      undefined,
      { ingressPulled: false, unreadySince: undefined, tripsInMs: undefined },
    ],
    [
      'starts its clock, when no replica is ready',
      [deployment('llm', 2, 0)],
      undefined,
      { ingressPulled: false, unreadySince: now.toISOString(), tripsInMs: threshold },
    ],
    [
      'continues the clock from the status item (a new leader keeps it)',
      [deployment('llm', 2, 0)],
      previous({ unreadySince: '2026-11-26T11:58:00.000Z' }),
      { ingressPulled: false, unreadySince: '2026-11-26T11:58:00.000Z', tripsInMs: 180_000 },
    ],
    [
      'trips, when the clock passed the threshold',
      [deployment('llm', 2, 0)],
      previous({ unreadySince: '2026-11-26T11:54:00.000Z' }),
      { ingressPulled: true, unreadySince: '2026-11-26T11:54:00.000Z', tripsInMs: undefined },
    ],
    [
      'stays tripped until a replica is ready',
      [deployment('llm', 2, 0)],
      previous({ ingressPulled: true, unreadySince: '2026-11-26T11:59:59.000Z' }),
      { ingressPulled: true, unreadySince: '2026-11-26T11:59:59.000Z', tripsInMs: undefined },
    ],
    [
      'resets, when a replica is ready again',
      [deployment('llm', 2, 1)],
      previous({ ingressPulled: true, unreadySince: '2026-11-26T11:00:00.000Z' }),
      { ingressPulled: false, unreadySince: undefined, tripsInMs: undefined },
    ],
    [
      'is idle, when the Deployment does not exist yet',
      [],
      previous({ unreadySince: '2026-11-26T11:00:00.000Z' }),
      { ingressPulled: false, unreadySince: undefined, tripsInMs: undefined },
    ],
  ] as const)('%s', (_name, observed, prev, expected) => {
    expect(watchdog({ endpoint: endpoint(), observed, previous: prev, now, thresholdMs: threshold })).toEqual(
      expected,
    );
  });

  test('is idle for a stopped endpoint (zero replicas is what was asked for)', () => {
    const decision = watchdog({
      endpoint: endpoint({ desiredState: 'stopped' }),
      observed: [deployment('llm', 0, 0)],
      previous: previous({ unreadySince: '2026-11-26T11:00:00.000Z' }),
      now,
      thresholdMs: threshold,
    });
    expect(decision.ingressPulled).toBe(false);
  });
});
