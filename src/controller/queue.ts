/**
 * A rate-limited work queue of endpoint names with controller-runtime's semantics:
 * - a key waiting more than once is run once (merged);
 * - a key never runs in two workers at once; added during its run, it runs once more afterwards;
 * - failures back off per key exponentially (forgotten on success), under a global token bucket;
 * - `addAfter` schedules a key (the watchdog's next deadline, a rollout re-check); `reschedule`
 *   lets a key's latest pass replace what its earlier passes scheduled;
 * - resync keys go in at low priority, so a user's change never waits behind a full pass;
 * - keys whose cluster objects changed go in first ('urgent'): such a reconcile is nearly always a
 *   status update without writes to the cluster, so running it before the applies of other
 *   endpoints (shortest job first) takes a pod's readiness to `running` without waiting for a
 *   whole rollout's backlog, and delays the backlog by little.
 */
export type Priority = 'urgent' | 'high' | 'low';

const RANK: Record<Priority, number> = { urgent: 2, high: 1, low: 0 };

interface QueueObserver {
  depth?(depth: number): void;
  added?(): void;
  latency?(seconds: number): void;
  retry?(): void;
}

interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Global bucket for retries: sustained rate and burst. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 120_000, ratePerSecond: 50, burst: 200 };

export class WorkQueue {
  private readonly urgent = new Set<string>();
  private readonly high = new Set<string>();
  private readonly low = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Map<string, Priority>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: (() => void)[] = [];
  private tokens: number;
  private tokensAt = Date.now();
  private shuttingDown = false;

  constructor(
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly observer: QueueObserver = {},
  ) {
    this.tokens = backoff.burst;
  }

  get depth(): number {
    return this.urgent.size + this.high.size + this.low.size;
  }

  private waiting(key: string): Priority | undefined {
    if (this.urgent.has(key)) return 'urgent';
    if (this.high.has(key)) return 'high';
    if (this.low.has(key)) return 'low';
    return undefined;
  }

  private lane(priority: Priority): Set<string> {
    return priority === 'urgent' ? this.urgent : priority === 'high' ? this.high : this.low;
  }

  add(key: string, priority: Priority = 'high'): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      // Run again after the current run; keep the more urgent priority.
      const pending = this.dirty.get(key);
      if (pending === undefined || RANK[priority] > RANK[pending]) this.dirty.set(key, priority);
      return;
    }
    const current = this.waiting(key);
    if (current !== undefined) {
      if (RANK[priority] <= RANK[current]) return;
      this.lane(current).delete(key); // promote
    }
    this.lane(priority).add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, Date.now());
    this.observer.added?.();
    this.observer.depth?.(this.depth);
    this.waiters.shift()?.();
  }

  /** Adds the key after `delayMs`; an earlier pending schedule for the same key wins. */
  addAfter(key: string, delayMs: number, priority: Priority = 'high'): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key, priority);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key, priority);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /**
   * The key's own pass has decided when it wants its next look: after `delayMs`, or (undefined)
   * not without an event. This replaces whatever an earlier pass of the key scheduled, a failure's
   * retry included: the latest pass read everything at the current time. (controller-runtime keeps
   * every AddAfter; here a rollout's early passes left a recheck per endpoint that fired after it
   * had settled.)
   */
  reschedule(key: string, delayMs: number | undefined): void {
    const existing = this.timers.get(key);
    if (existing) {
      clearTimeout(existing.timer);
      this.timers.delete(key);
    }
    if (delayMs !== undefined) this.addAfter(key, delayMs);
  }

  /** Re-adds a failed key after its per-key backoff (and the global bucket's delay). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const perKey = Math.min(this.backoff.baseMs * 2 ** n, this.backoff.maxMs);
    const delay = Math.max(perKey, this.bucketDelay());
    this.observer.retry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /**
   * Runs every key waiting out a failure backoff now (their failure counts stay). For when the
   * cause of the failures has gone away, e.g. the API server answers again. Returns how many.
   */
  retryFailedNow(): number {
    let count = 0;
    for (const [key, { timer }] of this.timers) {
      if (!this.failures.has(key)) continue;
      clearTimeout(timer);
      this.timers.delete(key);
      this.add(key);
      count++;
    }
    return count;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  private bucketDelay(): number {
    const now = Date.now();
    this.tokens = Math.min(
      this.backoff.burst,
      this.tokens + ((now - this.tokensAt) / 1000) * this.backoff.ratePerSecond,
    );
    this.tokensAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.backoff.ratePerSecond) * 1000);
  }

  /** Waits for the next key; undefined once shut down. */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.shuttingDown) return undefined;
      const key = this.tryGet();
      if (key !== undefined) return key;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The next key if one is waiting, without waiting. */
  tryGet(): string | undefined {
    if (this.shuttingDown) return undefined;
    const key = first(this.urgent) ?? first(this.high) ?? first(this.low);
    if (key === undefined) return undefined;
    this.urgent.delete(key);
    this.high.delete(key);
    this.low.delete(key);
    this.processing.add(key);
    const since = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (since !== undefined) this.observer.latency?.((Date.now() - since) / 1000);
    this.observer.depth?.(this.depth);
    return key;
  }

  /** Marks a run finished; a key added during the run goes back in. */
  done(key: string): void {
    this.processing.delete(key);
    const again = this.dirty.get(key);
    if (again !== undefined) {
      this.dirty.delete(key);
      this.add(key, again);
    }
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function first(set: Set<string>): string | undefined {
  for (const value of set) return value;
  return undefined;
}
