// One reflector: the list+watch loop that keeps an in-memory copy of one kind in one namespace
// current, as client-go's reflector does. It reports every change of its store to its owner
// (KubeCaches, which indexes them by endpoint).
//
// list (paginated) → watch from the list's resourceVersion with bookmarks → on a clean close,
// watch again from the last seen resourceVersion → on 410 Gone / Expired (as an HTTP status or an
// ERROR event) relist and diff against the store → on any other error retry with capped
// exponential backoff and jitter, keeping the resourceVersion.
import { type KubeObject, OWNED_LABEL_SELECTOR } from '../model/index.js';
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';

export interface WatchedKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Something worth a log line or a metric; the caches never log by themselves. */
export type CacheEvent =
  | {
      readonly type: 'listed';
      readonly kind: string;
      readonly namespace: string;
      readonly count: number;
      readonly resourceVersion: string;
    }
  | {
      readonly type: 'expired';
      readonly kind: string;
      readonly namespace: string;
      readonly resourceVersion: string;
    }
  | {
      readonly type: 'error';
      readonly kind: string;
      readonly namespace: string;
      readonly error: unknown;
      readonly retryInMs: number;
    };

/** How every reflector lists, watches and retries. */
export interface ReflectorOptions {
  /** Default `app.kubernetes.io/managed-by=inferctl`. */
  readonly labelSelector?: string;
  readonly pageSize?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Server-side watch timeout range; connections are recycled like client-go's reflector does. */
  readonly watchTimeoutSeconds?: readonly [number, number];
  readonly onEvent?: (e: CacheEvent) => void;
  /**
   * Awaited before every watch request. Tests use it to hold a reflector between "watch broken"
   * and "watch resumed" so changes (and etcd compactions) can happen in between.
   */
  readonly beforeWatch?: (info: {
    kind: string;
    namespace: string;
    resourceVersion: string;
  }) => Promise<void>;
}

type StoreChange = (key: string, oldObj: KubeObject | undefined, newObj: KubeObject | undefined) => void;

class GoneSignal {}

