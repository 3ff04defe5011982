import { describe, expect, test } from 'vitest';
import type { RegionStatus } from '../model/index.js';
import { itemToStatus, statusToItem } from './status-codec.js';

const base: RegionStatus = {
  endpointName: 'llama',
  region: 'us-east-1',
  state: 'creating',
  replicasReady: 0,
  replicasDesired: 1,
  observedGeneration: 3,
  ingressPulled: false,
  conditions: [],
  lastSync: '2026-11-30T12:00:00.000Z',
  lastTransition: '2026-11-30T12:00:00.000Z',
};

describe('status item codec', () => {
  test('round-trips the causes and the address, when the monitor reports them', () => {
    const status: RegionStatus = {
      ...base,
      address: 'k8s-gco-1234.elb.example',
      causes: [
        {
          reason: 'CrashLooping',
          severity: 'terminal',
          track: 'primary',
          message: 'container inference: OOMKilled (exit 137), 4 restarts',
          pods: 1,
          since: '2026-11-30T11:58:00.000Z',
          details: { restarts: 4, exitCode: 137 },
        },
      ],
    };
    const item = statusToItem(status);
    expect(item.causes).toEqual([
      expect.objectContaining({ reason: 'CrashLooping', severity: 'terminal', pods: 1 }),
    ]);
    expect(itemToStatus(item)).toEqual(status);
  });

  test('writes no causes attribute, when the endpoint is healthy', () => {
    const item = statusToItem({ ...base, causes: [] });
    expect('causes' in item).toBe(false);
    expect(itemToStatus(item).causes).toBeUndefined();
  });

  test('drops a cause with a reason this reader does not know, when a newer monitor wrote it', () => {
    const item = {
      ...statusToItem(base),
      causes: [
        { reason: 'GpuMelted', severity: 'terminal', track: 'primary', message: 'x', pods: 1, since: '' },
      ],
    };
    expect(itemToStatus(item).causes).toBeUndefined();
  });
});
