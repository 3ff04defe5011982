import { describe, expect, test } from 'vitest';
import type { Cause, Endpoint, RegionStatus } from '../model/index.js';
import type { RegionHeartbeat } from '../store/index.js';
import {
  listEntry,
  listSchema,
  outputJsonSchema,
  type StatusView,
  statusSchema,
  statusView,
} from './views.js';

const endpoint = (over: Partial<Endpoint> = {}): Endpoint => ({
  name: 'llama',
  desiredState: 'running',
  targetRegions: ['eu-west-1', 'us-east-1'],
  namespace: 'gco-inference',
  spec: { image: 'img:1', replicas: 2 } as Endpoint['spec'],
  ingressPath: '/inference/llama',
  labels: {},
  generation: 2,
  ...over,
});
const status = (region: string, over: Partial<RegionStatus> = {}): RegionStatus => ({
  endpointName: 'llama',
  region,
  state: 'running',
  replicasReady: 2,
  replicasDesired: 2,
  observedGeneration: 2,
  ingressPulled: false,
  conditions: [],
  lastSync: 't',
  lastTransition: 't',
  ...over,
});
const NOW = new Date('2025-06-01T12:00:00.000Z');
const alive = (region: string): RegionHeartbeat => ({
  region,
  lastHeartbeat: 't',
  identity: 'm',
  alive: true,
});

describe('statusView', () => {
  test('a region on an older generation is not ready and says so, never "2/2 ready"', () => {
    const v = statusView(
      endpoint(),
      [status('us-east-1'), status('eu-west-1', { observedGeneration: 1 })],
      [alive('us-east-1'), alive('eu-west-1')],
      NOW,
    );
    expect(v.state).toBe('deploying');
    expect(v.regions.map((r) => [r.region, r.ready, r.message])).toEqual([
      ['eu-west-1', false, 'applying generation 2 (observed 1)'],
      ['us-east-1', true, '2/2 replicas ready'],
    ]);
    expect(v.message).toBe('1/2 regions ready; eu-west-1: applying generation 2 (observed 1)');
    statusSchema.parse(v);
  });

  test('stale, stopped and absent monitors are their own states', () => {
    const v = statusView(
      endpoint({ targetRegions: ['a', 'b', 'c'] }),
      [status('a', { region: 'a' })],
      [
        { region: 'a', lastHeartbeat: 'old', identity: 'm', alive: false },
        { region: 'b', lastHeartbeat: 't', identity: 'm', alive: false, withdrawnAt: 'w' },
      ],
      NOW,
    );
    expect(v.regions.map((r) => [r.region, r.state, r.monitor, r.message])).toEqual([
      ['a', 'stale', 'stale', 'monitor not reporting since old'],
      ['b', 'missing', 'withdrawn', 'monitor stopped at w'],
      ['c', 'missing', 'absent', 'no monitor has ever reported from this region'],
    ]);
    expect(v.state).toBe('degraded');
  });

  test('a stopped endpoint counts regions that stopped', () => {
    const v = statusView(
      endpoint({ desiredState: 'stopped' }),
      [status('us-east-1', { state: 'stopped', replicasReady: 0, replicasDesired: 0 })],
      [alive('us-east-1'), alive('eu-west-1')],
      NOW,
    );
    expect(v.message).toBe('stopped in 1/2 regions; eu-west-1: waiting for the monitor (no status yet)');
  });
});

describe('causes', () => {
  const cause = (over: Partial<Cause> = {}): Cause => ({
    reason: 'Unschedulable',
    severity: 'waiting',
    track: 'primary',
    message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
    pods: 1,
    since: '2025-06-01T11:59:00.000Z',
    ...over,
  });
  const unready = { state: 'creating', replicasReady: 0 } as const;
  const crash = cause({
    reason: 'CrashLooping',
    severity: 'terminal',
    message: 'container "inference" was OOMKilled (exit code 137), 3 restarts',
    details: { restarts: 3, exitCode: 137 },
  });

  test("a region's message is its worst cause on one line; -o json has every cause, worst first", () => {
    const v = statusView(
      endpoint(),
      [
        status('us-east-1', { ...unready, causes: [cause(), crash] }),
        status('eu-west-1', { ...unready, causes: [cause()] }),
      ],
      [alive('us-east-1'), alive('eu-west-1')],
      NOW,
    );
    const us = v.regions.find((r) => r.region === 'us-east-1')!;
    expect(us.message).toBe(
      'CrashLooping (terminal), 1 pod since 2025-06-01T11:59:00.000Z: container "inference" was OOMKilled (exit code 137), 3 restarts (+1 more)',
    );
    expect(us.causes.map((c) => c.reason)).toEqual(['CrashLooping', 'Unschedulable']);
    expect(us.causes[0]?.details).toEqual({ restarts: 3, exitCode: 137 });
    expect(us.causes[1]?.details).toEqual({});
    statusSchema.parse(v);

    const row = listEntry(v);
    expect(row.message).toBe(
      '0/2 regions ready; us-east-1: CrashLooping (terminal), 1 pod since 2025-06-01T11:59:00.000Z: container "inference" was OOMKilled (exit code 137), 3 restarts',
    );
    expect(row.cause).toMatchObject({ region: 'us-east-1', reason: 'CrashLooping', severity: 'terminal' });
    listSchema.shape.endpoints.element.parse(row);
  });

  test('a ready region with a failing canary still says so', () => {
    const v = statusView(
      endpoint({ targetRegions: ['us-east-1'] }),
      [status('us-east-1', { causes: [cause({ track: 'canary', reason: 'ProbeFailing', message: 'm' })] })],
      [alive('us-east-1')],
      NOW,
    );
    expect(v.regions[0]?.message).toBe(
      '2/2 replicas ready; canary ProbeFailing, 1 pod since 2025-06-01T11:59:00.000Z: m',
    );
  });

  test('a healthy endpoint lists no cause, and the url comes from the Ingress address when reported', () => {
    const v = statusView(
      endpoint({ targetRegions: ['us-east-1', 'eu-west-1'] }),
      [status('us-east-1', { address: 'k8s-gco.elb.example' }), status('eu-west-1')],
      [alive('us-east-1'), alive('eu-west-1')],
      NOW,
    );
    expect(v.regions.map((r) => [r.region, r.url, r.causes])).toEqual([
      ['eu-west-1', null, []],
      ['us-east-1', 'http://k8s-gco.elb.example/inference/llama', []],
    ]);
    expect(listEntry(v)).toMatchObject({ message: '2/2 regions ready', cause: null });
  });
});