export class Reflector {
  readonly store = new Map<string, KubeObject>();
  resourceVersion = '';
  hasSynced = false;
  relists = 0;
  watchRestarts = 0;
  errors = 0;
  readonly firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  private stopped = false;
  private abort: AbortController | undefined;
  private breakPending = false;
  /** Failed attempts in a row, for the backoff. */
  private attempt = 0;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    readonly kind: WatchedKind,
    readonly namespace: string,
    private readonly options: ReflectorOptions,
    private readonly changed: StoreChange,
    /** What is kept of each object: only what its readers read (keep.ts, caches.ts). */
    private readonly keep: (obj: KubeObject) => KubeObject,
  ) {
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve;
    });
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  /** Ends a backoff sleep now and starts the backoff over (the server answers again). */
  retryNow(): void {
    this.attempt = 0;
    this.wake?.();
  }

  /** Cuts the open watch connection, or the one being opened. */
  breakWatch(): void {
    if (this.abort) this.abort.abort();
    else this.breakPending = true;
  }

  private key(name: string): string {
    return `${this.kind.kind}/${this.namespace}/${name}`;
  }

  private async run(): Promise<void> {
    const backoff = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.options.beforeWatch?.({
          kind: this.kind.kind,
          namespace: this.namespace,
          resourceVersion: this.resourceVersion,
        });
        if (this.stopped) break;
        const progressed = await this.watchOnce();
        if (progressed) this.attempt = 0;
        this.watchRestarts++;
      } catch (err) {
        if (this.stopped) break;
        if (
          err instanceof GoneSignal ||
          (err instanceof KubeApiError && err.isGone) ||
          statusOf(err) === 410
        ) {
          this.options.onEvent?.({
            type: 'expired',
            kind: this.kind.kind,
            namespace: this.namespace,
            resourceVersion: this.resourceVersion,
          });
          this.resourceVersion = '';
          continue;
        }
        this.errors++;
        const delay =
          Math.min(backoff.maxMs, backoff.initialMs * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
        this.attempt++;
        this.options.onEvent?.({
          type: 'error',
          kind: this.kind.kind,
          namespace: this.namespace,
          error: err,
          retryInMs: delay,
        });
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Paginated list; replaces the store and reports every difference as a change. */
  private async relist(): Promise<void> {
    const path = await this.client.pathFor(
      { apiVersion: this.kind.apiVersion, kind: this.kind.kind, namespace: this.namespace, name: '' },
      false,
    );
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const res = await this.client.send({
        method: 'GET',
        path,
        query: {
          labelSelector: this.options.labelSelector ?? OWNED_LABEL_SELECTOR,
          limit: this.options.pageSize ?? 500,
          continue: cont,
        },
        verb: 'list',
        ref: { apiVersion: this.kind.apiVersion, kind: this.kind.kind, namespace: this.namespace, name: '*' },
      });
      const list = res.body as {
        items?: KubeObject[];
        metadata?: { resourceVersion?: string; continue?: string };
      };
      for (const item of list.items ?? []) {
        // list items carry no apiVersion/kind; give them back so cached objects are complete
        items.push({ ...item, apiVersion: this.kind.apiVersion, kind: this.kind.kind });
      }
      cont = list.metadata?.continue || undefined;
      rv = list.metadata?.resourceVersion ?? '';
    } while (cont);
    this.relists++;
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(item.metadata.name);
      this.put(item);
    }
    for (const [name, old] of [...this.store]) {
      if (!seen.has(name)) {
        this.store.delete(name);
        this.changed(this.key(name), old, undefined);
      }
    }
    this.resourceVersion = rv;
    this.options.onEvent?.({
      type: 'listed',
      kind: this.kind.kind,
      namespace: this.namespace,
      count: items.length,
      resourceVersion: rv,
    });
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.resolveFirstSync();
    }
  }

  /**
   * Swaps the stored copy of `current` for `replacement` (a smaller one of the same version), unless
   * the watch has meanwhile stored another version. Listeners are not told: nothing changed.
   * Returns the key listeners know the object by, or undefined when nothing was swapped.
   */
  replace(current: KubeObject, replacement: KubeObject): string | undefined {
    if (this.store.get(current.metadata.name) !== current) return undefined;
    this.store.set(current.metadata.name, replacement);
    return this.key(current.metadata.name);
  }

  private put(obj: KubeObject): void {
    const old = this.store.get(obj.metadata.name);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    const stored = this.keep(obj);
    this.store.set(obj.metadata.name, stored);
    this.changed(this.key(obj.metadata.name), old, stored);
  }

  /**
   * One watch connection. Resolves when it closes normally (true if it delivered anything),
   * throws GoneSignal on an expired resourceVersion, or the transport/API error otherwise.
   */
  private async watchOnce(): Promise<boolean> {
    const path = await this.client.pathFor(
      { apiVersion: this.kind.apiVersion, kind: this.kind.kind, namespace: this.namespace, name: '' },
      false,
    );
    const [lo, hi] = this.options.watchTimeoutSeconds ?? [300, 600];
    let progressed = false;
    let failure: unknown;
    const abort = new AbortController();
    this.abort = abort;
    if (this.stopped || this.breakPending) {
      this.breakPending = false;
      abort.abort();
    }
    try {
      await this.client.watch(
        path,
        {
          labelSelector: this.options.labelSelector ?? OWNED_LABEL_SELECTOR,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.floor(lo + Math.random() * (hi - lo)),
        },
        ({ type, object }) => {
          if (failure !== undefined) return;
          const obj = object as KubeObject & { code?: number; reason?: string; message?: string };
          switch (type) {
            case 'ADDED':
            case 'MODIFIED':
              this.put({
                ...obj,
                apiVersion: obj.apiVersion ?? this.kind.apiVersion,
                kind: obj.kind ?? this.kind.kind,
              });
              break;
            case 'DELETED': {
              const old = this.store.get(obj.metadata.name);
              this.store.delete(obj.metadata.name);
              if (old) this.changed(this.key(obj.metadata.name), old, undefined);
              break;
            }
            case 'BOOKMARK':
              break;
            case 'ERROR':
              failure =
                obj.code === 410
                  ? new GoneSignal()
                  : new KubeApiError(
                      obj.code ?? 500,
                      obj.reason ?? '',
                      'watch',
                      undefined,
                      obj.message ?? '',
                    );
              abort.abort();
              return;
            default:
              return;
          }
          progressed = true;
          if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
        },
        abort.signal,
        { apiVersion: this.kind.apiVersion, kind: this.kind.kind, namespace: this.namespace, name: '*' },
      );
    } catch (err) {
      if (failure === undefined && (this.stopped || abort.signal.aborted)) return progressed;
      throw failure ?? err;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
    if (failure !== undefined) throw failure;
    return progressed;
  }
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; code?: unknown } | undefined;
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}
