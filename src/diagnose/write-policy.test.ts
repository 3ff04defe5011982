import { describe, expect, test } from 'vitest';
import type { Cause } from './types.js';
import { COUNT_ONLY_INTERVAL_MS, significantChange } from './write-policy.js';

const crash = (over: Partial<Cause> = {}): Cause => ({
  reason: 'CrashLooping',
  severity: 'waiting',
  track: 'primary',
  message: 'container "inference" failed with exit code 1 (Error), 1 restarts',
  pods: 1,
  since: '2026-11-30T12:00:00.000Z',
  details: { container: 'inference', restarts: 1, exitCode: 1 },
  ...over,
});
const unschedulable: Cause = {
  reason: 'Unschedulable',
  severity: 'waiting',
  track: 'canary',
  message: '0/7 nodes are available',
  pods: 1,
  since: '2026-11-30T12:00:00.000Z',
};

const NOW = 1_000_000;
const justWritten = NOW - 1_000;
const longAgo = NOW - COUNT_ONLY_INTERVAL_MS;

describe('significantChange', () => {
  test.each<[string, string, Cause[], Cause[], number | undefined, ReturnType<typeof significantChange>]>([
    ['writes at once', 'a cause appears', [], [crash()], justWritten, { write: true }],
    [
      'writes at once',
      'a cause clears',
      [crash(), unschedulable],
      [unschedulable],
      justWritten,
      { write: true },
    ],
    [
      'writes at once',
      'a cause turns terminal',
      [crash()],
      [crash({ severity: 'terminal' })],
      justWritten,
      { write: true },
    ],
    [
      'writes at once',
      'the same reason moves from the primary to the canary',
      [crash()],
      [crash({ track: 'canary' })],
      justWritten,
      { write: true },
    ],
    ['writes nothing', 'nothing changed (an idle healthy fleet)', [], [], undefined, { write: false }],
    [
      'writes nothing',
      'the same causes come in another order',
      [crash(), unschedulable],
      [unschedulable, crash({ details: { exitCode: 1, restarts: 1, container: 'inference' } })],
      justWritten,
      { write: false },
    ],
    [
      'holds back a count-only change until the interval has passed',
      'the restart count climbs right after a write',
      [crash()],
      [crash({ details: { container: 'inference', restarts: 2, exitCode: 1 } })],
      justWritten,
      { write: false, recheckAt: justWritten + COUNT_ONLY_INTERVAL_MS },
    ],
    [
      'holds back a count-only change',
      'one more pod is affected right after a write',
      [crash()],
      [crash({ pods: 2 })],
      justWritten,
      { write: false, recheckAt: justWritten + COUNT_ONLY_INTERVAL_MS },
    ],
    [
      'writes a count-only change',
      'the interval has passed since the last write',
      [crash()],
      [crash({ pods: 2, message: 'container "inference" failed with exit code 1 (Error), 2 restarts' })],
      longAgo,
      { write: true },
    ],
    [
      'writes a count-only change',
      'nothing was written yet',
      [crash()],
      [crash({ since: '2026-11-30T11:59:00.000Z' })],
      undefined,
      { write: true },
    ],
  ])('%s, when %s', (_what, _when, prev, next, lastWriteAt, decision) => {
    expect(significantChange(prev, next, lastWriteAt, NOW)).toEqual(decision);
  });

  test('a restart count climbing every second writes once per interval', () => {
    let written = [crash()];
    let lastWriteAt = 0;
    let writes = 0;
    for (let t = 1; t <= 120; t++) {
      const next = [crash({ details: { container: 'inference', restarts: t, exitCode: 1 } })];
      const decision = significantChange(written, next, lastWriteAt, t * 1000);
      if (decision.write) {
        written = next;
        lastWriteAt = t * 1000;
        writes++;
      }
    }
    expect(writes).toBe(120_000 / COUNT_ONLY_INTERVAL_MS);
  });
});
