import { describe, expect, it } from 'vitest';
import { medianRatio, type RoundResult } from './rounds.js';

const rounds = (...ratios: number[]): RoundResult[] =>
  ratios.map((r, i) => ({
    round: i + 1,
    limit_watched_s: 10,
    converge_s: 10 * r,
    converge_over_limit_watched: r,
    cpu_limit_watched: 20,
    cpu_converge: 20 * r,
    cpu_converge_monitors: 2,
    cpu_converge_dynamodb: 1,
  }));

describe('medianRatio', () => {
  it('takes the middle ratio of an odd count, whatever the order the rounds ran in', () => {
    expect(medianRatio(rounds(1.48, 1.36, 1.17, 1.31, 1.11))).toBe(1.31);
  });

  it('takes the mean of the middle two of an even count, to two decimals', () => {
    expect(medianRatio(rounds(1.6, 1.0, 1.4, 1.2))).toBe(1.3);
  });

  it('is the ratio itself for one round, and not a number for none', () => {
    expect(medianRatio(rounds(1.2))).toBe(1.2);
    expect(medianRatio([])).toBeNaN();
  });
});
