import { describe, expect, test } from 'vitest';
import { diffLines } from './diff.js';
import { summarize } from './summary.js';

describe('summarize', () => {
  test('changed, added and removed fields, spec. dropped and strings unquoted', () => {
    const changes = diffLines(
      { spec: { image: 'vllm:1', replicas: 2, canary: { image: 'vllm:2' } } },
      { spec: { image: 'vllm:3', replicas: 3, env: { DEBUG: '1' } }, target_regions: ['eu-west-1'] },
    );
    expect(summarize(changes)).toBe(
      '-canary.image, +env.DEBUG 1, image vllm:1 → vllm:3, replicas 2 → 3, +target_regions ["eu-west-1"]',
    );
  });

  test('nothing changed', () => {
    expect(summarize([])).toBe('no change');
  });

  test('a long list is cut with a count of what is left out', () => {
    const before = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`VAR_${i}`, 'a']));
    const after = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`VAR_${i}`, 'b']));
    const line = summarize(diffLines({ spec: { env: before } }, { spec: { env: after } }));
    expect(line.length).toBeLessThanOrEqual(160 + '…, (+30 more)'.length);
    expect(line).toMatch(/^env\.VAR_0 a → b, env\.VAR_1 a → b, .*, … \(\+\d+ more\)$/);
    const shown = line.split(', ').filter((p) => p.startsWith('env.')).length;
    expect(line).toContain(`(+${30 - shown} more)`);
  });
});
