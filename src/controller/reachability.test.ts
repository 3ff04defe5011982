import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type Probe, Reachability } from './reachability.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Reachability', () => {
  test('reports each probe that fails, by its own words', async () => {
    const r = new Reachability({
      'API server unreachable': async () => undefined,
      'store unavailable': async () => 'store unavailable: connection refused',
    });
    expect(await r.check()).toEqual(['store unavailable: connection refused']);
  });

  test('a probe that does not answer within the timeout counts as unreachable, and is aborted', async () => {
    let aborted = false;
    const hung: Probe = (signal) =>
      new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve('aborted');
        });
      });
    const r = new Reachability({ 'API server unreachable': hung }, { timeoutMs: 1_000 });
    const result = r.check();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await result).toEqual(['API server unreachable: no answer within 1000 ms']);
    expect(aborted).toBe(true);
  });

  test('a result is reused within the cache period, then probed again; concurrent checks share one round', async () => {
    let calls = 0;
    let answer: string | undefined;
    const probe: Probe = async () => {
      calls++;
      return answer;
    };
    let now = 0;
    const r = new Reachability({ store: probe }, { cacheMs: 2_000, now: () => now });
    await Promise.all([r.check(), r.check()]);
    expect(calls).toBe(1);
    answer = 'store unavailable: down';
    now = 1_999;
    expect(await r.check()).toEqual([]);
    expect(calls).toBe(1);
    now = 2_000;
    expect(await r.check()).toEqual(['store unavailable: down']);
    expect(calls).toBe(2);
  });
});
