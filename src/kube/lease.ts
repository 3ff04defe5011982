import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { delay } from '../async/delay.js';
import { type KubeRef, LEASE_NAME } from '../model/index.js';
import type { KubeClient } from './client.js';
import { KubeApiError, NotLeaderError } from './errors.js';

/**
 * A candidate's default identity, as client-go builds it: the host name (a pod's name) plus a
 * per-process suffix, so two processes on one host never share an identity (both would lead, and
 * either could release the other's lease).
 */
export function uniqueIdentity(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return `${env.HOSTNAME?.trim() || hostname()}_${randomUUID()}`;
}

interface LeaderElectionOptions {
  readonly client: KubeClient;
  /** The monitor's own namespace. */
  readonly namespace: string;
  readonly name?: string;
  /** Default `uniqueIdentity()`. */
  readonly identity?: string;
  /** How long a lease is good for after its last renewal, as others see it. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** A leader that has not renewed for this long stops leading. Default 10 s; must be < leaseDuration. */
  readonly renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. Default 2 s; must be < renewDeadline. */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading?: () => void;
  /** Called as soon as this replica may no longer write: before any other replica can acquire. */
  readonly onStoppedLeading?: () => void;
  /** Called when the observed holder changes ('' when the lease was released). */
  readonly onNewLeader?: (identity: string) => void;
  /** Failed attempts (transport errors, 403s…); the elector keeps trying. */
  readonly onError?: (err: unknown) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics:
 *
 * - a candidate acquires the lease only when it is free (no holder, e.g. released) or when the
 *   holder's record has not changed for `leaseDuration`, measured on the candidate's own clock
 *   from when it observed that record (no trust in other clocks);
 * - every write carries the resourceVersion it read (optimistic concurrency: two candidates cannot
 *   both win, the second gets 409);
 * - the leader renews every `retryPeriod`, and stops leading once `renewDeadline` has passed since
 *   its last successful renewal — measured from when that renewal was *sent*, and checked by
 *   `isLeader()` against the clock, not only by a timer. Because renewDeadline < leaseDuration,
 *   the old leader has stopped (and `onStoppedLeading` has run) before any other candidate can
 *   consider the lease expired. This is the seed's bug (DESIGN §4.8) fixed.
 * - `stop()` releases the lease (empty holder, 1 s duration) so a successor need not wait.
 */
export class LeaderElector {
  readonly identity: string;
  readonly name: string;
  readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  /** When the last successful acquire/renew was sent. */
  private lastRenewSentAt = 0;
  private observedKey = '';
  private observedAt = 0;
  private observedHolder: string | undefined;
  /** The lease as this replica last wrote it: what a release may overwrite, and nothing newer. */
  private written: Lease | undefined;
  private stopped = true;
  private loop: Promise<void> | undefined;
  /** Aborted by `stop()` to end the wait between attempts. */
  private wake: AbortController | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.identity = options.identity ?? uniqueIdentity();
    this.name = options.name ?? LEASE_NAME;
    this.namespace = options.namespace;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!this.identity) throw new Error('leader election needs a non-empty identity');
    if (this.leaseDurationMs <= this.renewDeadlineMs)
      throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= this.retryPeriodMs * 1.2)
      throw new Error('renewDeadline must be greater than 1.2 × retryPeriod');
  }

  /** True only while the last successful renewal is younger than renewDeadline. */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewSentAt < this.renewDeadlineMs;
  }

  /** The last holder this replica observed ('' when released, undefined before the first read). */
  leader(): string | undefined {
    return this.observedHolder;
  }

  /** A write guard for KubeExecutor: throws NotLeaderError unless this replica leads right now. */
  readonly guard = (verb: string, ref: KubeRef): void => {
    if (!this.isLeader()) throw new NotLeaderError(this.identity, verb, ref);
  };

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops campaigning; a leader steps down first and then releases the lease (unless `release: false`). */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.wake?.abort();
    await this.loop;
    const wasLeading = this.isLeader();
    this.stepDown();
    if (wasLeading && options.release !== false)
      await this.release().catch((err) => this.options.onError?.(err));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const sentAt = Date.now();
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew(sentAt);
      } catch (err) {
        this.options.onError?.(err);
      }
      if (this.stopped) break;
      if (ok) {
        this.lastRenewSentAt = sentAt;
        this.armDeadline();
        if (!this.leading) {
          this.leading = true;
          this.options.onStartedLeading?.();
        }
      } else if (this.leading && !this.isLeader()) {
        this.stepDown();
      }
      const pause = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 0.2);
      this.wake = new AbortController();
      await delay(pause, this.wake.signal);
      this.wake = undefined;
    }
  }

  /** Steps down at the renew deadline even if a renewal request is still hanging. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const at = this.lastRenewSentAt + this.renewDeadlineMs - Date.now();
    this.deadlineTimer = setTimeout(
      () => {
        if (this.leading && !this.isLeader()) this.stepDown();
      },
      Math.max(0, at),
    );
    this.deadlineTimer.unref?.();
  }

  private stepDown(): void {
    clearTimeout(this.deadlineTimer);
    if (!this.leading) return;
    this.leading = false;
    this.options.onStoppedLeading?.();
  }

  private async path(withName: boolean): Promise<string> {
    return this.options.client.pathFor(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.namespace, name: this.name },
      withName,
    );
  }

  private ref(): KubeRef {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: this.namespace,
      name: this.name,
    };
  }

  private observe(lease: Lease, now: number): void {
    const s = lease.spec ?? {};
    const key = `${s.holderIdentity ?? ''}|${s.renewTime ?? ''}|${lease.metadata.resourceVersion ?? ''}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = now;
    }
    const holder = s.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.options.onNewLeader?.(holder);
    }
  }

  private async tryAcquireOrRenew(sentAt: number): Promise<boolean> {
    if (await this.renewOverOwnRecord(sentAt)) return true;
    const client = this.options.client;
    const now = microTime(sentAt);
    let lease: Lease;
    try {
      lease = (
        await client.send({ method: 'GET', path: await this.path(true), verb: 'get', ref: this.ref() })
      ).body as Lease;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
      const created = await client
        .send({
          method: 'POST',
          path: await this.path(false),
          body: this.record(now, 0),
          contentType: 'application/json',
          verb: 'create',
          ref: this.ref(),
        })
        .catch((e) => {
          if (e instanceof KubeApiError && e.isConflict) return undefined; // someone else created it first
          throw e;
        });
      if (!created) return false;
      this.afterWrite(created.body as Lease, sentAt);
      return true;
    }
    this.observe(lease, Date.now());
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const held = holder !== '' && holder !== this.identity && this.observedAt + durationMs > Date.now();
    if (held) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1);
    const acquireTime = holder === this.identity ? (spec.acquireTime ?? now) : now;
    try {
      // Over the lease as read, as client-go's LeaseLock does: labels or annotations someone else
      // put on it stay, and its resourceVersion makes a concurrent write lose with 409.
      this.afterWrite(
        await this.update({ ...lease, spec: { ...this.spec(now, transitions), acquireTime } }),
        sentAt,
      );
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.isConflict) return false; // lost the race; read again next round
      throw err;
    }
  }

  /**
   * A leader's renewal in one request, as client-go's fast path does: the record it last wrote,
   * with a new renewTime, at that record's resourceVersion. Anyone else's write since then makes
   * the server refuse it (409), and any failure falls back to reading the lease first. Half the
   * requests of read-then-write: the same 2 s renewals cost an idle monitor one request each, and
   * under load a renewal waits for one answer from a busy API server, not two.
   */
  private async renewOverOwnRecord(sentAt: number): Promise<boolean> {
    const mine = this.written;
    if (!this.isLeader() || mine?.spec?.holderIdentity !== this.identity || !mine.metadata.resourceVersion)
      return false;
    try {
      this.afterWrite(
        await this.update({ ...mine, spec: { ...mine.spec, renewTime: microTime(sentAt) } }),
        sentAt,
      );
      return true;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isConflict)) this.options.onError?.(err);
      return false;
    }
  }

  /** Writes the Lease at the resourceVersion `body` carries: 409 when anyone wrote it since. */
  private async update(body: Lease): Promise<Lease> {
    const res = await this.options.client.send({
      method: 'PUT',
      path: await this.path(true),
      body,
      contentType: 'application/json',
      verb: 'update',
      ref: this.ref(),
    });
    return res.body as Lease;
  }

  private afterWrite(lease: Lease, sentAt: number): void {
    this.written = lease;
    this.observe(lease, sentAt);
  }

  private spec(now: string, transitions: number): LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  /** A new Lease, for the first candidate ever (create). */
  private record(now: string, transitions: number): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: this.spec(now, transitions),
    };
  }

  /**
   * Empty holder and a 1 s duration: successors may acquire at once (client-go's ReleaseOnCancel).
   * Written over the record this replica last wrote, at its resourceVersion: if anyone wrote the
   * lease since (another candidate took it over), the server refuses with 409 and it stays theirs.
   */
  private async release(): Promise<void> {
    const mine = this.written;
    if (!mine || mine.spec?.holderIdentity !== this.identity || !mine.metadata.resourceVersion) return;
    const now = microTime(Date.now());
    try {
      await this.update({
        ...mine,
        spec: { ...mine.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isConflict)) throw err;
    }
  }
}

/** metav1.MicroTime wire format: RFC 3339 with exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
