import { describe, expect, test } from 'vitest';
import { regionStatus } from '../../test/helpers/region-status.js';
import { type Cause, type Endpoint, parseEndpointItem, type RegionStatus } from '../model/index.js';
import { goodGeneration, withRolloutClocks } from './clocks.js';
import { chooseServe, gate, haltVerdict, revertTarget } from './gate.js';
import { wavePlan } from './waves.js';

const t0 = new Date('2026-11-30T12:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

function endpoint(
  generation: number,
  rollout?: Record<string, unknown>,
  targets = ['a', 'b', 'c'],
): Endpoint {
  const r = parseEndpointItem({
    endpoint_name: 'llm',
    target_regions: targets,
    generation,
    spec: { image: 'vllm/vllm-openai:v1', ...(rollout ? { rollout } : {}) },
  });
  if (!r.ok) throw r.error;
  return r.value;
}

const policy = { waves: [['a'], ['b', 'c']], bake_seconds: 60, on_failure: 'revert' };

const status = (region: string, generation: number, extra: Partial<RegionStatus> = {}): RegionStatus =>
  regionStatus({ endpointName: 'llm', region, observedGeneration: generation, ...extra });

const crash: Cause = {
  reason: 'CrashLooping',
  severity: 'terminal',
  track: 'primary',
  message: 'back-off restarting failed container',
  pods: 1,
  since: t0.toISOString(),
};

describe('the endpoint item', () => {
  const parse = (targets: string[], waves: string[][]) => {
    const r = parseEndpointItem({
      endpoint_name: 'llm',
      target_regions: targets,
      spec: { image: 'x:1', rollout: { waves } },
    });
    return r.ok ? '' : r.error.message;
  };
  test('a region is named in one wave only', () => {
    const message = parse(['a', 'b'], [['a'], ['b', 'a']]);
    expect(message).toContain('spec.rollout.waves[1][1]');
    expect(message).toContain('also in wave 1');
  });
  test('a wave region must be a target region', () => {
    expect(parse(['a', 'b'], [['a'], ['z']])).toContain(
      'spec.rollout.waves[1][0]: must be one of target_regions (a, b), got "z"',
    );
  });

  test('defaults: bake 300 s, halt, deadline 900 s', () => {
    expect(endpoint(1, { waves: [['a']] }).spec.rollout).toEqual({
      waves: [['a']],
      bake_seconds: 300,
      on_failure: 'halt',
      progress_deadline_seconds: 900,
    });
  });
});

describe('wavePlan', () => {
  test('target regions named in no wave go last', () => {
    expect(wavePlan(endpoint(1, { waves: [['b']] }))).toEqual([['b'], ['a', 'c']]);
  });
  test('no policy: no waves', () => {
    expect(wavePlan(endpoint(1))).toEqual([]);
  });
});

describe('gate', () => {
  const e = endpoint(5, policy);
  const statuses = (m: Record<string, RegionStatus>) => (r: string) => m[r];

  test('the first wave and endpoints without a policy are never gated', () => {
    expect(gate({ endpoint: e, region: 'a', statusOf: () => undefined, now: t0 }).open).toBe(true);
    expect(gate({ endpoint: endpoint(5), region: 'b', statusOf: () => undefined, now: t0 }).open).toBe(true);
  });

  test('waits while an earlier region does not report the generation healthy', () => {
    const g = gate({ endpoint: e, region: 'b', statusOf: statuses({ a: status('a', 4) }), now: t0 });
    expect(g).toEqual({ open: false, wait: { kind: 'waiting', region: 'a', wave: 0 } });
  });

  test('bakes for bake_seconds of continuous health, then opens', () => {
    const a = status('a', 5, { healthySince: at(0).toISOString() });
    expect(gate({ endpoint: e, region: 'c', statusOf: statuses({ a }), now: at(20) })).toEqual({
      open: false,
      wait: { kind: 'baking', region: 'a', wave: 0, leftMs: 40_000 },
    });
    expect(gate({ endpoint: e, region: 'c', statusOf: statuses({ a }), now: at(60) }).open).toBe(true);
  });

  test('a halt at this generation closes it for good; at an older one it does not count', () => {
    const halt = { generation: 5, reason: 'CrashLooping', message: 'm', at: t0.toISOString() };
    const a = status('a', 4, { halt, healthySince: at(-999).toISOString() });
    expect(gate({ endpoint: e, region: 'b', statusOf: statuses({ a }), now: at(999) })).toMatchObject({
      open: false,
      wait: { kind: 'halted', region: 'a' },
    });
    const next = endpoint(6, policy);
    const healthyAt6 = status('a', 6, { halt, healthySince: at(0).toISOString() });
    expect(
      gate({ endpoint: next, region: 'b', statusOf: statuses({ a: healthyAt6 }), now: at(61) }).open,
    ).toBe(true);
  });
});

describe('chooseServe', () => {
  const e = endpoint(5, policy);
  const none = () => undefined;
  test('a gated region keeps serving its generation; one with nothing creates nothing', () => {
    expect(
      chooseServe({ endpoint: e, region: 'b', own: status('b', 4), statusOf: none, now: t0 }),
    ).toMatchObject({
      kind: 'earlier',
      generation: 4,
    });
    expect(chooseServe({ endpoint: e, region: 'b', own: undefined, statusOf: none, now: t0 })).toMatchObject({
      kind: 'nothing',
    });
  });
  test('one-way: a region already at the generation keeps it', () => {
    expect(chooseServe({ endpoint: e, region: 'b', own: status('b', 5), statusOf: none, now: t0 })).toEqual({
      kind: 'current',
    });
  });
  test('stop and delete are not gated', () => {
    const stopped = { ...e, desiredState: 'stopped' as const };
    expect(
      chooseServe({ endpoint: stopped, region: 'b', own: status('b', 4), statusOf: none, now: t0 }),
    ).toEqual({
      kind: 'current',
    });
  });
  test('a region that halted and reverted serves the generation it went back to', () => {
    const own = status('a', 4, {
      halt: { generation: 5, reason: 'CrashLooping', message: 'm', at: t0.toISOString(), revertedTo: 4 },
    });
    expect(chooseServe({ endpoint: e, region: 'a', own, statusOf: none, now: t0 })).toEqual({
      kind: 'earlier',
      generation: 4,
    });
  });
});

describe('haltVerdict', () => {
  const e = endpoint(5, { ...policy, progress_deadline_seconds: 120 });
  test('a terminal cause at the new generation halts', () => {
    const s = status('a', 5, {
      replicasReady: 0,
      causes: [crash],
      servingSince: t0.toISOString(),
      lastGoodGeneration: 4,
    });
    expect(haltVerdict({ endpoint: e, status: s, now: at(5) }).halt).toMatchObject({
      generation: 5,
      reason: 'CrashLooping',
    });
  });
  test('not healthy within the deadline halts; before it, a recheck is due', () => {
    const s = status('a', 5, { replicasReady: 0, servingSince: t0.toISOString() });
    expect(haltVerdict({ endpoint: e, status: s, now: at(100) })).toEqual({ recheckInMs: 20_000 });
    expect(haltVerdict({ endpoint: e, status: s, now: at(120) }).halt?.reason).toBe(
      'RolloutDeadlineExceeded',
    );
  });
  test('after a whole bake at the generation, a crash is an incident, not a failed rollout', () => {
    const s = status('a', 5, { replicasReady: 0, causes: [crash], lastGoodGeneration: 5 });
    expect(haltVerdict({ endpoint: e, status: s, now: at(5) })).toEqual({});
  });
});

describe('clocks and revert', () => {
  test('healthySince survives passes at the same generation and resets with a new one', () => {
    const first = withRolloutClocks(status('a', 5), undefined, at(0), 60_000);
    expect(first.healthySince).toBe(at(0).toISOString());
    const again = withRolloutClocks(status('a', 5), first, at(30), 60_000);
    expect(again.healthySince).toBe(at(0).toISOString());
    const next = withRolloutClocks(status('a', 6, { replicasReady: 0 }), again, at(90), 60_000);
    expect(next.healthySince).toBeUndefined();
    expect(next.servingSince).toBe(at(90).toISOString());
    // The stretch at 5 lasted 90 s ≥ the bake: 5 is a good generation now.
    expect(next.lastGoodGeneration).toBe(5);
    expect(goodGeneration(again, at(59), 60_000)).toBeUndefined();
    expect(goodGeneration(again, at(60), 60_000)).toBe(5);
  });

  test('revert goes to the newest generation good in every region', () => {
    const e = endpoint(5, policy);
    const own = status('a', 5, { replicasReady: 0, causes: [crash], lastGoodGeneration: 4 });
    const others: Record<string, RegionStatus> = {
      b: status('b', 4, { healthySince: at(-3600).toISOString(), lastGoodGeneration: 3 }),
      c: status('c', 3, { healthySince: at(-3600).toISOString() }),
    };
    expect(revertTarget({ endpoint: e, region: 'a', own, statusOf: (r) => others[r], now: t0 })).toBe(3);
    expect(
      revertTarget({
        endpoint: endpoint(5, { ...policy, on_failure: 'halt' }),
        region: 'a',
        own,
        statusOf: (r) => others[r],
        now: t0,
      }),
    ).toBeUndefined();
  });
});
