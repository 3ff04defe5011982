// The simulated kubelet and the real scheduler and controllers produce, through a real API server,
// the pod and Deployment status a cluster shows for each cause, and diagnosis reads it back.
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  SchedulingV1Api,
  setHeaderOptions,
  type V1Container,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import {
  type Cause,
  diagnose,
  type Thresholds,
  type TrackInput,
  trimDeployment,
  trimPod,
} from '../../src/diagnose/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';

const handle = useLocalEnv({ regions: ['sim-1'], nodes: true });
const NS = 'gco-inference';

function clients() {
  const kc = new KubeConfig();
  kc.loadFromFile(handle.env.regions['sim-1']!.kubeconfig);
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    scheduling: kc.makeApiClient(SchedulingV1Api),
  };
}

const inference = (image: string): V1Container => ({ name: 'inference', image });
const modelSync = (source: string): V1Container => ({
  name: 'model-sync',
  image: 'amazon/aws-cli:2.17.0',
  command: ['aws', 's3', 'sync', source, '/models/llama'],
});

async function createPod(
  name: string,
  spec: Partial<V1Pod['spec']> & { containers: V1Container[] },
  meta = {},
) {
  await clients().core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name, labels: { app: name }, ...meta },
      spec: { terminationGracePeriodSeconds: 0, ...spec },
    },
  });
}

/** Polls the live pod until `ready` holds for it, and returns it. */
const podWhen = (name: string, ready: (pod: V1Pod) => boolean, what: string) =>
  waitFor(
    `${name}: ${what}`,
    async () => {
      const pod = await clients().core.readNamespacedPod({ name, namespace: NS });
      return ready(pod) ? pod : undefined;
    },
    60_000,
  );

const track = (pods: V1Pod[], image: string, deployment?: V1Deployment): TrackInput => ({
  pods: pods.map(trimPod),
  image,
  probe: { path: '/health', port: 8000 },
  ...(deployment ? { deployment: trimDeployment(deployment) } : {}),
});

const causesOf = (input: TrackInput, thresholds: Partial<Thresholds> = {}): Cause[] =>
  diagnose({ primary: input, now: Date.now(), thresholds });

const main = (pod: V1Pod) => pod.status?.containerStatuses?.[0];
const condition = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type);

