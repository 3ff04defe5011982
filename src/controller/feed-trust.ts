// When a resync needs to read the whole endpoints table (ADR 0016). The change feed is to the table
// what a watch is to the API server: once it reads from every shard, it delivers every later write.
// A scan that started after that point and saw no feed trouble since leaves the desired cache as
// current as another scan would; the resync then only requeues. The table is read again when the
// feed (re)starts, reports trouble, or has vouched for `rescanEveryMs` without a scan.

/** What `scanStarting` hands back, for `scanned` once that scan has completed. */
export interface ScanToken {
  readonly run: number;
  readonly positioned: boolean;
  readonly at: number;
}

/** A resync every 15 s reads the table every 20 of them (5 minutes) while the feed vouches. */
export const RESCAN_EVERY_RESYNCS = 20;

export class FeedTrust {
  /** Counts feed starts: whatever a scan vouched for, a restarted feed may have missed since. */
  private run = 0;
  private positioned = false;
  private troubleAt = Number.NEGATIVE_INFINITY;
  private vouched: ScanToken | undefined;

  constructor(
    private readonly rescanEveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The feed starts (or restarts after a failure) at the stream's latest record. Returns this
   * run's number, for `feedPositioned`.
   */
  feedStarted(): number {
    this.run++;
    this.positioned = false;
    return this.run;
  }

  /**
   * The feed's run `run` reads from every shard: writes from now on reach the desired cache. A
   * run that has been replaced (a lost lease, a restart) positions nothing.
   */
  feedPositioned(run: number): void {
    if (run === this.run) this.positioned = true;
  }

  /** Whether the feed's current run reads from every shard. */
  isPositioned(): boolean {
    return this.positioned;
  }

  /** A feed read failed: a record may be late or, if the feed restarts, missed. */
  feedTrouble(): void {
    this.troubleAt = this.now();
  }

  scanStarting(): ScanToken {
    return { run: this.run, positioned: this.positioned, at: this.now() };
  }

  /** The scan begun with `token` completed (a failed one vouches for nothing and changes nothing). */
  scanned(token: ScanToken): void {
    this.vouched = token.positioned && token.run === this.run ? token : undefined;
  }

  /** Whether the next resync must read the table rather than trust the desired cache. */
  needsScan(): boolean {
    const v = this.vouched;
    if (!v || v.run !== this.run || !this.positioned) return true;
    if (this.troubleAt >= v.at) return true;
    return this.now() - v.at >= this.rescanEveryMs;
  }
}
