// Watch caches against a real kube-apiserver: create/update/delete, label filtering, the
// endpoint index, onChange, and recovery after the watch connection is cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KubeCaches,
  KubeClient,
  KubeExecutor,
  type KubeObject,
  WATCHED_KINDS,
} from '../../src/kube/index.js';
import { isSettled } from '../../src/model/index.js';
import { findDrift } from '../../src/plan/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';
import { createNamespace, kubeConfigFor } from './kube-support.js';

const handle = useLocalEnv({ regions: ['test-1'] });
const namespaces = ['cache-a', 'cache-b'];

const labels = (endpoint: string) => ({
  'app.kubernetes.io/managed-by': 'inferctl',
  'gco.io/endpoint': endpoint,
  app: endpoint,
});

function service(name: string, namespace: string, endpoint: string | undefined, port = 8000): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: endpoint ? labels(endpoint) : { app: name } },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: port }] },
  };
}

function deployment(name: string, namespace: string, endpoint: string, image = 'vllm:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: labels(endpoint) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'inference', image }] } },
    },
  };
}

function hpa(name: string, namespace: string, endpoint: string): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels: labels(endpoint) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: 3,
    },
  };
}

function pdb(name: string, namespace: string, endpoint: string): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels: labels(endpoint) },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: name } } },
  };
}

