import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { delay } from './delay.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
};

test('resolves after the given time, not before', async () => {
  const p = delay(1000);
  expect(await settled(p)).toBe(false);
  await vi.advanceTimersByTimeAsync(999);
  expect(await settled(p)).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await settled(p)).toBe(true);
});

test('an abort resolves it at once and clears its timer', async () => {
  const abort = new AbortController();
  const p = delay(60_000, abort.signal);
  abort.abort();
  expect(await settled(p)).toBe(true);
  expect(vi.getTimerCount()).toBe(0);
});

test('an already aborted signal resolves at once without a timer', async () => {
  const abort = new AbortController();
  abort.abort();
  const p = delay(60_000, abort.signal);
  expect(vi.getTimerCount()).toBe(0);
  expect(await settled(p)).toBe(true);
});
