import { describe, expect, test, vi } from 'vitest';
import { WorkQueue } from './queue.js';

const fastBackoff = { baseMs: 10, maxMs: 1000, ratePerSecond: 1000, burst: 1000 };

describe('WorkQueue', () => {
  test('merges a key added many times while waiting into one run', async () => {
    const q = new WorkQueue(fastBackoff);
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.depth).toBe(0);
  });

  test('never hands out a key that is being processed; re-adds it once after done', async () => {
    const q = new WorkQueue(fastBackoff);
    q.add('a');
    const key = await q.get();
    q.add('a');
    q.add('a');
    expect(q.depth).toBe(0);
    q.done(key!);
    expect(q.depth).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.depth).toBe(0);
  });

  test('serves high priority before low, and promotes a low key added again at high', async () => {
    const q = new WorkQueue(fastBackoff);
    q.add('resync-1', 'low');
    q.add('resync-2', 'low');
    q.add('user', 'high');
    q.add('resync-2', 'high');
    expect(await q.get()).toBe('user');
    expect(await q.get()).toBe('resync-2');
    expect(await q.get()).toBe('resync-1');
  });

  test('serves urgent (cluster changes) before high and low; never demotes; a run keeps the most urgent re-add', async () => {
    const q = new WorkQueue(fastBackoff);
    q.add('new-endpoint', 'high');
    q.add('resync', 'low');
    q.add('pod-ready', 'urgent');
    q.add('pod-ready', 'low'); // already waiting more urgently: stays urgent
    q.add('resync', 'urgent'); // promoted
    expect(q.depth).toBe(3);
    expect(await q.get()).toBe('pod-ready');
    expect(await q.get()).toBe('resync');
    const running = await q.get();
    expect(running).toBe('new-endpoint');
    q.add('other', 'high');
    // Added twice during its run, at low then urgent: goes back in as urgent, ahead of 'other'.
    q.add('new-endpoint', 'low');
    q.add('new-endpoint', 'urgent');
    q.done('new-endpoint');
    expect(await q.get()).toBe('new-endpoint');
    expect(await q.get()).toBe('other');
  });

  test('backs off per key exponentially and forgets on success', () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue(fastBackoff);
      expect(q.addRateLimited('a')).toBe(10);
      expect(q.addRateLimited('a')).toBe(20);
      expect(q.addRateLimited('a')).toBe(40);
      expect(q.addRateLimited('b')).toBe(10);
      q.forget('a');
      expect(q.retries('a')).toBe(0);
      expect(q.addRateLimited('a')).toBe(10);
    } finally {
      vi.useRealTimers();
    }
  });

  test('caps the per-key backoff', () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue(fastBackoff);
      let last = 0;
      for (let i = 0; i < 20; i++) last = q.addRateLimited('a');
      expect(last).toBe(1000);
    } finally {
      vi.useRealTimers();
    }
  });

  test('the global bucket delays retries once its burst is spent', () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue({ baseMs: 1, maxMs: 1, ratePerSecond: 10, burst: 2 });
      expect(q.addRateLimited('a')).toBe(1);
      expect(q.addRateLimited('b')).toBe(1);
      expect(q.addRateLimited('c')).toBe(100);
    } finally {
      vi.useRealTimers();
    }
  });

  test('addAfter delivers the key after the delay; the earlier of two schedules wins', async () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue(fastBackoff);
      q.addAfter('a', 5000);
      q.addAfter('a', 1000);
      q.addAfter('a', 3000);
      vi.advanceTimersByTime(999);
      expect(q.depth).toBe(0);
      vi.advanceTimersByTime(1);
      expect(q.depth).toBe(1);
      vi.advanceTimersByTime(10_000);
      expect(q.depth).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  test("reschedule replaces the key's pending schedule, later or earlier, and undefined cancels it", () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue(fastBackoff);
      q.addAfter('a', 1000);
      q.reschedule('a', 5000);
      vi.advanceTimersByTime(4999);
      expect(q.depth).toBe(0);
      vi.advanceTimersByTime(1);
      expect(q.tryGet()).toBe('a');
      q.addRateLimited('b');
      q.addAfter('c', 1000);
      q.reschedule('b', undefined);
      q.reschedule('c', undefined);
      vi.advanceTimersByTime(200_000);
      expect(q.depth).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test('retryFailedNow runs the keys waiting out a failure backoff at once, and leaves scheduled re-checks alone', () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue({ ...fastBackoff, maxMs: 60_000 });
      for (let i = 0; i < 10; i++) q.addRateLimited('failing'); // next retry in 5 s
      q.addAfter('rollout-check', 30_000);
      expect(q.depth).toBe(0);
      expect(q.retryFailedNow()).toBe(1);
      expect(q.tryGet()).toBe('failing');
      expect(q.retries('failing')).toBe(10); // still counts: a new failure backs off further
      expect(q.depth).toBe(0);
      vi.advanceTimersByTime(30_000);
      expect(q.tryGet()).toBe('rollout-check');
    } finally {
      vi.useRealTimers();
    }
  });

  test('get waits for an add, and returns undefined after shutdown', async () => {
    const q = new WorkQueue(fastBackoff);
    const pending = q.get();
    q.add('late');
    expect(await pending).toBe('late');
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
  });

  test('reports depth and latency to its observer', async () => {
    const depths: number[] = [];
    const latencies: number[] = [];
    const q = new WorkQueue(fastBackoff, { depth: (d) => depths.push(d), latency: (s) => latencies.push(s) });
    q.add('a');
    await q.get();
    expect(depths).toEqual([1, 0]);
    expect(latencies).toHaveLength(1);
    expect(latencies[0]).toBeGreaterThanOrEqual(0);
  });
});