describe('each cause, as the cluster shows it', () => {
  test('Unschedulable: the real scheduler says why no node fits', async () => {
    const image = 'vllm/vllm-openai:v0.9.0';
    await createPod('nogpu', {
      nodeSelector: { 'example.com/pool': 'h200' },
      containers: [{ ...inference(image), resources: { limits: { 'nvidia.com/gpu': '8' } } }],
    });
    const pod = await podWhen(
      'nogpu',
      (p) => condition(p, 'PodScheduled')?.reason === 'Unschedulable',
      'unschedulable',
    );
    expect(pod.status?.phase).toBe('Pending');
    const [cause, ...rest] = causesOf(track([pod], image));
    expect(rest).toEqual([]);
    expect(cause).toMatchObject({ reason: 'Unschedulable', severity: 'waiting', pods: 1 });
    expect(cause?.message).toMatch(
      /^0\/\d+ nodes are available: .*node\(s\) didn't match Pod's node affinity\/selector/,
    );
  });

  test('ImagePullFailed: ErrImagePull, then ImagePullBackOff, naming the image', async () => {
    const image = 'example/vllm:simulate-pull-fail';
    await createPod('pull', { containers: [inference(image)] });
    const pod = await podWhen(
      'pull',
      (p) => main(p)?.state?.waiting?.reason === 'ImagePullBackOff',
      'back-off',
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(main(pod)?.state?.waiting?.message).toBe(`Back-off pulling image "${image}"`);
    expect(causesOf(track([pod], image))).toMatchObject([
      {
        reason: 'ImagePullFailed',
        severity: 'waiting',
        details: { image, waitingReason: 'ImagePullBackOff' },
      },
    ]);
    expect(causesOf(track([pod], image), { imagePullMs: 0 })).toMatchObject([{ severity: 'terminal' }]);
  });

  test('ImagePullFailed: an image reference the kubelet cannot parse is terminal at once', async () => {
    const image = 'Example/Vllm:v1';
    await createPod('badref', { containers: [inference(image)] });
    const pod = await podWhen(
      'badref',
      (p) => main(p)?.state?.waiting?.reason === 'InvalidImageName',
      'invalid',
    );
    expect(causesOf(track([pod], image))).toMatchObject([
      {
        reason: 'ImagePullFailed',
        severity: 'terminal',
        message: expect.stringContaining('invalid reference format'),
      },
    ]);
  });

  test('CrashLooping: the restart count climbs with CrashLoopBackOff and the last exit; terminal at 3', async () => {
    const image = 'example/vllm:simulate-crashloop';
    await createPod('crash', { containers: [inference(image)] });
    const early = await podWhen('crash', (p) => (main(p)?.restartCount ?? 0) >= 1, 'first restart');
    expect(main(early)).toMatchObject({
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(early.status?.phase).toBe('Running');
    expect(causesOf(track([early], image))).toMatchObject([{ reason: 'CrashLooping', severity: 'waiting' }]);
    const late = await podWhen('crash', (p) => (main(p)?.restartCount ?? 0) >= 3, 'third restart');
    expect(causesOf(track([late], image))).toMatchObject([
      { reason: 'CrashLooping', severity: 'terminal', details: { exitCode: 1, lastReason: 'Error' } },
    ]);
  });

  test('CrashLooping: an OOM kill is named as such', async () => {
    const image = 'example/vllm:simulate-oom';
    await createPod('oom', { containers: [inference(image)] });
    const pod = await podWhen('oom', (p) => (main(p)?.restartCount ?? 0) >= 1, 'first restart');
    expect(main(pod)?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(causesOf(track([pod], image))).toMatchObject([
      {
        reason: 'CrashLooping',
        message: expect.stringMatching(/^container "inference" was OOMKilled \(exit code 137\)/),
      },
    ]);
  });

  test('ModelSyncFailed: the model-sync init container fails and the serving container waits', async () => {
    const image = 'vllm/vllm-openai:v0.9.0';
    await createPod('syncfail', {
      initContainers: [modelSync('s3://models/simulate-crashloop/llama')],
      containers: [inference(image)],
    });
    const pod = await podWhen(
      'syncfail',
      (p) => (p.status?.initContainerStatuses?.[0]?.restartCount ?? 0) >= 1,
      'model-sync restarted',
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(condition(pod, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
    });
    expect(main(pod)?.state?.waiting?.reason).toBe('PodInitializing');
    expect(causesOf(track([pod], image))).toMatchObject([
      { reason: 'ModelSyncFailed', severity: 'terminal', details: { container: 'model-sync', exitCode: 1 } },
    ]);
  });

  test('ModelSyncFailed: a model sync that never finishes is reported as stuck', async () => {
    const image = 'vllm/vllm-openai:v0.9.0';
    await createPod('synchang', {
      initContainers: [modelSync('s3://models/simulate-hang/llama')],
      containers: [inference(image)],
    });
    const pod = await podWhen(
      'synchang',
      (p) => p.status?.initContainerStatuses?.[0]?.state?.running !== undefined,
      'model-sync running',
    );
    expect(causesOf(track([pod], image))).toEqual([]);
    expect(causesOf(track([pod], image), { modelSyncStuckMs: 0 })).toMatchObject([
      { reason: 'ModelSyncFailed', severity: 'waiting', details: { container: 'model-sync' } },
    ]);
  });

  test('ProbeFailing: running but never ready, naming the probe', async () => {
    const image = 'example/vllm:simulate-never-ready';
    await createPod('unready', { containers: [inference(image)] });
    const pod = await podWhen('unready', (p) => main(p)?.state?.running !== undefined, 'running');
    expect(condition(pod, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(causesOf(track([pod], image), { probeGraceMs: 0 })).toMatchObject([
      {
        reason: 'ProbeFailing',
        severity: 'waiting',
        message: expect.stringContaining('readiness probe GET /health on port 8000'),
      },
    ]);
  });

  test.each([
    ['simulate-evict', 'Evicted', 'The node was low on resource: memory.'],
    ['simulate-spot-interruption', 'Terminated', 'Pod was terminated in response to imminent node shutdown.'],
  ])('Evicted: %s runs ready, then the pod fails with reason %s', async (marker, reason, message) => {
    const image = `example/vllm:${marker}`;
    const name = marker.replace('simulate-', '');
    await createPod(name, { containers: [inference(image)] });
    await podWhen(name, (p) => condition(p, 'Ready')?.status === 'True', 'ready first');
    const pod = await podWhen(name, (p) => p.status?.phase === 'Failed', 'failed');
    expect(pod.status).toMatchObject({ reason, message: expect.stringContaining(message) });
    expect(condition(pod, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'TerminationByKubelet',
    });
    expect(causesOf(track([pod], image))).toMatchObject([
      { reason: 'Evicted', severity: 'waiting', message: expect.stringContaining(message) },
    ]);
  });

  test('Preempted: the real scheduler evicts a lower-priority pod for a higher one', async () => {
    const { core, scheduling } = clients();
    for (const [name, value] of [
      ['diag-low', 1],
      ['diag-high', 1_000_000],
    ] as const) {
      await scheduling.createPriorityClass({ body: { metadata: { name }, value } });
    }
    const image = 'vllm/vllm-openai:v0.9.0';
    const onCpuNode = (priorityClassName: string) => ({
      priorityClassName,
      nodeSelector: { 'kubernetes.io/hostname': 'sim-cpu-1' },
      containers: [{ ...inference(image), resources: { requests: { cpu: '150' } } }],
    });
    // The finalizer keeps the preempted pod readable after the scheduler deletes it.
    await createPod('low', onCpuNode('diag-low'), { finalizers: ['example.com/hold'] });
    await podWhen('low', (p) => condition(p, 'Ready')?.status === 'True', 'low running');
    await createPod('high', onCpuNode('diag-high'));
    // The scheduler marks the victim with DisruptionTarget, then deletes it (asynchronously).
    const pod = await podWhen(
      'low',
      (p) =>
        condition(p, 'DisruptionTarget')?.status === 'True' && p.metadata?.deletionTimestamp !== undefined,
      'preempted and deleted',
    );
    expect(causesOf(track([pod], image))).toMatchObject([
      {
        reason: 'Preempted',
        severity: 'waiting',
        message: condition(pod, 'DisruptionTarget')?.message,
        details: { disruption: 'PreemptionByScheduler' },
      },
    ]);
    expect(condition(pod, 'DisruptionTarget')?.message).toMatch(
      /preempting to accommodate a higher priority pod/,
    );
    await core.patchNamespacedPod(
      { name: 'low', namespace: NS, body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  });
});

describe('Deployment-level causes, from the real controllers', () => {
  const deployment = (
    name: string,
    image: string,
    extra: Partial<V1Deployment['spec']> = {},
  ): V1Deployment => ({
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [inference(image)] } },
      ...extra,
    },
  });

  const deploymentWhen = (
    namespace: string,
    name: string,
    ready: (d: V1Deployment) => boolean,
    what: string,
  ) =>
    waitFor(
      `${name}: ${what}`,
      async () => {
        const d = await clients().apps.readNamespacedDeployment({ name, namespace });
        return ready(d) ? d : undefined;
      },
      60_000,
    );

  test('CreateFailed: a quota stops the ReplicaSet, with the API’s message', async () => {
    const { core, apps } = clients();
    const namespace = 'quota-test';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } },
    });
    // Admission reads the quota's status; wait for the quota controller to fill it in.
    await waitFor(
      'condition',
      async () => {
        const q = await core.readNamespacedResourceQuota({ name: 'no-pods', namespace });
        return q.status?.hard ? true : undefined;
      },
      30_000,
    );
    const image = 'vllm/vllm-openai:v0.9.0';
    await apps.createNamespacedDeployment({ namespace, body: deployment('capped', image) });
    const d = await deploymentWhen(
      namespace,
      'capped',
      (x) => x.status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.status === 'True') ?? false,
      'ReplicaFailure',
    );
    const causes = causesOf(track([], image, d));
    expect(causes).toMatchObject([
      {
        reason: 'CreateFailed',
        severity: 'waiting',
        pods: 1,
        message: expect.stringMatching(/is forbidden: exceeded quota: no-pods/),
        details: { kind: 'quota' },
      },
    ]);
    expect(causesOf(track([], image, d), { quotaMs: 0 })).toMatchObject([{ severity: 'terminal' }]);
  });

  test('Evicted: a spot interruption explains the missing replica until the replacement is available', async () => {
    const { apps, core } = clients();
    const image = 'example/vllm:simulate-spot-interruption';
    // minReadySeconds holds the replacement unavailable for a while, so the gap can be observed.
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('spot', image, { minReadySeconds: 10 }),
    });
    const listed = async () =>
      (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=spot' })).items;
    const interrupted = await waitFor(
      'interrupted, replacement not yet available',
      async () => {
        const pods = await listed();
        const d = await apps.readNamespacedDeployment({ name: 'spot', namespace: NS });
        const failed = pods.some((p) => p.status?.phase === 'Failed');
        return failed && (d.status?.availableReplicas ?? 0) === 0 ? { pods, d } : undefined;
      },
      60_000,
    );
    expect(causesOf(track(interrupted.pods, image, interrupted.d))).toMatchObject([
      {
        reason: 'Evicted',
        severity: 'waiting',
        message: 'Pod was terminated in response to imminent node shutdown.',
      },
    ]);
    // The ReplicaSet replaces the pod; a spot node is reclaimed once, so the replacement runs.
    const d = await deploymentWhen(
      NS,
      'spot',
      (x) => x.status?.availableReplicas === 1,
      'replacement available',
    );
    const pods = await listed();
    expect(pods.map((p) => p.status?.phase).sort()).toEqual(['Failed', 'Running']);
    expect(causesOf(track(pods, image, d))).toEqual([]);
  });

  test('ProgressDeadlineExceeded: the Deployment controller gives up, and the cause holding it back turns terminal', async () => {
    const { apps, core } = clients();
    const image = 'example/vllm:simulate-never-ready';
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('stalled', image, { progressDeadlineSeconds: 1 }),
    });
    const d = await deploymentWhen(
      NS,
      'stalled',
      (x) => x.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') ?? false,
      'progress deadline',
    );
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=stalled' });
    const causes = causesOf(track(pods.items, image, d), { probeGraceMs: 0 });
    expect(causes.map((c) => `${c.reason} ${c.severity} ${c.pods}`)).toEqual([
      'ProbeFailing terminal 1',
      'ProgressDeadlineExceeded terminal 1',
    ]);
    expect(causes[1]?.message).toMatch(/^ReplicaSet "stalled-[a-z0-9]+" has timed out progressing\.$/);
  });
});
