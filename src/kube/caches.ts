// The watch caches: one reflector per owned kind and allowed namespace (reflector.ts), their
// objects indexed by the endpoint they belong to; and, for diagnosis, the pods of those objects,
// watched but never written, each kept only as the few fields diagnosis reads.
import { type PodLike, type PodView, trimPod } from '../diagnose/index.js';
import {
  isSettled,
  type KubeObject,
  LABEL_APP,
  LABEL_ENDPOINT,
  OWNED_KINDS,
  POD_LABEL_SELECTOR,
} from '../model/index.js';
import type { KubeClient } from './client.js';
import { keepOwned, settleOwned } from './keep.js';
import { Reflector, type ReflectorOptions, type WatchedKind } from './reflector.js';

/** The kinds the monitor owns and watches (DESIGN §2.4). */
export const WATCHED_KINDS: readonly WatchedKind[] = OWNED_KINDS.map(({ apiVersion, kind }) => ({
  apiVersion,
  kind,
}));

const POD_KIND: WatchedKind = { apiVersion: 'v1', kind: 'Pod' };

interface KubeCachesOptions extends ReflectorOptions {
  readonly namespaces: readonly string[];
  readonly kinds?: readonly WatchedKind[];
  /** Also watch the endpoints' pods (the monitor does, for diagnosis). */
  readonly pods?: boolean;
}

/**
 * A cached pod: its name, resourceVersion and `app` label (which Deployment made it), and the
 * trimmed view diagnosis reads. Spec, labels and most of the status are dropped (a full pod is
 * several kilobytes; thousands of them are most of a monitor's memory otherwise).
 */
interface CachedPod extends KubeObject {
  readonly view: PodView;
}

function keepPod(obj: KubeObject): CachedPod {
  const { name, namespace, resourceVersion, labels } = obj.metadata;
  const app = labels?.[LABEL_APP];
  return {
    apiVersion: POD_KIND.apiVersion,
    kind: POD_KIND.kind,
    metadata: {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(app !== undefined ? { labels: { [LABEL_APP]: app } } : {}),
    },
    view: trimPod(obj as unknown as PodLike),
  };
}

type ChangeListener = (endpointName: string) => void;

/**
 * In-memory copies of every object we own in the allowed namespaces, kept current by list+watch
 * (one reflector per kind and namespace, since the monitor's RBAC is per namespace), indexed by
 * the `gco.io/endpoint` label. The monitor reads observed state only from here (DESIGN §3).
 */
export class KubeCaches {
  private readonly reflectors: Reflector[] = [];
  private readonly podReflectors: Reflector[] = [];
  /** endpoint → (kind/namespace/name → object). */
  private readonly index = new Map<string, Map<string, KubeObject>>();
  /** namespace/app (a Deployment's name) → (pod key → trimmed pod). */
  private readonly podIndex = new Map<string, Map<string, PodView>>();
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
      for (const r of this.everyReflector) r.retryNow();
    });
    for (const namespace of options.namespaces) {
      for (const k of options.kinds ?? WATCHED_KINDS) {
        this.reflectors.push(
          new Reflector(
            client,
            k,
            namespace,
            options,
            (key, oldObj, newObj) => this.apply(key, oldObj, newObj),
            keepOwned,
          ),
        );
      }
      if (options.pods) {
        this.podReflectors.push(
          new Reflector(
            client,
            POD_KIND,
            namespace,
            { ...options, labelSelector: POD_LABEL_SELECTOR },
            (key, oldObj, newObj) => this.applyPod(namespace, key, oldObj, newObj),
            keepPod,
          ),
        );
      }
    }
  }

  private get everyReflector(): Reflector[] {
    return [...this.reflectors, ...this.podReflectors];
  }

  /** Starts every reflector; returns at once (await `synced()` for the first complete list). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const r of this.everyReflector) r.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.everyReflector.map((r) => r.stop()));
  }

  /** Resolves when every reflector has completed its first list. */
  synced(): Promise<void> {
    this.syncedPromise ??= Promise.all(this.everyReflector.map((r) => r.firstSync)).then(() => {});
    return this.syncedPromise;
  }

  get hasSynced(): boolean {
    return this.everyReflector.every((r) => r.hasSynced);
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
    return this.reflectorFor(kind, namespace)?.store.get(name);
  }

  private reflectorFor(kind: string, namespace: string | undefined): Reflector | undefined {
    return this.reflectors.find((r) => r.kind.kind === kind && r.namespace === namespace);
  }

  /**
   * `obj`, as this cache holds it, was found up to date by plan: keep only what is read without
   * the drift check from now on (keep.ts, settleOwned). A no-op when the cache holds another
   * version by now, or when `obj` is not the cache's own copy (an apply's answer, say).
   */
  settle(obj: KubeObject): void {
    if (isSettled(obj)) return;
    const { kind, metadata } = obj;
    const settled = settleOwned(obj);
    const key = this.reflectorFor(kind, metadata.namespace)?.replace(obj, settled);
    if (key === undefined) return;
    const endpoint = metadata.labels?.[LABEL_ENDPOINT];
    const forEndpoint = endpoint === undefined ? undefined : this.index.get(endpoint);
    if (forEndpoint?.get(key) === obj) forEndpoint.set(key, settled);
  }

  /** Counters for metrics and tests. */
  stats(): { relists: number; watchRestarts: number; errors: number } {
    let relists = 0;
    let watchRestarts = 0;
    let errors = 0;
    for (const r of this.everyReflector) {
      relists += r.relists;
      watchRestarts += r.watchRestarts;
      errors += r.errors;
    }
    return { relists, watchRestarts, errors };
  }

  /** Cuts every open watch connection, as a network failure would. For tests and chaos drills. */
  breakWatches(): void {
    for (const r of this.everyReflector) r.breakWatch();
  }

  /** The trimmed pods a Deployment (by name) has made; empty when pods are not watched. */
  podsOf(namespace: string, deployment: string): PodView[] {
    return [...(this.podIndex.get(`${namespace}/${deployment}`)?.values() ?? [])];
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
    for (const ep of new Set([oldEp, newEp])) if (ep !== undefined) this.notify(ep);
  }

  /**
   * A pod maps to its endpoint through the Deployment its `app` label names (the primary's or the
   * canary's), read from this cache: a pod whose Deployment is not cached yet maps to nothing, and
   * the Deployment's own arrival queues the endpoint.
   */
  private applyPod(
    namespace: string,
    key: string,
    oldObj: KubeObject | undefined,
    newObj: KubeObject | undefined,
  ) {
    const oldApp = oldObj?.metadata.labels?.[LABEL_APP];
    const newApp = newObj?.metadata.labels?.[LABEL_APP];
    if (oldApp !== undefined) {
      const slot = `${namespace}/${oldApp}`;
      const m = this.podIndex.get(slot);
      m?.delete(key);
      if (m?.size === 0) this.podIndex.delete(slot);
    }
    if (newApp !== undefined && newObj) {
      const slot = `${namespace}/${newApp}`;
      let m = this.podIndex.get(slot);
      if (!m) {
        m = new Map();
        this.podIndex.set(slot, m);
      }
      m.set(key, (newObj as CachedPod).view);
    }
    for (const app of new Set([oldApp, newApp])) {
      if (app === undefined) continue;
      const ep = this.get('Deployment', namespace, app)?.metadata.labels?.[LABEL_ENDPOINT];
      if (ep !== undefined) this.notify(ep);
    }
  }

  private notify(endpoint: string): void {
    for (const l of this.listeners) {
      try {
        l(endpoint);
      } catch {
        // a listener's failure is its own; the cache goes on
      }
    }
  }
}
