import { afterEach, describe, expect, test, vi } from 'vitest';
import { ChangeReader } from './change-reader.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ChangeReader', () => {
  test('a name whose read failed is read again, with growing delays, until it is read', async () => {
    vi.useFakeTimers();
    const reads: string[][] = [];
    let failuresLeft = 3;
    const errors: unknown[] = [];
    const reader = new ChangeReader({
      read: async (names) => {
        reads.push([...names]);
        if (failuresLeft-- > 0) throw new Error('ProvisionedThroughputExceededException');
      },
      onError: (err) => errors.push(err),
      retryMinMs: 100,
      retryMaxMs: 1000,
    });
    await reader.submit(['a', 'b']);
    expect(reader.pending).toBe(2);
    await vi.advanceTimersByTimeAsync(99);
    expect(reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 100 ms: second try, fails
    expect(reads).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(reads).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1); // 200 ms later: third try, fails
    await vi.advanceTimersByTimeAsync(400); // 400 ms later: fourth, succeeds
    expect(reads).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(reader.pending).toBe(0);
    expect(errors).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toHaveLength(4); // nothing left to retry
    reader.stop();
  });

  test('reads run one at a time in submission order, in chunks', async () => {
    const log: string[] = [];
    let inFlight = 0;
    const reader = new ChangeReader({
      read: async (names) => {
        inFlight++;
        expect(inFlight).toBe(1);
        await new Promise((r) => setImmediate(r));
        log.push(names.join(','));
        inFlight--;
      },
      onError: () => {},
      chunk: 2,
    });
    void reader.submit(['a', 'b', 'c']);
    await reader.submit(['d']);
    expect(log).toEqual(['a,b', 'c', 'd']);
    reader.stop();
  });

  test('a later successful read of the same name clears it; stop ends the retries', async () => {
    vi.useFakeTimers();
    let fail = true;
    const reads: string[][] = [];
    const reader = new ChangeReader({
      read: async (names) => {
        reads.push([...names]);
        if (fail) throw new Error('down');
      },
      onError: () => {},
      retryMinMs: 100,
    });
    await reader.submit(['a']);
    fail = false;
    await reader.submit(['a']);
    expect(reader.pending).toBe(0);
    fail = true;
    await reader.submit(['b']);
    reader.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toEqual([['a'], ['a'], ['b']]);
  });

  test('after() runs once the reads submitted before it are done, before those submitted later', async () => {
    const log: string[] = [];
    let releaseFirst: () => void = () => {};
    const firstRead = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const reader = new ChangeReader({
      read: async (names) => {
        log.push(`read start ${names.join(',')}`);
        if (names[0] === 'a') await firstRead;
        log.push(`read end ${names.join(',')}`);
      },
      onError: () => {},
    });
    const done = [
      reader.submit(['a']),
      reader.after(() => {
        log.push('apply images');
      }),
      reader.submit(['b']),
    ];
    await Promise.resolve();
    expect(log).toEqual(['read start a']);
    releaseFirst();
    await Promise.all(done);
    expect(log).toEqual(['read start a', 'read end a', 'apply images', 'read start b', 'read end b']);
  });

  test('a failing after() is reported and the reads after it still run', async () => {
    const errors: unknown[] = [];
    const reads: string[] = [];
    const reader = new ChangeReader({
      read: async (names) => {
        reads.push(...names);
      },
      onError: (err) => errors.push(err),
    });
    await reader.after(() => {
      throw new Error('bad image');
    });
    await reader.submit(['c']);
    expect(errors.map(String)).toEqual(['Error: bad image']);
    expect(reads).toEqual(['c']);
  });
});
