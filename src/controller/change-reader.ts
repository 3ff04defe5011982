// Reads the items the change feed names, and does not lose a change when that read fails.
//
// The feed tells us *that* an endpoint changed; the item itself takes another read, unless the
// record's image can stand for it (sources.ts, feed-images.ts). When that read
// fails (the store throttles, a connection drops) the name used to be dropped, leaving the change to
// the next full resync, which needs a scan and a batch read to succeed in turn: under heavy
// throttling that took more than a minute. Here a failed name is kept and read again with backoff
// until it is read. Reads run one at a time, in submission order, so an older read can never
// overwrite what a newer one put in the desired cache.

interface ChangeReaderOptions {
  /** Reads these names' items and applies them; throws if they could not be read. */
  readonly read: (names: readonly string[]) => Promise<void>;
  readonly onError: (err: unknown) => void;
  /** Names per read (BatchGetItem takes at most 100 keys). */
  readonly chunk?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

export class ChangeReader {
  private readonly unread = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private stopped = false;

  constructor(private readonly options: ChangeReaderOptions) {
    this.retryMs = options.retryMinMs ?? 250;
  }

  /** Names whose change is known but not yet read. */
  get pending(): number {
    return this.unread.size;
  }

  /** Reads `names` after every read submitted before; resolves when done (failures are kept, not thrown). */
  submit(names: readonly string[]): Promise<void> {
    this.chain = this.chain.then(() => this.readAll(names));
    return this.chain;
  }

  /**
   * Runs `apply` after every read submitted before it, so what it puts in the desired cache lands
   * in the feed's order too. A failure is reported, and the reads after it still run.
   */
  after(apply: () => void): Promise<void> {
    this.chain = this.chain.then(() => {
      try {
        apply();
      } catch (err) {
        this.options.onError(err);
      }
    });
    return this.chain;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async readAll(names: readonly string[]): Promise<void> {
    const size = this.options.chunk ?? 100;
    for (let i = 0; i < names.length && !this.stopped; i += size) {
      const chunk = names.slice(i, i + size);
      try {
        await this.options.read(chunk);
        for (const name of chunk) this.unread.delete(name);
        this.retryMs = this.options.retryMinMs ?? 250;
      } catch (err) {
        this.options.onError(err);
        for (const name of chunk) this.unread.add(name);
        this.scheduleRetry();
      }
    }
  }

  private scheduleRetry(): void {
    if (this.timer || this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.retryMaxMs ?? 5_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.unread.size > 0) void this.submit([...this.unread]);
    }, delay);
    this.timer.unref();
  }
}
