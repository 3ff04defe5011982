import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { diagnose, trimPod } from '../diagnose/index.js';
import {
  type Behaviour,
  behaviourOf,
  disruptedStatus,
  disruptionOf,
  nextStepIn,
  startedStatus,
  steppedStatus,
} from './simulated-kubelet.js';

const T0 = new Date('2026-11-30T12:00:00Z');
const later = (s: number) => new Date(T0.getTime() + s * 1000);
const IPS = { hostIP: '10.250.0.1', podIP: '10.244.0.2' };
const TIMING = { backoffMs: 2000, backoffCapMs: 30_000 };

function pod(image: string, syncArgs?: string[]): V1Pod {
  return {
    metadata: { name: 'llama-1', namespace: 'ns', uid: 'u1', creationTimestamp: T0 },
    spec: {
      nodeName: 'sim-cpu-1',
      ...(syncArgs
        ? { initContainers: [{ name: 'model-sync', image: 'amazon/aws-cli:2', args: syncArgs }] }
        : {}),
      containers: [{ name: 'inference', image }],
    },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }],
    },
  };
}

const withStatus = (p: V1Pod, status: V1PodStatus | undefined): V1Pod => ({
  ...p,
  status: status ?? p.status,
});
const cond = (s: V1PodStatus, type: string) => s.conditions?.find((c) => c.type === type);
const main = (s: V1PodStatus) => s.containerStatuses![0]!;

describe('behaviourOf', () => {
  test.each<[string, Pick<V1Container, 'image' | 'command' | 'args'>, Behaviour]>([
    ['a plain image', { image: 'vllm/vllm-openai:v0.9.0' }, 'run'],
    ['a marker as the tag', { image: 'example/vllm:simulate-crashloop' }, 'crashloop'],
    ['a marker as the name', { image: 'registry.local:5000/simulate-oom:1' }, 'oom'],
    [
      'a marker in the args (a model source)',
      { image: 'amazon/aws-cli:2', args: ['s3://m/simulate-hang/x'] },
      'hang',
    ],
    ['the older never-ready marker', { image: 'example/never-ready:1' }, 'never-ready'],
    ['a pull failure', { image: 'example/x:simulate-pull-fail' }, 'pull-fail'],
    ['an eviction', { image: 'example/x:simulate-evict' }, 'evict'],
    ['a spot interruption', { image: 'example/x:simulate-spot-interruption' }, 'spot-interruption'],
    ['a word that only contains a marker', { image: 'example/not-simulate-oomish:1' }, 'run'],
    ['an upper-case repository', { image: 'Example/Vllm:1' }, 'invalid-image'],
    ['an empty reference', { image: '' }, 'invalid-image'],
    ['an upper-case registry host', { image: 'Registry.Example.com/vllm/vllm-openai:v1' }, 'run'],
    ['a digest', { image: `vllm/vllm-openai@sha256:${'a'.repeat(64)}` }, 'run'],
  ])('reads %s', (_what, container, behaviour) => {
    expect(behaviourOf(container)).toBe(behaviour);
  });
});

