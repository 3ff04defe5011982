// The other regions' status items, for the endpoints with a rollout policy only: what the wave
// gate reads. An endpoint's view is filled the first time a reconcile needs it (one Query of its
// status items) and kept current by the status table's stream; a change in another region queues
// the endpoint. Nothing here polls: without a policy anywhere the feed does not run at all.
import type { Logger } from 'pino';
import { delay } from '../async/delay.js';
import type { RegionStatus } from '../model/index.js';
import type { StatusChange } from '../store/index.js';

interface OtherRegionsDeps {
  /** This monitor's region: its own items are the StatusBook's, not ours. */
  readonly region: string;
  /** One Query of an endpoint's status items. */
  readonly list: (name: string) => Promise<RegionStatus[]>;
  /**
   * The status feed from now on, until `signal` aborts; `onPositioned` once it reads from every
   * shard (a read made before that may have missed a change).
   */
  readonly feed: (signal: AbortSignal, onPositioned: () => void) => AsyncIterable<StatusChange[]>;
  /** Queues an endpoint whose other regions changed (the term's queue; none on a standby). */
  readonly enqueue: (name: string) => void;
  readonly log: Logger;
  /** How long a first read waits for the feed to be positioned (default 5 s). */
  readonly positionWaitMs?: number;
}

export type StatusOf = (region: string) => RegionStatus | undefined;

export class OtherRegions {
  private readonly views = new Map<string, Map<string, RegionStatus>>();
  private readonly filling = new Map<string, Promise<Map<string, RegionStatus>>>();
  private following: AbortController | undefined;
  /** Counts the feed's positionings: a fill that began before the last one may have missed a change. */
  private epoch = 0;
  /** Resolves when the running feed is positioned, or `positionWaitMs` after it started. */
  private positionedOnce: Promise<void> = Promise.resolve();

  constructor(private readonly deps: OtherRegionsDeps) {}

  /**
   * The endpoint's other regions, as last reported; starts the feed if it is not running. A first
   * read waits (boundedly) for the feed to be positioned, so a thousand endpoints needing their
   * view at once are read once, not once before and again after.
   */
  async of(name: string): Promise<StatusOf> {
    this.follow();
    let view = this.views.get(name);
    if (!view) {
      await this.positionedOnce;
      view = this.views.get(name) ?? (await this.fill(name));
    }
    const known = view;
    return (region) => known.get(region);
  }

  /**
   * Drops the views of endpoints `keep` refuses (no policy any more, or gone); with none left and
   * `stillNeeded` false, stops the feed: no policy anywhere costs no reads.
   */
  retain(keep: (name: string) => boolean, stillNeeded: boolean): void {
    for (const name of [...this.views.keys()]) if (!keep(name)) this.views.delete(name);
    if (!stillNeeded && this.views.size === 0) this.stop();
  }

  /** Stops the feed and forgets everything (standing down: another replica may lead meanwhile). */
  stop(): void {
    this.following?.abort();
    this.following = undefined;
    this.views.clear();
  }

  private fill(name: string): Promise<Map<string, RegionStatus>> {
    const pending = this.filling.get(name);
    if (pending) return pending;
    // The view exists while the Query runs, so feed changes meanwhile land in it; the newer of
    // the two copies of an item wins.
    const view = new Map<string, RegionStatus>();
    this.views.set(name, view);
    const epoch = this.epoch;
    const filled = this.deps
      .list(name)
      .then(
        (items) => {
          for (const s of items) if (s.region !== this.deps.region) keepNewer(view, s);
          if (epoch !== this.epoch) this.refill(name, view);
          return view;
        },
        (err: unknown) => {
          if (this.views.get(name) === view) this.views.delete(name);
          throw err;
        },
      )
      .finally(() => this.filling.delete(name));
    this.filling.set(name, filled);
    return filled;
  }

  private follow(): void {
    if (this.following) return;
    const abort = new AbortController();
    this.following = abort;
    let positioned: () => void = () => {};
    const positioning = new Promise<void>((resolve) => {
      positioned = resolve;
    });
    // Bounded: a feed that cannot start (no stream yet) must not hold every first read.
    this.positionedOnce = Promise.race([positioning, delay(this.deps.positionWaitMs ?? 5_000, abort.signal)]);
    const onPositioned = () => {
      this.positioned();
      positioned();
    };
    void (async () => {
      try {
        for await (const changes of this.deps.feed(abort.signal, onPositioned)) {
          if (abort.signal.aborted) break;
          this.apply(changes);
        }
      } catch (err) {
        this.deps.log.warn({ err: String(err) }, 'status feed stopped');
      } finally {
        if (this.following === abort) this.stop();
      }
    })();
  }

  private apply(changes: readonly StatusChange[]): void {
    const touched = new Set<string>();
    for (const c of changes) {
      if (c.region === this.deps.region) continue;
      const view = this.views.get(c.endpointName);
      if (!view) continue;
      if (c.status) keepNewer(view, c.status);
      else view.delete(c.region);
      touched.add(c.endpointName);
    }
    for (const name of touched) this.deps.enqueue(name);
  }

  /** Views filled before the feed could see every change are read again, by their reconcile. */
  private positioned(): void {
    this.epoch++;
    for (const [name, view] of [...this.views]) if (!this.filling.has(name)) this.refill(name, view);
  }

  private refill(name: string, view: Map<string, RegionStatus>): void {
    if (this.views.get(name) === view) this.views.delete(name);
    this.deps.enqueue(name);
  }
}

/** An item's writer sets `lastSync` on every write, so the later copy has the larger one. */
function keepNewer(view: Map<string, RegionStatus>, s: RegionStatus): void {
  const known = view.get(s.region);
  if (!known || known.lastSync <= s.lastSync) view.set(s.region, s);
}
