import { describe, expect, test } from 'vitest';
import { regionStatus } from '../../test/helpers/region-status.js';
import type { RegionStatus } from '../model/index.js';
import { PROGRESS_HOLD_MS, progressWrite } from './status-writes.js';

const T = 1_000_000;

function item(over: Partial<RegionStatus> = {}): RegionStatus {
  return regionStatus({ endpointName: 'llm', region: 'us-east-1', observedGeneration: 1, ...over });
}

const progress = { progressing: true, generation: 2, written: undefined, heldSince: undefined, now: T };

describe('progressWrite', () => {
  test('the first pass of a new endpoint in progress holds the write for the whole window', () => {
    expect(progressWrite(progress)).toEqual({ write: false, since: T, recheckInMs: PROGRESS_HOLD_MS });
  });

  test('a new generation of a running endpoint in progress is held back too', () => {
    expect(progressWrite({ ...progress, written: item() })).toEqual({
      write: false,
      since: T,
      recheckInMs: PROGRESS_HOLD_MS,
    });
  });

  test('later passes keep the window from when the hold began', () => {
    expect(progressWrite({ ...progress, heldSince: T, now: T + 2_000 })).toEqual({
      write: false,
      since: T,
      recheckInMs: PROGRESS_HOLD_MS - 2_000,
    });
  });

  test('a rollout still in progress when the window ends is written, so status shows it deploying', () => {
    expect(progressWrite({ ...progress, heldSince: T, now: T + PROGRESS_HOLD_MS })).toEqual({ write: true });
  });

  test('anything but plain progress (ready, a cause, a failure, a removal, the watchdog) is written at once', () => {
    expect(progressWrite({ ...progress, progressing: false, heldSince: T, now: T + 1 })).toEqual({
      write: true,
    });
  });

  test('progress of a generation already written is written as it moves', () => {
    expect(
      progressWrite({ ...progress, written: item({ state: 'creating', observedGeneration: 2 }) }),
    ).toEqual({
      write: true,
    });
  });

  test.each<[string, Partial<RegionStatus>]>([
    ['an error', { state: 'error', error: 'apply failed' }],
    [
      'a cause',
      {
        state: 'updating',
        causes: [
          { reason: 'CrashLooping', severity: 'waiting', track: 'primary', message: 'x', pods: 1, since: '' },
        ],
      },
    ],
    ['the Ingress pulled', { state: 'updating', ingressPulled: true }],
  ])('an item that says %s is corrected at once, not held back', (_name, over) => {
    expect(progressWrite({ ...progress, written: item(over) })).toEqual({ write: true });
  });
});