describe('a started pod', () => {
  test('runs and is ready with no marker, keeping the scheduler’s condition', () => {
    const s = startedStatus(pod('vllm/vllm-openai:v0.9.0', ['s3://m/llama']), T0, IPS);
    expect(s.phase).toBe('Running');
    expect(s.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'PodScheduled=True',
      'Initialized=True',
      'ContainersReady=True',
      'Ready=True',
    ]);
    expect(s.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(main(s)).toMatchObject({ ready: true, state: { running: { startedAt: T0 } } });
    expect(s).toMatchObject({ ...IPS, startTime: T0 });
  });

  test.each<[string, string, string | undefined, Partial<V1PodStatus>]>([
    [
      'waits in ErrImagePull',
      'example/x:simulate-pull-fail',
      undefined,
      {
        phase: 'Pending',
        containerStatuses: [
          expect.objectContaining({
            state: { waiting: expect.objectContaining({ reason: 'ErrImagePull' }) },
          }),
        ],
      },
    ],
    [
      'waits in InvalidImageName with the kubelet’s words',
      'Example/X:1',
      undefined,
      {
        phase: 'Pending',
        containerStatuses: [
          expect.objectContaining({
            state: {
              waiting: {
                reason: 'InvalidImageName',
                message:
                  'Failed to apply default image tag "Example/X:1": couldn\'t parse image reference "Example/X:1": invalid reference format',
              },
            },
          }),
        ],
      },
    ],
    [
      'has exited with code 1',
      'example/x:simulate-crashloop',
      undefined,
      {
        phase: 'Running',
        containerStatuses: [
          expect.objectContaining({
            restartCount: 0,
            state: { terminated: expect.objectContaining({ exitCode: 1, reason: 'Error' }) },
          }),
        ],
      },
    ],
    [
      'has been OOMKilled',
      'example/x:simulate-oom',
      undefined,
      {
        containerStatuses: [
          expect.objectContaining({
            state: { terminated: expect.objectContaining({ exitCode: 137, reason: 'OOMKilled' }) },
          }),
        ],
      },
    ],
    [
      'runs unready',
      'example/x:simulate-never-ready',
      undefined,
      { phase: 'Running', containerStatuses: [expect.objectContaining({ ready: false, started: true })] },
    ],
    [
      'is initializing while the model sync runs',
      'example/x:1',
      's3://m/simulate-hang/llama',
      {
        phase: 'Pending',
        initContainerStatuses: [expect.objectContaining({ state: { running: { startedAt: T0 } } })],
        containerStatuses: [expect.objectContaining({ state: { waiting: { reason: 'PodInitializing' } } })],
      },
    ],
    [
      'is initializing after the model sync failed',
      'example/x:1',
      's3://m/simulate-crashloop/llama',
      {
        phase: 'Pending',
        initContainerStatuses: [
          expect.objectContaining({ state: { terminated: expect.objectContaining({ exitCode: 1 }) } }),
        ],
        containerStatuses: [expect.objectContaining({ state: { waiting: { reason: 'PodInitializing' } } })],
      },
    ],
  ])('%s, when marked %s %s', (_what, image, source, expected) => {
    expect(startedStatus(pod(image, source ? [source] : undefined), T0, IPS)).toMatchObject(expected);
  });

  test('names the unready containers in its conditions', () => {
    const s = startedStatus(pod('example/x:simulate-never-ready'), T0, IPS);
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [inference]',
    });
    const init = startedStatus(pod('example/x:1', ['s3://m/simulate-hang/x']), T0, IPS);
    expect(cond(init, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [model-sync]',
    });
  });
});

