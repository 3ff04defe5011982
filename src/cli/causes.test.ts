import { describe, expect, test } from 'vitest';
import type { Cause } from '../model/index.js';
import { causeKey, causeLine, shorten, unseenCauses, worstCause } from './causes.js';
import { CLI_ERROR_CODES, EXIT_CODE } from './errors.js';

const cause = (over: Partial<Cause> = {}): Cause => ({
  reason: 'CrashLooping',
  severity: 'waiting',
  track: 'primary',
  message: 'container "inference" failed with exit code 1 (Error), 2 restarts',
  pods: 1,
  since: '2025-06-01T11:58:00.000Z',
  ...over,
});

describe('causeLine', () => {
  test('reason, severity, pods, since and the message on one line', () => {
    expect(causeLine(cause({ severity: 'terminal', pods: 2 }))).toBe(
      'CrashLooping (terminal), 2 pods since 2025-06-01T11:58:00.000Z: container "inference" failed with exit code 1 (Error), 2 restarts',
    );
  });

  test('a canary cause says so; a waiting one has no severity mark', () => {
    expect(causeLine(cause({ track: 'canary', reason: 'ProbeFailing', message: 'm' }))).toBe(
      'canary ProbeFailing, 1 pod since 2025-06-01T11:58:00.000Z: m',
    );
  });

  test('a long, multi-line message is flattened and cut with an ellipsis', () => {
    const line = causeLine(cause({ message: `panic:\n${'x'.repeat(300)}` }));
    expect(line).not.toContain('\n');
    expect(line).toMatch(/: panic: x+…$/);
    expect(shorten('a\n  b', 10)).toBe('a b');
    expect(shorten('abcdefghijk', 5)).toBe('abcd…');
  });
});

describe('worstCause', () => {
  test('terminal first, then precedence, then the primary, then the region name', () => {
    const regions = [
      { region: 'us-east-1', causes: [cause({ reason: 'Unschedulable' })] },
      { region: 'eu-west-1', causes: [cause({ severity: 'terminal', reason: 'ProgressDeadlineExceeded' })] },
      {
        region: 'ap-south-1',
        causes: [cause({ severity: 'terminal', track: 'canary', reason: 'ImagePullFailed' })],
      },
    ];
    expect(worstCause(regions)).toEqual({ region: 'ap-south-1', cause: regions[2]!.causes[0] });
    expect(worstCause(regions.slice(0, 1))?.cause.reason).toBe('Unschedulable');
    const tie = [
      { region: 'b', causes: [cause()] },
      { region: 'a', causes: [cause()] },
    ];
    expect(worstCause(tie)?.region).toBe('a');
  });

  test('no causes anywhere: none', () => {
    expect(worstCause([{ region: 'r', causes: [] }])).toBeUndefined();
  });
});

describe('unseenCauses (what --wait prints)', () => {
  test('a cause is new once per region, track and reason, whatever its counts or severity do', () => {
    const seen = new Set<string>();
    const first = unseenCauses(seen, 'r', [cause(), cause({ track: 'canary' })]);
    expect(first.map((c) => c.cause.track)).toEqual(['primary', 'canary']);
    for (const c of first) seen.add(causeKey(c.region, c.cause));
    const climbing = cause({ severity: 'terminal', pods: 3, message: '5 restarts' });
    expect(unseenCauses(seen, 'r', [climbing])).toEqual([]);
    expect(unseenCauses(seen, 'other', [climbing])).toEqual([{ region: 'other', cause: climbing }]);
    const other = cause({ reason: 'ImagePullFailed' });
    expect(unseenCauses(seen, 'r', [climbing, other])).toEqual([{ region: 'r', cause: other }]);
  });
});

describe('exit codes', () => {
  test('a terminal cause has its own exit code, distinct from every other failure', () => {
    expect(EXIT_CODE.BLOCKED).toBe(5);
    const others = CLI_ERROR_CODES.filter((c) => c !== 'BLOCKED').map((c) => EXIT_CODE[c]);
    expect(others).not.toContain(5);
    // The codes before issue 13 keep their meaning.
    expect([EXIT_CODE.FAILED, EXIT_CODE.TIMEOUT, EXIT_CODE.INVALID_INPUT]).toEqual([1, 1, 2]);
  });
});
