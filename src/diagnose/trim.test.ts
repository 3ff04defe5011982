import { describe, expect, test } from 'vitest';
import { type DeploymentLike, type PodLike, trimDeployment, trimPod } from './trim.js';
import type { DeploymentView, PodView } from './types.js';

const at = (s: string) => Date.parse(s);

/** A crash-looping pod as the API server returns it, with fields diagnosis never reads. */
function livePod(time: (s: string) => Date | string): PodLike & Record<string, unknown> {
  return {
    metadata: {
      name: 'llama-7d9f-abcde',
      creationTimestamp: time('2026-11-30T12:00:00Z'),
      // Not part of PodLike: trimPod must drop what it does not name.
      ...{ labels: { app: 'llama' }, managedFields: [{ manager: 'kube-controller-manager' }] },
    },
    spec: {
      initContainers: [{ name: 'model-sync', image: 'amazon/aws-cli:2' }],
      containers: [{ name: 'inference', image: 'vllm/vllm-openai:v0.9.0' }],
      ...{ nodeName: 'sim-nvidia-spot-1', tolerations: [] },
    },
    status: {
      phase: 'Running',
      startTime: time('2026-11-30T12:00:01Z'),
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: time('2026-11-30T12:00:00Z') },
        {
          type: 'Ready',
          status: 'False',
          reason: 'ContainersNotReady',
          message: 'containers with unready status: [inference]',
          lastTransitionTime: time('2026-11-30T12:00:02Z'),
        },
      ],
      initContainerStatuses: [
        {
          name: 'model-sync',
          ready: true,
          restartCount: 0,
          state: {
            terminated: { exitCode: 0, reason: 'Completed', finishedAt: time('2026-11-30T12:00:02Z') },
          },
        },
      ],
      containerStatuses: [
        {
          name: 'inference',
          ready: false,
          restartCount: 4,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' },
          },
          lastState: {
            terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: time('2026-11-30T12:03:00Z') },
          },
          ...{ imageID: 'docker.io/vllm/vllm-openai@sha256:abc', containerID: 'containerd://1' },
        },
      ],
      ...{ hostIP: '10.0.0.1', podIPs: [{ ip: '10.244.0.5' }], qosClass: 'Burstable' },
    },
  };
}

const expected: PodView = {
  name: 'llama-7d9f-abcde',
  created: at('2026-11-30T12:00:00Z'),
  deleting: false,
  phase: 'Running',
  startTime: at('2026-11-30T12:00:01Z'),
  conditions: [
    { type: 'PodScheduled', status: 'True', since: at('2026-11-30T12:00:00Z') },
    {
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [inference]',
      since: at('2026-11-30T12:00:02Z'),
    },
  ],
  initContainers: [
    {
      name: 'model-sync',
      image: 'amazon/aws-cli:2',
      ready: true,
      restartCount: 0,
      state: { kind: 'terminated', exitCode: 0, reason: 'Completed', finishedAt: at('2026-11-30T12:00:02Z') },
    },
  ],
  containers: [
    {
      name: 'inference',
      image: 'vllm/vllm-openai:v0.9.0',
      ready: false,
      restartCount: 4,
      state: {
        kind: 'waiting',
        reason: 'CrashLoopBackOff',
        message: 'back-off 40s restarting failed container',
      },
      lastTerminated: {
        kind: 'terminated',
        exitCode: 137,
        reason: 'OOMKilled',
        finishedAt: at('2026-11-30T12:03:00Z'),
      },
    },
  ],
};

describe('trimPod', () => {
  test.each([
    ['typed API answers (Date)', (s: string) => new Date(s)],
    ['informer items (raw JSON strings)', (s: string) => s],
  ])('keeps only the fields diagnosis reads, when given %s', (_what, time) => {
    expect(trimPod(livePod(time))).toEqual(expected);
  });

  test('is much smaller than the pod it comes from', () => {
    const pod = livePod((s) => s);
    expect(JSON.stringify(trimPod(pod)).length).toBeLessThan(JSON.stringify(pod).length);
    expect(JSON.stringify(trimPod(pod))).not.toMatch(
      /imageID|managedFields|hostIP|PodReadyToStartContainers/,
    );
  });

  test.each<[string, PodLike, Partial<PodView>]>([
    [
      'a pod the scheduler has not seen yet',
      {
        metadata: { name: 'p', creationTimestamp: '2026-11-30T12:00:00Z' },
        spec: { containers: [{ name: 'x' }] },
      },
      {
        phase: undefined,
        conditions: [],
        containers: [{ name: 'x', image: '', ready: false, restartCount: 0 }],
      },
    ],
    [
      'a pod being deleted',
      {
        metadata: {
          name: 'p',
          creationTimestamp: '2026-11-30T12:00:00Z',
          deletionTimestamp: '2026-11-30T12:01:00Z',
        },
        spec: { containers: [] },
      },
      { deleting: true },
    ],
    [
      'a running container',
      {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'x', image: 'i' }] },
        status: {
          containerStatuses: [
            {
              name: 'x',
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: '2026-11-30T12:00:00Z' } },
            },
          ],
        },
      },
      {
        created: 0,
        containers: [
          {
            name: 'x',
            image: 'i',
            ready: true,
            restartCount: 0,
            state: { kind: 'running', startedAt: at('2026-11-30T12:00:00Z') },
          },
        ],
      },
    ],
  ])('trims %s', (_what, pod, fields) => {
    const view = trimPod(pod);
    expect(view).toMatchObject(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
    for (const [k, v] of Object.entries(fields)) if (v === undefined) expect(view).not.toHaveProperty(k);
  });
});

describe('trimDeployment', () => {
  test.each<[string, DeploymentLike, DeploymentView]>([
    [
      'a Deployment short of replicas, keeping only Progressing and ReplicaFailure',
      {
        spec: { replicas: 3 },
        status: {
          replicas: 2,
          availableReplicas: 1,
          conditions: [
            { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
            {
              type: 'ReplicaFailure',
              status: 'True',
              reason: 'FailedCreate',
              message: 'exceeded quota',
              lastTransitionTime: '2026-11-30T12:00:00Z',
            },
            { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
          ],
        },
      },
      {
        desired: 3,
        replicas: 2,
        available: 1,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'exceeded quota',
            since: at('2026-11-30T12:00:00Z'),
          },
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
        ],
      },
    ],
    [
      'a Deployment the controller has not seen yet',
      {},
      { desired: 1, replicas: 0, available: 0, conditions: [] },
    ],
  ])('trims %s', (_what, d, view) => {
    expect(trimDeployment(d)).toEqual(view);
  });
});