describe('statusView with region waves', () => {
  const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];
  const waves = endpoint({
    targetRegions: [...regions].sort(),
    generation: 7,
    spec: {
      image: 'img:7',
      replicas: 2,
      rollout: {
        waves: [['us-east-1'], ['eu-west-1', 'ap-northeast-1']],
        bake_seconds: 300,
        on_failure: 'revert',
        progress_deadline_seconds: 900,
      },
    } as Endpoint['spec'],
  });
  const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
  const view = (first: Partial<RegionStatus>) =>
    statusView(
      waves,
      [
        status('us-east-1', first),
        status('eu-west-1', { observedGeneration: 6 }),
        status('ap-northeast-1', { observedGeneration: 6 }),
      ],
      regions.map(alive),
      NOW,
    );
  const byRegion = (v: StatusView, region: string) => v.regions.find((r) => r.region === region)!;

  test('the plan, and each later region serving its generation while the first wave bakes', () => {
    const v = view({ observedGeneration: 7, healthySince: ago(88) });
    expect(v.rollout).toEqual({
      waves: [['us-east-1'], ['eu-west-1', 'ap-northeast-1']],
      bake_seconds: 300,
      on_failure: 'revert',
      progress_deadline_seconds: 900,
    });
    const eu = byRegion(v, 'eu-west-1');
    expect(eu).toMatchObject({
      served_generation: 6,
      gate: { kind: 'baking', region: 'us-east-1', left_seconds: 212 },
      halt: null,
      message: 'serving generation 6, 2/2 replicas ready; waiting: us-east-1 baking, 212 s left',
    });
    expect(byRegion(v, 'us-east-1')).toMatchObject({ served_generation: 7, gate: null });
    expect(v.state).toBe('deploying');
    statusSchema.parse(v);
  });

  test('a later region waits while the first wave is not healthy at the generation', () => {
    const v = view({ observedGeneration: 7, state: 'updating', replicasReady: 0 });
    expect(byRegion(v, 'ap-northeast-1').gate).toEqual({
      kind: 'waiting',
      region: 'us-east-1',
      left_seconds: null,
    });
    expect(byRegion(v, 'ap-northeast-1').message).toBe(
      'serving generation 6, 2/2 replicas ready; waiting: us-east-1 not healthy at generation 7 yet',
    );
  });

  test('halted: the phase, the region and cause, where it reverted to, and the later waves never got it', () => {
    const halt = {
      generation: 7,
      reason: 'CrashLooping',
      message: 'container "inference" failed with exit code 1',
      at: ago(10),
      revertedTo: 6,
    };
    const v = view({ observedGeneration: 6, halt });
    expect(v.state).toBe('halted');
    expect(v.message).toBe(
      'rollout of generation 7 halted in us-east-1: CrashLooping: container "inference" failed with exit code 1 (reverted to generation 6)',
    );
    expect(byRegion(v, 'us-east-1')).toMatchObject({
      served_generation: 6,
      gate: null,
      halt: { generation: 7, reason: 'CrashLooping', reverted_to: 6 },
      message:
        'halted here: CrashLooping: container "inference" failed with exit code 1; reverted to generation 6',
    });
    expect(byRegion(v, 'eu-west-1')).toMatchObject({
      served_generation: 6,
      gate: { kind: 'halted', region: 'us-east-1', left_seconds: null },
      message: 'serving generation 6, 2/2 replicas ready; halted: us-east-1 CrashLooping',
    });
    expect(listEntry(v)).toMatchObject({ state: 'halted', message: v.message });
    statusSchema.parse(v);
  });

  test('a halt of an older generation is history: the next generation resumes', () => {
    const halt = { generation: 6, reason: 'CrashLooping', message: 'm', at: ago(999) };
    const v = view({ observedGeneration: 7, halt, healthySince: ago(400) });
    expect(v.state).toBe('deploying');
    expect(byRegion(v, 'us-east-1').halt).toBeNull();
    expect(byRegion(v, 'eu-west-1')).toMatchObject({
      gate: null,
      message: 'applying generation 7 (observed 6)',
    });
  });

  test('without a policy: no plan, no gate, whatever the other regions report', () => {
    const v = statusView(
      endpoint(),
      [status('us-east-1', { replicasReady: 0 }), status('eu-west-1', { observedGeneration: 1 })],
      [alive('us-east-1'), alive('eu-west-1')],
      NOW,
    );
    expect(v.rollout).toBeNull();
    expect(v.regions.map((r) => [r.gate, r.halt])).toEqual([
      [null, null],
      [null, null],
    ]);
  });
});

test('docs/cli-output.schema.json is the schema the output is checked against (-u regenerates it)', async () => {
  await expect(`${JSON.stringify(outputJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(
    '../../docs/cli-output.schema.json',
  );
});
