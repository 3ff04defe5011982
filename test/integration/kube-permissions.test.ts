// PRACTICES 14: the monitor works with only the Roles rendered from kube/permissions.ts, and is
// refused Secrets and namespaces it was not given.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KubeApiError,
  KubeCaches,
  KubeClient,
  KubeExecutor,
  type KubeObject,
  LeaderElector,
  renderMonitorRbac,
} from '../../src/kube/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';
import { createNamespace, kubeConfigAs, kubeConfigFor } from './kube-support.js';

const handle = useLocalEnv({ regions: ['test-1'] });
const monitorNs = 'gco-system';
const allowed = ['team-a', 'team-b'];

const labels = (endpoint: string) => ({
  'app.kubernetes.io/managed-by': 'inferctl',
  'gco.io/endpoint': endpoint,
});
const objects = (name: string, namespace: string): KubeObject[] => [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: labels(name) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'inference', image: 'vllm:1' }] },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: labels(name) },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8000 }] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `inference-${name}`, namespace, labels: labels(name) },
    spec: { ingressClassName: 'alb', defaultBackend: { service: { name, port: { number: 80 } } } },
  },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels: labels(name) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: 2,
    },
  },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels: labels(name) },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: name } } },
  },
];

describe('the monitor RBAC rendered from the permission table', () => {
  let client: KubeClient;
  let kc: Awaited<ReturnType<typeof kubeConfigAs>>;
  beforeAll(async () => {
    const adminKc = kubeConfigFor(handle);
    for (const n of [monitorNs, ...allowed, 'kube-forbidden']) await createNamespace(adminKc, n);
    const admin = new KubeExecutor(KubeClient.fromConfig(adminKc));
    for (const o of renderMonitorRbac({ namespace: monitorNs, allowedNamespaces: allowed }))
      await admin.apply(o);
    kc = await kubeConfigAs(adminKc, monitorNs, 'inference-monitor');
    client = KubeClient.fromConfig(kc);
  });

  it('is enough to lead, watch (pods too), apply (create and update) and delete every kind in the allowed namespaces', async () => {
    const elector = new LeaderElector({ client, namespace: monitorNs, identity: 'pod-1' });
    const caches = new KubeCaches(client, { namespaces: allowed, pods: true });
    const exec = new KubeExecutor(client, elector.guard);
    elector.start();
    caches.start();
    try {
      await waitFor('leading', () => elector.isLeader());
      await caches.synced();
      for (const ns of allowed) {
        for (const o of objects(`ep-${ns}`, ns)) expect((await exec.apply(o)).outcome).toBe('created');
        for (const o of objects(`ep-${ns}`, ns)) expect((await exec.apply(o)).outcome).toBe('unchanged');
      }
      await waitFor('cached', () => caches.all().length === allowed.length * objects('x', 'x').length);
      for (const o of objects('ep-team-a', 'team-a')) {
        expect(
          (await exec.delete({ kind: o.kind, namespace: 'team-a', name: o.metadata.name })).outcome,
        ).toBe('deleted');
      }
      await waitFor('deletes cached', () => caches.byEndpoint('ep-team-a').length === 0);
      expect(caches.stats().errors).toBe(0);
    } finally {
      await caches.stop();
      await elector.stop();
    }
  });

  it('is refused Secrets, writes to pods, namespaces outside the allowed list, and cluster-scoped reads', async () => {
    const exec = new KubeExecutor(client);
    const refused = async (p: Promise<unknown>) => {
      const err = await p.catch((e) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).statusCode).toBe(403);
    };
    await refused(exec.read({ apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'anything' }));
    await refused(client.send({ method: 'GET', path: '/api/v1/namespaces/team-a/secrets', verb: 'list' }));
    // Pods are watched for diagnosis, never written.
    await refused(
      exec.apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'x', namespace: 'team-a' },
        spec: { containers: [{ name: 'c', image: 'vllm:1' }] },
      }),
    );
    await refused(exec.apply(objects('x', 'kube-forbidden')[0]!));
    await refused(exec.read({ kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }));
    await refused(client.send({ method: 'GET', path: '/api/v1/namespaces', verb: 'list' }));
    // The lease only in the monitor's own namespace.
    await refused(exec.read({ kind: 'Lease', namespace: 'team-a', name: 'inference-monitor-leader' }));
  });
});