function ingress(name: string, namespace: string, endpoint: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `inference-${name}`, namespace, labels: labels(endpoint) },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          http: {
            paths: [
              {
                path: `/inference/${name}`,
                pathType: 'Prefix',
                backend: { service: { name, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

const names = (objs: readonly KubeObject[]) =>
  objs.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort();

describe('KubeCaches', () => {
  let exec: KubeExecutor;
  let caches: KubeCaches;
  const changes: string[] = [];
  let gate: { promise: Promise<void>; release: () => void; parked: Set<string> } | undefined;

  beforeAll(async () => {
    const kc = kubeConfigFor(handle);
    for (const ns of [...namespaces, 'elsewhere']) await createNamespace(kc, ns);
    const client = KubeClient.fromConfig(kc);
    exec = new KubeExecutor(client);
    // Present before the caches start: must arrive through the initial list.
    await exec.apply(deployment('early', 'cache-a', 'early'));
    caches = new KubeCaches(client, {
      namespaces,
      beforeWatch: async ({ kind, namespace }) => {
        if (!gate) return;
        gate.parked.add(`${kind}/${namespace}`);
        await gate.promise;
      },
    });
    caches.onChange((name) => changes.push(name));
    caches.start();
    await caches.synced();
  });
  afterAll(async () => {
    await caches?.stop();
  });

  it('lists existing objects before reporting synced', () => {
    expect(caches.hasSynced).toBe(true);
    expect(names(caches.byEndpoint('early'))).toEqual(['Deployment/cache-a/early']);
    expect(changes).toContain('early');
  });

  it('sees creates, updates and deletes of every owned kind, indexed by endpoint, only for our labels', async () => {
    changes.length = 0;
    await exec.apply(deployment('llm', 'cache-a', 'llm'));
    await exec.apply(service('llm', 'cache-a', 'llm'));
    await exec.apply(ingress('llm', 'cache-a', 'llm'));
    await exec.apply(hpa('llm', 'cache-a', 'llm'));
    await exec.apply(pdb('llm', 'cache-a', 'llm'));
    await exec.apply(service('other', 'cache-b', 'other'));
    await exec.apply(service('unlabelled', 'cache-b', undefined));
    await exec.apply(service('outside', 'elsewhere', 'outside'));

    await waitFor('five llm objects', () => caches.byEndpoint('llm').length === 5);
    expect(names(caches.byEndpoint('llm'))).toEqual([
      'Deployment/cache-a/llm',
      'HorizontalPodAutoscaler/cache-a/llm',
      'Ingress/cache-a/inference-llm',
      'PodDisruptionBudget/cache-a/llm',
      'Service/cache-a/llm',
    ]);
    await waitFor('the other endpoint', () => caches.byEndpoint('other').length === 1);
    expect(caches.byEndpoint('outside')).toEqual([]);
    expect(caches.all().some((o) => o.metadata.name === 'unlabelled')).toBe(false);
    expect(changes).toContain('llm');
    expect(changes).toContain('other');
    expect(changes).not.toContain('outside');

    // Cached objects are wire objects with kind and apiVersion, but without managedFields: nothing
    // reads them from the cache and they are a large share of each object's memory.
    const d = caches.get('Deployment', 'cache-a', 'llm');
    expect(d).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(d?.metadata).not.toHaveProperty('managedFields');
    expect(d?.metadata.resourceVersion).toBeTruthy();

    changes.length = 0;
    const updated = await exec.apply(deployment('llm', 'cache-a', 'llm', 'vllm:2'));
    await waitFor(
      'the update',
      () =>
        caches.get('Deployment', 'cache-a', 'llm')?.metadata.resourceVersion ===
        updated.object?.metadata.resourceVersion,
    );
    expect(changes).toEqual(['llm']);
    // Objects that arrive by watch (not list) are stripped too.
    expect(caches.get('Deployment', 'cache-a', 'llm')?.metadata).not.toHaveProperty('managedFields');
    // So are the defaults and bookkeeping the API server adds, which nothing reads
    // (src/kube/keep.ts), while all that was applied is still there: plan sees no drift.
    const live = caches.get('Deployment', 'cache-a', 'llm');
    expect(live?.metadata).not.toHaveProperty('uid');
    expect(live?.spec).not.toHaveProperty('strategy');
    expect(live && findDrift(deployment('llm', 'cache-a', 'llm', 'vllm:2'), live)).toBeUndefined();
    const liveService = caches.get('Service', 'cache-a', 'llm');
    expect(liveService?.spec).not.toHaveProperty('clusterIP');
    expect(liveService && findDrift(service('llm', 'cache-a', 'llm'), liveService)).toBeUndefined();

    await exec.delete({ kind: 'HorizontalPodAutoscaler', namespace: 'cache-a', name: 'llm' });
    await waitFor('the delete', () => caches.byEndpoint('llm').length === 4);
    expect(caches.get('HorizontalPodAutoscaler', 'cache-a', 'llm')).toBeUndefined();
    expect(caches.endpoints().sort()).toEqual(['early', 'llm', 'other']);
  });

  it('moves an object between endpoints when its endpoint label changes, notifying both', async () => {
    changes.length = 0;
    await exec.apply(service('movable', 'cache-b', 'first'));
    await waitFor('first', () => caches.byEndpoint('first').length === 1);
    await exec.apply(service('movable', 'cache-b', 'second'));
    await waitFor('second', () => caches.byEndpoint('second').length === 1);
    expect(caches.byEndpoint('first')).toEqual([]);
    expect(changes).toEqual(expect.arrayContaining(['first', 'second']));
  });

  it('settles an up-to-date object to what is read without the drift check, until the watch brings a new version', async () => {
    await exec.apply(service('settle-me', 'cache-a', 'settle'));
    await waitFor('the Service', () => caches.byEndpoint('settle').length === 1);
    const whole = caches.get('Service', 'cache-a', 'settle-me')!;
    caches.settle(whole);
    const settled = caches.get('Service', 'cache-a', 'settle-me')!;
    expect(isSettled(settled)).toBe(true);
    expect(settled.spec).toBeUndefined();
    expect(settled.metadata).toEqual(whole.metadata);
    expect(caches.byEndpoint('settle')).toEqual([settled]);

    await exec.apply(service('settle-me', 'cache-a', 'settle', 9100));
    await waitFor('the new version', () => caches.get('Service', 'cache-a', 'settle-me') !== settled);
    const next = caches.get('Service', 'cache-a', 'settle-me') as KubeObject & {
      spec?: { ports?: { targetPort?: number }[] };
    };
    expect(isSettled(next)).toBe(false);
    expect(next.spec?.ports?.[0]?.targetPort).toBe(9100);
    // A copy the cache no longer holds is not settled over the new one.
    caches.settle(whole);
    expect(caches.get('Service', 'cache-a', 'settle-me')).toBe(next);
  });

  it('resumes from its resourceVersion after the watch is cut, without missing changes made meanwhile', async () => {
    const before = caches.stats();
    let release!: () => void;
    gate = { promise: new Promise<void>((r) => (release = r)), release: () => release(), parked: new Set() };
    caches.breakWatches();
    await waitFor(
      'every reflector parked',
      () => gate!.parked.size === namespaces.length * WATCHED_KINDS.length,
    );

    // Changes while nobody is watching.
    await exec.apply(deployment('while-down', 'cache-b', 'while-down'));
    await exec.delete({ kind: 'Service', namespace: 'cache-b', name: 'other' });
    await exec.apply(service('llm', 'cache-a', 'llm', 9000));
    changes.length = 0;
    gate.release();
    gate = undefined;

    await waitFor('the changes made while disconnected', () => {
      const svc = caches.get('Service', 'cache-a', 'llm') as
        | { spec?: { ports?: Array<{ targetPort?: number }> } }
        | undefined;
      return (
        caches.byEndpoint('while-down').length === 1 &&
        caches.byEndpoint('other').length === 0 &&
        svc?.spec?.ports?.[0]?.targetPort === 9000
      );
    });
    expect(changes).toEqual(expect.arrayContaining(['while-down', 'other', 'llm']));
    const after = caches.stats();
    // Resumed from the last resourceVersion: no relist was needed, no error was counted.
    expect(after.relists).toBe(before.relists);
    expect(after.errors).toBe(before.errors);
    expect(after.watchRestarts).toBeGreaterThanOrEqual(
      before.watchRestarts + namespaces.length * WATCHED_KINDS.length,
    );
  });
});