describe('steps', () => {
  test('a crash loop climbs one restart per step, with CrashLoopBackOff and the last exit', () => {
    let p = withStatus(pod('example/x:simulate-oom'), startedStatus(pod('example/x:simulate-oom'), T0, IPS));
    const readySince = cond(p.status!, 'Ready')?.lastTransitionTime;
    for (let i = 1; i <= 3; i++) {
      p = withStatus(p, steppedStatus(p, later(i * 10), TIMING));
      expect(main(p.status!)).toMatchObject({
        restartCount: i,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${2 ** (i + 1)}s restarting failed container=inference pod=llama-1_ns(u1)`,
          },
        },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: later(i * 10) } },
      });
    }
    // The Ready condition does not move while the pod stays unready: "since" stays put.
    expect(cond(p.status!, 'Ready')?.lastTransitionTime).toBe(readySince);
  });

  test('the back-off doubles up to its cap', () => {
    let p = withStatus(
      pod('example/x:simulate-crashloop'),
      startedStatus(pod('example/x:simulate-crashloop'), T0, IPS),
    );
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(nextStepIn(p, TIMING));
      p = withStatus(p, steppedStatus(p, later(i), TIMING));
    }
    expect(delays).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  test('a pull failure moves to ImagePullBackOff once, then stays', () => {
    let p = withStatus(
      pod('example/x:simulate-pull-fail'),
      startedStatus(pod('example/x:simulate-pull-fail'), T0, IPS),
    );
    expect(nextStepIn(p, TIMING)).toBe(2000);
    p = withStatus(p, steppedStatus(p, later(2), TIMING));
    expect(main(p.status!).state?.waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "example/x:simulate-pull-fail"',
    });
    expect(nextStepIn(p, TIMING)).toBeUndefined();
    expect(steppedStatus(p, later(4), TIMING)).toBeUndefined();
  });

  test('a failing model sync restarts while the serving container waits', () => {
    const fresh = pod('example/x:1', ['s3://m/simulate-crashloop/x']);
    let p = withStatus(fresh, startedStatus(fresh, T0, IPS));
    p = withStatus(p, steppedStatus(p, later(2), TIMING));
    expect(p.status?.initContainerStatuses?.[0]).toMatchObject({
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(main(p.status!).state?.waiting?.reason).toBe('PodInitializing');
    expect(p.status?.phase).toBe('Pending');
  });

  test.each(['vllm/vllm-openai:v0.9.0', 'example/x:simulate-never-ready', 'example/x:simulate-evict'])(
    'nothing moves on its own, when the image is %s',
    (image) => {
      const p = withStatus(pod(image), startedStatus(pod(image), T0, IPS));
      expect(nextStepIn(p, TIMING)).toBeUndefined();
      expect(steppedStatus(p, later(60), TIMING)).toBeUndefined();
    },
  );
});

describe('disruptions', () => {
  test.each<['evict' | 'spot-interruption', string, string]>([
    ['evict', 'Evicted', 'The node was low on resource: memory.'],
    ['spot-interruption', 'Terminated', 'Pod was terminated in response to imminent node shutdown.'],
  ])('%s fails the pod with reason %s and a DisruptionTarget condition', (kind, reason, message) => {
    const fresh = pod(`example/x:simulate-${kind}`);
    expect(disruptionOf(fresh)).toBe(kind);
    const p = withStatus(fresh, startedStatus(fresh, T0, IPS));
    const s = disruptedStatus(p, kind, later(5));
    expect(s).toMatchObject({ phase: 'Failed', reason, message: expect.stringContaining(message) });
    expect(cond(s, 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet' });
    expect(main(s)).toMatchObject({ ready: false, state: { terminated: { exitCode: 137 } } });
  });

  test('no disruption without a marker', () => {
    expect(disruptionOf(pod('vllm/vllm-openai:v0.9.0'))).toBeUndefined();
  });
});

describe('what diagnosis makes of it', () => {
  const track = (p: V1Pod, image: string) => ({
    pods: [trimPod(p)],
    image,
    probe: { path: '/health', port: 8000 },
  });
  test.each<[string, string, string | undefined, number, string]>([
    ['example/x:simulate-oom', 'example/x:simulate-oom', undefined, 3, 'CrashLooping terminal'],
    ['example/x:simulate-pull-fail', 'example/x:simulate-pull-fail', undefined, 1, 'ImagePullFailed waiting'],
    ['Example/X:1', 'Example/X:1', undefined, 0, 'ImagePullFailed terminal'],
    ['a failing model sync', 'example/x:1', 's3://m/simulate-crashloop/x', 1, 'ModelSyncFailed terminal'],
  ])('%s is diagnosed as expected', (_what, image, source, steps, expected) => {
    const fresh = pod(image, source ? [source] : undefined);
    let p = withStatus(fresh, startedStatus(fresh, T0, IPS));
    for (let i = 1; i <= steps; i++) p = withStatus(p, steppedStatus(p, later(i), TIMING));
    const causes = diagnose({ primary: track(p, image), now: later(10).getTime() });
    expect(causes.map((c) => `${c.reason} ${c.severity}`)).toEqual([expected]);
  });
});
