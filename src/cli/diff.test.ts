import { describe, expect, test } from 'vitest';
import { diffLines } from './diff.js';

describe('diffLines', () => {
  test('one line per changed, added or removed leaf, sorted by path', () => {
    const before = { spec: { replicas: 2, env: { A: '1', HF_TOKEN: 't' }, args: ['--x'] }, labels: {} };
    const after = {
      spec: { replicas: 3, env: { HF_TOKEN: 't', B: '2' }, args: ['--x', '1'] },
      labels: { team: 'ml' },
    };
    expect(diffLines(before, after)).toEqual([
      '+ labels.team: "ml"',
      '~ spec.args: ["--x"] → ["--x","1"]',
      '- spec.env.A: "1"',
      '+ spec.env.B: "2"',
      '~ spec.replicas: 2 → 3',
    ]);
  });

  test('identical documents (key order aside) have no diff', () => {
    expect(diffLines({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
  });
});
