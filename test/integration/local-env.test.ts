import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment, VersionApi } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { down, type LocalEnv, up } from '../../src/local/env.js';
import { isAlive } from '../../src/local/processes.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';

const handle = useLocalEnv({ regions: ['sim-1'], nodes: true });

function clients(env: LocalEnv) {
  const kc = new KubeConfig();
  kc.loadFromFile(env.regions['sim-1']!.kubeconfig);
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    version: kc.makeApiClient(VersionApi),
  };
}

function gpuDeployment(name: string, replicas: number, image: string): V1Deployment {
  return {
    metadata: { name, namespace: 'gco-inference' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
          nodeSelector: {
            'eks.amazonaws.com/instance-gpu-manufacturer': 'nvidia',
            'karpenter.sh/capacity-type': 'spot',
          },
          volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'efs-claim' } }],
          containers: [
            {
              name: 'inference',
              image,
              resources: { requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } },
              volumeMounts: [{ name: 'models', mountPath: '/models' }],
            },
          ],
        },
      },
    },
  };
}

describe('local environment with simulated GPU nodes', () => {
  test('the API server reports the Kubernetes release hack/k8s pins, as a release build does', async () => {
    const goMod = readFileSync(join(import.meta.dirname, '..', '..', 'hack', 'k8s', 'go.mod'), 'utf8');
    const pinned = /^require k8s\.io\/kubernetes (v(\d+)\.(\d+)\.\d+)$/m.exec(goMod);
    expect(pinned).not.toBeNull();
    const info = await clients(handle.env).version.getCode();
    expect(info).toMatchObject({ gitVersion: pinned![1], major: pinned![2], minor: pinned![3] });
    expect(info.gitTreeState).toBe('archive');
  });

  test('schedules GPU pods onto simulated nodes and reports them ready', async () => {
    const { apps, core } = clients(handle.env);
    // `up` prepares each region the way infrastructure prepares a production cluster.
    await core.readNamespace({ name: 'gco-inference' });
    await core.readNamespacedServiceAccount({ name: 'gco-service-account', namespace: 'gco-inference' });
    await core.readNamespacedPersistentVolumeClaim({ name: 'efs-claim', namespace: 'gco-inference' });
    await apps.createNamespacedDeployment({
      namespace: 'gco-inference',
      body: gpuDeployment('llm', 2, 'vllm/vllm-openai:v0.9.0'),
    });

    const ready = await waitFor(
      'both replicas of llm to be ready',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'llm', namespace: 'gco-inference' });
        return d.status?.readyReplicas === 2 ? d : undefined;
      },
      90_000,
    );
    expect(ready.status?.availableReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace: 'gco-inference', labelSelector: 'app=llm' });
    // The node selector asks for NVIDIA spot capacity; the real scheduler must have honoured it.
    for (const pod of pods.items) expect(pod.spec?.nodeName).toMatch(/^sim-nvidia-spot-\d+$/);
    expect(pods.items).toHaveLength(2);
  });

  test('scaling to zero removes the pods (graceful deletion is completed)', async () => {
    const { apps, core } = clients(handle.env);
    const d = await apps.readNamespacedDeployment({ name: 'llm', namespace: 'gco-inference' });
    d.spec!.replicas = 0;
    await apps.replaceNamespacedDeployment({ name: 'llm', namespace: 'gco-inference', body: d });
    await waitFor(
      'the pods of llm to be gone',
      async () => {
        const pods = await core.listNamespacedPod({ namespace: 'gco-inference', labelSelector: 'app=llm' });
        return pods.items.length === 0 ? true : undefined;
      },
      60_000,
    );
  });

  test('pods of a never-ready image stay unready', async () => {
    const { apps } = clients(handle.env);
    await apps.createNamespacedDeployment({
      namespace: 'gco-inference',
      body: gpuDeployment('broken', 1, 'example/never-ready:1'),
    });
    const d = await waitFor(
      'the pod of broken to exist, unready',
      async () => {
        const dep = await apps.readNamespacedDeployment({ name: 'broken', namespace: 'gco-inference' });
        return (dep.status?.replicas ?? 0) === 1 && (dep.status?.unavailableReplicas ?? 0) === 1
          ? dep
          : undefined;
      },
      60_000,
    );
    expect(d.status?.readyReplicas ?? 0).toBe(0);
  });

  test('up twice in one directory leaves no stray processes', async () => {
    const dir = join(handle.dir, 'twice');
    const first = await up({ regions: [], dir, nodes: false });
    const firstPids = (
      JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { processes: { pid: number }[] }
    ).processes.map((p) => p.pid);
    expect(first.env.dynamodb.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await up({ regions: [], dir, nodes: false });
    for (const pid of firstPids) expect(isAlive(pid)).toBe(false);
    await down(dir);
  });
});
