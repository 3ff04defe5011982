// Foundation smoke test: client-node against the real kube-apiserver, over the wire.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
  Watch,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';

const handle = useLocalEnv({ regions: ['test-1'] });

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(handle.env.regions['test-1']!.kubeconfig);
  return kc;
}

function deployment(name: string, namespace: string, image: string): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'inference', image }] },
      },
    },
  };
}

describe('client-node against a real kube-apiserver', () => {
  it('creates, server-side-applies, watches and deletes a Deployment, and gets 409 on a stale resourceVersion', async () => {
    const kc = kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const ns = 'smoke';
    await core.createNamespace({ body: { metadata: { name: ns } } });

    // Watch first, so the test sees the events of everything below.
    const events: Array<{ type: string; name: string; image?: string }> = [];
    const watchDone: unknown[] = [];
    const abort = await new Watch(kc).watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      {},
      (type, obj: V1Deployment) =>
        events.push({
          type,
          name: obj.metadata?.name ?? '',
          image: obj.spec?.template.spec?.containers[0]?.image,
        }),
      (err) => watchDone.push(err),
    );

    const created = await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', ns, 'nginx:1'),
    });
    expect(created.metadata?.resourceVersion).toBeTruthy();

    const applied = await objects.patch(
      deployment('web', ns, 'nginx:2'),
      undefined,
      undefined,
      'inferctl-smoke',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(applied.spec?.template.spec?.containers[0]?.image).toBe('nginx:2');
    expect(
      applied.metadata?.managedFields?.some((f) => f.manager === 'inferctl-smoke' && f.operation === 'Apply'),
    ).toBe(true);

    // A replace carrying the resourceVersion from before the apply is refused.
    const stale = { ...created, spec: { ...created.spec!, replicas: 3 } };
    const conflict = await apps
      .replaceNamespacedDeployment({ name: 'web', namespace: ns, body: stale })
      .catch((e) => e);
    expect(conflict).toBeInstanceOf(ApiException);
    expect((conflict as ApiException<unknown>).code).toBe(409);

    await apps.deleteNamespacedDeployment({ name: 'web', namespace: ns, propagationPolicy: 'Background' });
    await waitFor('ADDED, MODIFIED (nginx:2) and DELETED events', () => {
      const types = events.map((e) => e.type);
      return types.includes('ADDED') &&
        events.some((e) => e.type === 'MODIFIED' && e.image === 'nginx:2') &&
        types.includes('DELETED')
        ? true
        : undefined;
    });
    abort.abort();
    const gone = await apps.readNamespacedDeployment({ name: 'web', namespace: ns }).catch((e) => e);
    expect((gone as ApiException<unknown>).code).toBe(404);
  });
});
