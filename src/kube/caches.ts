// The watch caches: one reflector per owned kind and allowed namespace (reflector.ts), their
// objects indexed by the endpoint they belong to.
import { type KubeObject, LABEL_ENDPOINT, OWNED_KINDS } from '../model/index.js';
import type { KubeClient } from './client.js';
import { Reflector, type ReflectorOptions, type WatchedKind } from './reflector.js';

/** The kinds the monitor owns and watches (DESIGN §2.4). */
export const WATCHED_KINDS: readonly WatchedKind[] = OWNED_KINDS.map(({ apiVersion, kind }) => ({
  apiVersion,
  kind,
}));

interface KubeCachesOptions extends ReflectorOptions {
  readonly namespaces: readonly string[];
  readonly kinds?: readonly WatchedKind[];
}

type ChangeListener = (endpointName: string) => void;

/**
 * In-memory copies of every object we own in the allowed namespaces, kept current by list+watch
 * (one reflector per kind and namespace, since the monitor's RBAC is per namespace), indexed by
 * the `gco.io/endpoint` label. The monitor reads observed state only from here (DESIGN §3).
 */
export class KubeCaches {
  private readonly reflectors: Reflector[] = [];
  /** endpoint → (kind/namespace/name → object). */
  private readonly index = new Map<string, Map<string, KubeObject>>();
  private readonly listeners = new Set<ChangeListener>();
  private started = false;
  private syncedPromise: Promise<void> | undefined;

  constructor(client: KubeClient, options: KubeCachesOptions);
  /** The old form: the kubeconfig is ignored (the client carries the connection). */
  constructor(client: KubeClient, kc: unknown, options: KubeCachesOptions);
  constructor(client: KubeClient, second: unknown, third?: KubeCachesOptions) {
    const options = third ?? (second as KubeCachesOptions);
    // A watch whose backoff grew during an API server outage would otherwise stay blind for up
    // to its cap (30 s) after the server is back, and every reconcile meanwhile reads a stale cache.
    client.onReconnect(() => {
      for (const r of this.reflectors) r.retryNow();
    });
    for (const namespace of options.namespaces) {
      for (const k of options.kinds ?? WATCHED_KINDS) {
        this.reflectors.push(
          new Reflector(client, k, namespace, options, (key, oldObj, newObj) =>
            this.apply(key, oldObj, newObj),
          ),
        );
      }
    }
  }

  /** Starts every reflector; returns at once (await `synced()` for the first complete list). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const r of this.reflectors) r.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }

  /** Resolves when every reflector has completed its first list. */
  synced(): Promise<void> {
    this.syncedPromise ??= Promise.all(this.reflectors.map((r) => r.firstSync)).then(() => {});
    return this.syncedPromise;
  }

  get hasSynced(): boolean {
    return this.reflectors.every((r) => r.hasSynced);
  }

  /** Registers a callback for "something about this endpoint's objects changed"; returns an unsubscribe. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  byEndpoint(name: string): KubeObject[] {
    return [...(this.index.get(name)?.values() ?? [])];
  }

  all(): KubeObject[] {
    return this.reflectors.flatMap((r) => [...r.store.values()]);
  }

  /** Endpoint names that own at least one cached object (the inventory, PRACTICES 7). */
  endpoints(): string[] {
    return [...this.index.keys()];
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.reflectors.find((r) => r.kind.kind === kind && r.namespace === namespace)?.store.get(name);
  }

  /** Counters for metrics and tests. */
  stats(): { relists: number; watchRestarts: number; errors: number } {
    let relists = 0;
    let watchRestarts = 0;
    let errors = 0;
    for (const r of this.reflectors) {
      relists += r.relists;
      watchRestarts += r.watchRestarts;
      errors += r.errors;
    }
    return { relists, watchRestarts, errors };
  }

  /** Cuts every open watch connection, as a network failure would. For tests and chaos drills. */
  breakWatches(): void {
    for (const r of this.reflectors) r.breakWatch();
  }

  private apply(key: string, oldObj: KubeObject | undefined, newObj: KubeObject | undefined): void {
    const oldEp = oldObj?.metadata.labels?.[LABEL_ENDPOINT];
    const newEp = newObj?.metadata.labels?.[LABEL_ENDPOINT];
    if (oldEp !== undefined) {
      const m = this.index.get(oldEp);
      m?.delete(key);
      if (m?.size === 0) this.index.delete(oldEp);
    }
    if (newEp !== undefined && newObj) {
      let m = this.index.get(newEp);
      if (!m) {
        m = new Map();
        this.index.set(newEp, m);
      }
      m.set(key, newObj);
    }
    for (const ep of new Set([oldEp, newEp])) {
      if (ep === undefined) continue;
      for (const l of this.listeners) {
        try {
          l(ep);
        } catch {
          // a listener's failure is its own; the cache goes on
        }
      }
    }
  }
}
