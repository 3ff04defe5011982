// Records every watch event of one kind in one namespace (type, name, resourceVersion, spec hash),
// so fault tests can check afterwards that nothing was deleted, changed, or written twice with
// different content. Re-watches from the last resourceVersion when the server closes the stream.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/index.js';
import { ANNOTATION_SPEC_HASH } from '../../src/model/index.js';

interface RecordedEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly name: string;
  readonly resourceVersion: string;
  readonly hash: string | undefined;
  readonly generation: number | undefined;
  readonly at: number;
}

export interface WatchRecorder {
  readonly events: RecordedEvent[];
  /** Events for one object, in order. */
  of(name: string): RecordedEvent[];
  stop(): void;
}

const PLURAL: Record<string, string> = {
  Deployment: '/apis/apps/v1/namespaces/NS/deployments',
  Service: '/api/v1/namespaces/NS/services',
  Ingress: '/apis/networking.k8s.io/v1/namespaces/NS/ingresses',
  HorizontalPodAutoscaler: '/apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers',
};

interface Obj {
  metadata?: {
    name?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
}

/** Starts watching at "now" (a list gives the starting resourceVersion; existing objects are not events). */
export async function recordWatch(
  kubeconfig: string,
  kind: keyof typeof PLURAL,
  namespace = 'gco-inference',
): Promise<WatchRecorder> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const watch = new Watch(kc);
  const path = PLURAL[kind]!.replace('NS', namespace);
  const events: RecordedEvent[] = [];
  let stopped = false;
  let current: { abort(): void } | undefined;
  const list = await KubeClient.fromConfig(kc).send({
    method: 'GET',
    path,
    query: { limit: 1 },
    verb: 'list',
  });
  let rv = (list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

  const run = async (): Promise<void> => {
    if (stopped) return;
    try {
      current = await watch.watch(
        path,
        { resourceVersion: rv, allowWatchBookmarks: true },
        (type: string, obj: Obj) => {
          const meta = obj.metadata ?? {};
          if (meta.resourceVersion) rv = meta.resourceVersion;
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
          events.push({
            type,
            name: meta.name ?? '',
            resourceVersion: meta.resourceVersion ?? '',
            hash: meta.annotations?.[ANNOTATION_SPEC_HASH],
            generation: meta.generation,
            at: Date.now(),
          });
        },
        () => {
          if (!stopped) setTimeout(() => void run(), 200);
        },
      );
    } catch {
      if (!stopped) setTimeout(() => void run(), 500);
    }
  };
  await run();
  return {
    events,
    of: (name) => events.filter((e) => e.name === name),
    stop() {
      stopped = true;
      current?.abort();
    },
  };
}
