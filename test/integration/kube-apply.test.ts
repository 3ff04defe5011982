// The apply/delete executor against a real kube-apiserver.
import { AppsV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient, KubeExecutor, NotLeaderError } from '../../src/kube/index.js';
import { FIELD_MANAGER, type KubeObject } from '../../src/model/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { createNamespace, kubeConfigFor } from './kube-support.js';

const handle = useLocalEnv({ regions: ['test-1'] });
const ns = 'apply';

function deployment(name: string, opts: { image: string; replicas?: number; env?: string }): KubeObject {
  const labels = { app: name, 'app.kubernetes.io/managed-by': 'inferctl', 'gco.io/endpoint': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'inference',
              image: opts.image,
              ...(opts.env ? { env: [{ name: 'MODE', value: opts.env }] } : {}),
            },
          ],
        },
      },
    },
  };
}

const spec = (o: KubeObject | undefined) => (o?.spec ?? {}) as { replicas?: number };

describe('KubeExecutor', () => {
  let exec: KubeExecutor;
  let apps: AppsV1Api;
  beforeAll(async () => {
    const kc = kubeConfigFor(handle);
    await createNamespace(kc, ns);
    exec = new KubeExecutor(KubeClient.fromConfig(kc));
    apps = kc.makeApiClient(AppsV1Api);
  });

  it('reports created, then unchanged for the same object, then configured after a change', async () => {
    const first = await exec.apply(deployment('a', { image: 'vllm:1', replicas: 2 }));
    expect(first.outcome).toBe('created');
    expect(first.object?.metadata.managedFields).toEqual(
      expect.arrayContaining([expect.objectContaining({ manager: FIELD_MANAGER, operation: 'Apply' })]),
    );

    // Without a previous copy the executor reads once; with the cached copy it does not need to.
    expect((await exec.apply(deployment('a', { image: 'vllm:1', replicas: 2 }))).outcome).toBe('unchanged');
    expect(
      (await exec.apply(deployment('a', { image: 'vllm:1', replicas: 2 }), { previous: first.object }))
        .outcome,
    ).toBe('unchanged');

    const changed = await exec.apply(deployment('a', { image: 'vllm:1', replicas: 2, env: 'x' }), {
      previous: first.object,
    });
    expect(changed.outcome).toBe('configured');
    expect(changed.object?.metadata.resourceVersion).not.toBe(first.object?.metadata.resourceVersion);
  });

  it('dry-run apply reports what would happen and writes nothing', async () => {
    const before = await exec.read({ kind: 'Deployment', namespace: ns, name: 'a' });
    const same = await exec.dryRunApply(deployment('a', { image: 'vllm:1', replicas: 2, env: 'x' }));
    expect(same.outcome).toBe('unchanged');
    const would = await exec.dryRunApply(deployment('a', { image: 'vllm:2', replicas: 2, env: 'x' }));
    expect(would.outcome).toBe('configured');
    const fresh = await exec.dryRunApply(deployment('never', { image: 'vllm:2' }));
    expect(fresh.outcome).toBe('created');
    const after = await exec.read({ kind: 'Deployment', namespace: ns, name: 'a' });
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await exec.read({ kind: 'Deployment', namespace: ns, name: 'never' })).toBeUndefined();
  });

  it('never takes spec.replicas back from another manager (an HPA) when the object omits it', async () => {
    await exec.apply(deployment('scaled', { image: 'vllm:1', replicas: 1 }));
    // What the HPA controller does: an Update of the scale subresource under its own manager.
    // What the HPA controller does: an Update (PUT) of the scale subresource under its own manager.
    await apps.replaceNamespacedDeploymentScale({
      name: 'scaled',
      namespace: ns,
      fieldManager: 'horizontal-pod-autoscaler',
      body: { metadata: { name: 'scaled', namespace: ns }, spec: { replicas: 5 } },
    });
    const r = await exec.apply(deployment('scaled', { image: 'vllm:2' }));
    expect(r.outcome).toBe('configured');
    expect(spec(r.object).replicas).toBe(5);
    const again = await exec.apply(deployment('scaled', { image: 'vllm:3', env: 'y' }));
    expect(spec(again.object).replicas).toBe(5);
    const live = await apps.readNamespacedDeployment({ name: 'scaled', namespace: ns });
    expect(live.spec?.replicas).toBe(5);
    expect(live.spec?.template.spec?.containers[0]?.image).toBe('vllm:3');
  });

  it('takes back a field we render from a hand edit (force)', async () => {
    await exec.apply(deployment('edited', { image: 'vllm:1', replicas: 1 }));
    await apps.replaceNamespacedDeploymentScale({
      name: 'edited',
      namespace: ns,
      fieldManager: 'kubectl-edit',
      body: { metadata: { name: 'edited', namespace: ns }, spec: { replicas: 4 } },
    });
    const r = await exec.apply(deployment('edited', { image: 'vllm:1', replicas: 1 }));
    expect(r.outcome).toBe('configured');
    expect(spec(r.object).replicas).toBe(1);
  });

  it('deletes with background propagation and treats an absent object as deleted', async () => {
    await exec.apply(deployment('gone', { image: 'vllm:1' }));
    const d = await exec.delete({ kind: 'Deployment', namespace: ns, name: 'gone' });
    expect(d).toMatchObject({ outcome: 'deleted' });
    expect(d.alreadyAbsent).toBeUndefined();
    expect(await exec.read({ kind: 'Deployment', namespace: ns, name: 'gone' })).toBeUndefined();
    const again = await exec.delete({ kind: 'Deployment', namespace: ns, name: 'gone' });
    expect(again).toMatchObject({ outcome: 'deleted', alreadyAbsent: true });
  });

  it('raises typed errors with the status, reason and object', async () => {
    const bad = deployment('bad', { image: 'vllm:1' });
    const invalid = {
      ...bad,
      spec: { ...(bad.spec as object), selector: { matchLabels: { app: 'other' } } },
    };
    const err = await exec.apply(invalid).catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({
      statusCode: 422,
      reason: 'Invalid',
      ref: { kind: 'Deployment', namespace: ns, name: 'bad' },
    });
    expect(String(err.message)).toContain('Deployment/apply/bad');
  });

  it('refuses every write when the guard says this replica is not the leader', async () => {
    const guarded = new KubeExecutor(KubeClient.fromConfig(kubeConfigFor(handle)), (verb, ref) => {
      throw new NotLeaderError('me', verb, ref);
    });
    await expect(guarded.apply(deployment('x', { image: 'vllm:1' }))).rejects.toBeInstanceOf(NotLeaderError);
    await expect(guarded.delete({ kind: 'Deployment', namespace: ns, name: 'a' })).rejects.toBeInstanceOf(
      NotLeaderError,
    );
    expect(await exec.read({ kind: 'Deployment', namespace: ns, name: 'x' })).toBeUndefined();
  });
});
