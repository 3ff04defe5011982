import { describe, expect, it } from 'vitest';
import { compareText } from './order.js';

describe('compareText', () => {
  it('orders by code unit, the same whatever the locale', () => {
    expect(['b', 'a10', 'B', 'a2', 'a', 'é'].sort(compareText)).toEqual(['B', 'a', 'a10', 'a2', 'b', 'é']);
  });

  it('is zero only for equal strings', () => {
    expect(compareText('us-east-1', 'us-east-1')).toBe(0);
    expect(compareText('us-east-1', 'us-east-2')).toBeLessThan(0);
    expect(compareText('us-east-2', 'us-east-1')).toBeGreaterThan(0);
  });
});
