import { describe, expect, test, vi } from 'vitest';
import { WorkQueue } from './queue.js';
import { runWorker } from './worker.js';

describe('runWorker', () => {
  test('a queue of reconciles that never wait for I/O does not starve the event loop', async () => {
    const queue = new WorkQueue();
    const total = 2000;
    for (let i = 0; i < total; i++) queue.add(`e${i}`, 'low');
    let done = 0;
    const reconcile = async () => {
      done++;
      return { kind: 'forget' as const };
    };
    // An I/O-phase callback (a response arriving) queued while the workers drain the queue must
    // run before the drain ends, not after it.
    const seenAt = new Promise<number>((resolve) => setImmediate(() => resolve(done)));
    const workers = Array.from({ length: 32 }, () => runWorker(queue, reconcile));
    const atCallback = await seenAt;
    expect(atCallback).toBeLessThan(total);
    while (queue.depth > 0) await new Promise((r) => setImmediate(r));
    queue.shutdown();
    await Promise.all(workers);
    expect(done).toBe(total);
  });

  test('requeueAfter schedules the key again; retry backs off; forget clears failures', async () => {
    const queue = new WorkQueue({ baseMs: 1, maxMs: 10, ratePerSecond: 1000, burst: 1000 });
    const runs: string[] = [];
    const outcomes = new Map([
      ['later', [{ kind: 'requeueAfter' as const, ms: 5 }, { kind: 'forget' as const }]],
      ['flaky', [{ kind: 'retry' as const }, { kind: 'forget' as const }]],
    ]);
    queue.add('later');
    queue.add('flaky');
    const worker = runWorker(queue, async (key) => {
      runs.push(key);
      return outcomes.get(key)!.shift()!;
    });
    while (runs.length < 4) await new Promise((r) => setTimeout(r, 1));
    // The worker settles a run's outcome after it returns (and a yield): once it has stopped, the
    // fourth run's `forget` has been applied.
    queue.shutdown();
    await worker;
    expect(runs.filter((k) => k === 'later')).toHaveLength(2);
    expect(runs.filter((k) => k === 'flaky')).toHaveLength(2);
    expect(queue.retries('flaky')).toBe(0);
  });

  test('a settled pass cancels the later look an earlier pass of the key asked for; a newer request replaces it', async () => {
    // Only the queue's schedules are faked; the worker's yield (setImmediate) stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const queue = new WorkQueue();
      const runs: string[] = [];
      const outcomes = new Map([
        // Still converging: look again in 10 s. Then an event's pass finds it settled.
        ['settles', [{ kind: 'requeueAfter' as const, ms: 10_000 }, { kind: 'forget' as const }]],
        // A look in 10 s, then a newer pass asks for one in 30 s.
        [
          'moves',
          [
            { kind: 'requeueAfter' as const, ms: 10_000 },
            { kind: 'requeueAfter' as const, ms: 30_000 },
            { kind: 'forget' as const },
          ],
        ],
      ]);
      const worker = runWorker(queue, async (key) => {
        runs.push(key);
        return outcomes.get(key)!.shift()!;
      });
      const idle = async () => {
        for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      };
      queue.add('settles');
      queue.add('moves');
      await idle();
      queue.add('settles'); // the events
      queue.add('moves');
      await idle();
      expect(runs).toEqual(['settles', 'moves', 'settles', 'moves']);
      await vi.advanceTimersByTimeAsync(29_000);
      expect(runs).toHaveLength(4);
      await vi.advanceTimersByTimeAsync(1_000);
      await idle();
      expect(runs).toEqual(['settles', 'moves', 'settles', 'moves', 'moves']);
      queue.shutdown();
      await worker;
    } finally {
      vi.useRealTimers();
    }
  });

  test('draining (--once): every waiting key runs once, then the workers return without a shutdown', async () => {
    const queue = new WorkQueue();
    for (const key of ['a', 'b', 'c']) queue.add(key);
    const runs: string[] = [];
    const workers = Array.from({ length: 2 }, () =>
      runWorker(
        queue,
        async (key) => {
          runs.push(key);
          return { kind: 'forget' as const };
        },
        { drain: true },
      ),
    );
    await Promise.all(workers);
    expect(runs.sort()).toEqual(['a', 'b', 'c']);
    expect(queue.depth).toBe(0);
  });
});
