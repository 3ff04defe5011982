import { describe, expect, test } from 'vitest';
import type { Endpoint, RegionStatus } from '../model/index.js';
import type { RegionHeartbeat } from '../store/index.js';
import { outputJsonSchema, statusSchema, statusView } from './views.js';

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
    );
    expect(v.message).toBe('stopped in 1/2 regions; eu-west-1: waiting for the monitor (no status yet)');
  });
});

test('docs/cli-output.schema.json is the schema the output is checked against (-u regenerates it)', async () => {
  await expect(`${JSON.stringify(outputJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(
    '../../docs/cli-output.schema.json',
  );
});
