import { describe, expect, test } from 'vitest';
import { diagnose, diagnoseUntil } from './diagnose.js';
import type {
  Cause,
  ConditionView,
  ContainerView,
  DeploymentView,
  DiagnoseInput,
  PodView,
  TrackInput,
} from './types.js';

const T0 = Date.parse('2026-11-30T12:00:00Z');
const sec = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(sec(s)).toISOString();
const IMAGE = 'vllm/vllm-openai:v0.9.0';
const CANARY_IMAGE = 'vllm/vllm-openai:v0.10.0';
const SYNC_IMAGE = 'amazon/aws-cli:2.17.0';

const c = (over: Partial<ContainerView> = {}): ContainerView => ({
  name: 'inference',
  image: IMAGE,
  ready: true,
  restartCount: 0,
  state: { kind: 'running', startedAt: sec(0) },
  ...over,
});

const synced: ContainerView = {
  name: 'model-sync',
  image: SYNC_IMAGE,
  ready: true,
  restartCount: 0,
  state: { kind: 'terminated', exitCode: 0, reason: 'Completed', finishedAt: sec(0) },
};

const readyConditions: ConditionView[] = [
  { type: 'PodScheduled', status: 'True', since: sec(0) },
  { type: 'Initialized', status: 'True', since: sec(0) },
  { type: 'Ready', status: 'True', since: sec(0) },
];
const notReady = (since = 0): ConditionView[] => [
  { type: 'PodScheduled', status: 'True', since: sec(0) },
  { type: 'Initialized', status: 'True', since: sec(0) },
  {
    type: 'Ready',
    status: 'False',
    reason: 'ContainersNotReady',
    message: 'containers with unready status: [inference]',
    since: sec(since),
  },
];

const pod = (over: Partial<PodView> = {}): PodView => ({
  name: 'llama-abc-1',
  created: sec(0),
  deleting: false,
  phase: 'Running',
  startTime: sec(0),
  conditions: readyConditions,
  initContainers: [],
  containers: [c()],
  ...over,
});

const unschedulable = (message: string, since = 0): PodView =>
  pod({
    phase: 'Pending',
    startTime: undefined,
    conditions: [
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, since: sec(since) },
    ],
    containers: [c({ ready: false, state: undefined })],
  });

const pulling = (reason: string, message: string): PodView =>
  pod({
    phase: 'Pending',
    conditions: notReady(),
    containers: [c({ ready: false, state: { kind: 'waiting', reason, message } })],
  });

const crashing = (restarts: number, exitCode: number, reason: string, message?: string): PodView =>
  pod({
    conditions: notReady(),
    containers: [
      c({
        ready: false,
        restartCount: restarts,
        state: { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed' },
        lastTerminated: {
          kind: 'terminated',
          exitCode,
          reason,
          finishedAt: sec(50),
          ...(message ? { message } : {}),
        },
      }),
    ],
  });

const initPod = (init: ContainerView): PodView =>
  pod({
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True', since: sec(0) },
      {
        type: 'Initialized',
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [model-sync]',
        since: sec(1),
      },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', since: sec(1) },
    ],
    initContainers: [init],
    containers: [c({ ready: false, state: { kind: 'waiting', reason: 'PodInitializing' } })],
  });

const deployment = (over: Partial<DeploymentView> = {}): DeploymentView => ({
  desired: 1,
  replicas: 1,
  available: 0,
  conditions: [],
  ...over,
});

const track = (pods: PodView[], over: Partial<TrackInput> = {}): TrackInput => ({
  pods,
  image: IMAGE,
  probe: { path: '/health', port: 8000 },
  deployment: deployment({ replicas: pods.length, desired: Math.max(1, pods.length) }),
  ...over,
});

const run = (primary: TrackInput, now = sec(60), extra: Partial<DiagnoseInput> = {}) =>
  diagnose({ primary, now, ...extra });

/** The fields a test names; the rest are checked by the tests that name them. */
const summary = (causes: Cause[]) => causes.map((x) => `${x.track} ${x.reason} ${x.severity} ${x.pods}`);

const GPU_MSG =
  "0/7 nodes are available: 4 Insufficient nvidia.com/gpu, 3 node(s) didn't match Pod's node affinity/selector.";

type OneCause = [string, string, TrackInput, number, Partial<Cause>];

const ONE_CAUSE: OneCause[] = [
  [
    'Unschedulable (waiting) with the scheduler message',
    'the scheduler cannot place the pod',
    track([unschedulable(GPU_MSG, 5)]),
    3600,
    { reason: 'Unschedulable', severity: 'waiting', message: GPU_MSG, since: iso(5), pods: 1 },
  ],
  [
    'ImagePullFailed (waiting) naming the image',
    'the pull has failed for less than the threshold',
    track([pulling('ErrImagePull', 'failed to pull and unpack image: not found')]),
    60,
    {
      reason: 'ImagePullFailed',
      severity: 'waiting',
      message: `image "${IMAGE}" of container "inference": ErrImagePull: failed to pull and unpack image: not found`,
      details: { container: 'inference', image: IMAGE, waitingReason: 'ErrImagePull' },
    },
  ],
  [
    'ImagePullFailed (terminal)',
    'the pull has been failing for 120 s',
    track([pulling('ImagePullBackOff', `Back-off pulling image "${IMAGE}"`)]),
    120,
    { reason: 'ImagePullFailed', severity: 'terminal', since: iso(0) },
  ],
  [
    'ImagePullFailed (terminal) at once',
    'the image reference is invalid',
    track([
      pulling('InvalidImageName', 'couldn\'t parse image reference "Bad/Image": invalid reference format'),
    ]),
    1,
    { reason: 'ImagePullFailed', severity: 'terminal' },
  ],
  [
    'ImagePullFailed naming the model-sync image',
    'the init container’s image cannot be pulled',
    track([
      initPod({
        ...synced,
        ready: false,
        state: {
          kind: 'waiting',
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${SYNC_IMAGE}"`,
        },
      }),
    ]),
    60,
    {
      reason: 'ImagePullFailed',
      severity: 'waiting',
      details: { container: 'model-sync', image: SYNC_IMAGE, waitingReason: 'ImagePullBackOff' },
    },
  ],
  [
    'ImagePullFailed (terminal) at once, since the pod’s creation',
    'pulling is forbidden by the pull policy and the kubelet has not recorded a start',
    track([
      {
        ...pulling('ErrImageNeverPull', 'image not present with pull policy of Never'),
        startTime: undefined,
        created: sec(2),
      },
    ]),
    3,
    { reason: 'ImagePullFailed', severity: 'terminal', since: iso(2) },
  ],
  [
    'CrashLooping (waiting) with the exit code and reason',
    'the container restarted fewer than 3 times',
    track([crashing(2, 1, 'Error', 'ValueError: unknown model')]),
    60,
    {
      reason: 'CrashLooping',
      severity: 'waiting',
      message: 'container "inference" failed with exit code 1 (Error), 2 restarts: ValueError: unknown model',
      details: { container: 'inference', restarts: 2, exitCode: 1, lastReason: 'Error' },
    },
  ],
  [
    'CrashLooping (terminal)',
    'the container restarted 3 times',
    track([crashing(3, 1, 'Error')]),
    60,
    { reason: 'CrashLooping', severity: 'terminal' },
  ],
  [
    'CrashLooping naming OOMKilled',
    'the container was killed for memory',
    track([crashing(4, 137, 'OOMKilled')]),
    60,
    {
      reason: 'CrashLooping',
      severity: 'terminal',
      message: 'container "inference" was OOMKilled (exit code 137), 4 restarts',
    },
  ],
  [
    'CrashLooping (waiting)',
    'the container has just exited for the first time',
    track([
      pod({
        conditions: notReady(),
        containers: [c({ ready: false, state: { kind: 'terminated', exitCode: 137, reason: 'OOMKilled' } })],
      }),
    ]),
    60,
    {
      reason: 'CrashLooping',
      severity: 'waiting',
      details: { container: 'inference', restarts: 0, exitCode: 137, lastReason: 'OOMKilled' },
    },
  ],
  [
    'CrashLooping',
    'the restarted container runs again but is not ready',
    track([
      pod({
        conditions: notReady(),
        containers: [
          c({
            ready: false,
            restartCount: 1,
            lastTerminated: { kind: 'terminated', exitCode: 2, reason: 'Error' },
          }),
        ],
      }),
    ]),
    600,
    {
      reason: 'CrashLooping',
      severity: 'waiting',
      message: 'container "inference" failed with exit code 2 (Error), 1 restarts',
    },
  ],
  [
    'ModelSyncFailed (terminal) with the exit code',
    'the model-sync init container exited non-zero',
    track([
      initPod({
        ...synced,
        ready: false,
        restartCount: 2,
        state: { kind: 'waiting', reason: 'CrashLoopBackOff' },
        lastTerminated: { kind: 'terminated', exitCode: 1, reason: 'Error', message: 'NoSuchBucket' },
      }),
    ]),
    60,
    {
      reason: 'ModelSyncFailed',
      severity: 'terminal',
      message: 'init container "model-sync" failed with exit code 1 (Error): NoSuchBucket',
      since: iso(1),
      details: { container: 'model-sync', exitCode: 1, restarts: 2 },
    },
  ],
  [
    'ModelSyncFailed (terminal)',
    'the model-sync init container has just exited non-zero',
    track([
      initPod({ ...synced, ready: false, state: { kind: 'terminated', exitCode: 255, reason: 'Error' } }),
    ]),
    60,
    { reason: 'ModelSyncFailed', severity: 'terminal' },
  ],
  [
    'ModelSyncFailed (waiting) as stuck',
    'the model-sync init container has run for 30 minutes',
    track([initPod({ ...synced, ready: false, state: { kind: 'running', startedAt: sec(10) } })]),
    10 + 1800,
    {
      reason: 'ModelSyncFailed',
      severity: 'waiting',
      message: `init container "model-sync" has been running since ${iso(10)} and has not finished`,
      since: iso(10),
    },
  ],
  [
    'ProbeFailing (waiting) naming the probe path and port',
    'the container has run unready past the grace period',
    track([pod({ conditions: notReady(5), containers: [c({ ready: false })] })]),
    125,
    {
      reason: 'ProbeFailing',
      severity: 'waiting',
      message:
        'container "inference" is running but not ready; readiness probe GET /health on port 8000: containers with unready status: [inference]',
      since: iso(5),
      details: { container: 'inference', path: '/health', port: 8000 },
    },
  ],
  [
    'CreateFailed (terminal) with the API message',
    'admission rejects the pods',
    track([], {
      deployment: deployment({
        replicas: 0,
        desired: 2,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'pods "llama-abc-" is forbidden: violates PodSecurity "restricted:latest"',
            since: sec(3),
          },
        ],
      }),
    }),
    4,
    {
      reason: 'CreateFailed',
      severity: 'terminal',
      pods: 2,
      message: 'pods "llama-abc-" is forbidden: violates PodSecurity "restricted:latest"',
      since: iso(3),
      details: { kind: 'rejected' },
    },
  ],
  [
    'CreateFailed (waiting)',
    'a quota is exceeded for less than the threshold',
    track([], {
      deployment: deployment({
        replicas: 0,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message:
              'pods "llama-abc-x" is forbidden: exceeded quota: gpu, requested: pods=1, used: pods=4, limited: pods=4',
            since: sec(0),
          },
        ],
      }),
    }),
    119,
    { reason: 'CreateFailed', severity: 'waiting', pods: 1, details: { kind: 'quota' } },
  ],
  [
    'CreateFailed (terminal)',
    'a quota has been exceeded for 120 s',
    track([], {
      deployment: deployment({
        replicas: 0,
        conditions: [
          { type: 'ReplicaFailure', status: 'True', message: 'exceeded quota: gpu', since: sec(0) },
        ],
      }),
    }),
    120,
    { reason: 'CreateFailed', severity: 'terminal' },
  ],
  [
    'CreateFailed (waiting)',
    'the failure looks transient',
    track([], {
      deployment: deployment({
        replicas: 0,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            message: 'etcdserver: request timed out',
            since: sec(0),
          },
        ],
      }),
    }),
    3600,
    { reason: 'CreateFailed', severity: 'waiting', details: { kind: 'other' } },
  ],
  [
    'Evicted (waiting) with the kubelet message',
    'a pod was evicted and a replica is missing',
    track([
      pod({
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        conditions: [
          { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', since: sec(30) },
        ],
        containers: [c({ ready: false, state: { kind: 'terminated', exitCode: 137, reason: 'Error' } })],
      }),
    ]),
    60,
    {
      reason: 'Evicted',
      severity: 'waiting',
      message: 'The node was low on resource: memory.',
      since: iso(30),
      details: { pod: 'llama-abc-1', disruption: 'TerminationByKubelet' },
    },
  ],
  [
    'Evicted',
    'a spot node is shutting down and its pod is terminating',
    track([
      pod({
        deleting: true,
        conditions: [
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'EvictionByEvictionAPI',
            message: 'Eviction API: evicting',
            since: sec(40),
          },
        ],
      }),
    ]),
    60,
    { reason: 'Evicted', severity: 'waiting', message: 'Eviction API: evicting', since: iso(40) },
  ],
  [
    'Preempted',
    'the scheduler preempted the pod for a higher priority one',
    track([
      pod({
        deleting: true,
        conditions: [
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'PreemptionByScheduler',
            message: 'default-scheduler: preempting to accommodate a higher priority pod',
            since: sec(40),
          },
        ],
      }),
    ]),
    60,
    {
      reason: 'Preempted',
      severity: 'waiting',
      message: 'default-scheduler: preempting to accommodate a higher priority pod',
    },
  ],
  [
    'ProgressDeadlineExceeded (terminal) with the controller message',
    'the Deployment has timed out progressing',
    track([], {
      deployment: deployment({
        desired: 3,
        available: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "llama-abc" has timed out progressing.',
            since: sec(600),
          },
        ],
      }),
    }),
    601,
    {
      reason: 'ProgressDeadlineExceeded',
      severity: 'terminal',
      pods: 2,
      message: 'ReplicaSet "llama-abc" has timed out progressing.',
      since: iso(600),
    },
  ],
];

type NoCause = [string, TrackInput, number];

const NO_CAUSE: NoCause[] = [
  ['the pod is running and ready', track([pod()]), 3600],
  [
    'the pod is not scheduled yet and the scheduler has said nothing',
    track([pod({ phase: 'Pending', conditions: [], containers: [c({ ready: false, state: undefined })] })]),
    60,
  ],
  ['the container is still being created', track([pulling('ContainerCreating', '')]), 3600],
  [
    'the container is unready within the grace period',
    track([pod({ conditions: notReady(5), containers: [c({ ready: false })] })]),
    124,
  ],
  [
    'the model-sync init container is running within its time',
    track([initPod({ ...synced, ready: false, state: { kind: 'running', startedAt: sec(10) } })]),
    1000,
  ],
  [
    'the model-sync init container succeeded after a failed attempt',
    track([
      pod({
        initContainers: [{ ...synced, restartCount: 1, lastTerminated: { kind: 'terminated', exitCode: 1 } }],
      }),
    ]),
    60,
  ],
  [
    'a container restarted once long ago and is ready again',
    track([
      pod({ containers: [c({ restartCount: 1, lastTerminated: { kind: 'terminated', exitCode: 1 } })] }),
    ]),
    60,
  ],
  ['a crashing pod is being deleted', track([{ ...crashing(5, 1, 'Error'), deleting: true }]), 60],
  [
    'a crashing pod runs an image of an older rollout',
    track([crashing(5, 1, 'Error')], { image: 'vllm/vllm-openai:v0.9.1' }),
    60,
  ],
  [
    'an eviction left no replica missing',
    track(
      [pod({ name: 'a', phase: 'Failed', reason: 'Evicted', message: 'low on memory' }), pod({ name: 'b' })],
      { deployment: deployment({ desired: 1, replicas: 1, available: 1 }) },
    ),
    60,
  ],
  [
    'an eviction is older than the window',
    track([
      pod({
        phase: 'Failed',
        reason: 'Evicted',
        conditions: [{ type: 'DisruptionTarget', status: 'True', since: sec(0) }],
      }),
    ]),
    601,
  ],
  [
    'the Deployment is progressing',
    track([pod()], {
      deployment: deployment({
        available: 1,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
      }),
    }),
    60,
  ],
];

describe('one cause per failure, in the cluster’s words', () => {
  test.each<OneCause>(ONE_CAUSE)('reports %s, when %s', (_what, _when, primary, at, expected) => {
    const causes = run(primary, sec(at));
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ track: 'primary', pods: 1, ...expected });
  });
});

describe('no cause', () => {
  test.each<NoCause>(NO_CAUSE)('reports nothing, when %s', (_when, primary, at) => {
    expect(run(primary, sec(at))).toEqual([]);
  });
});

describe('counting, precedence and tracks', () => {
  test('counts every affected pod, the earliest since, and the worst pod’s words', () => {
    const causes = run(
      track([
        { ...crashing(1, 1, 'Error'), name: 'p1', conditions: notReady(20) },
        { ...crashing(4, 137, 'OOMKilled'), name: 'p2', conditions: notReady(10) },
        pod({ name: 'p3' }),
      ]),
    );
    expect(causes).toEqual([
      {
        track: 'primary',
        reason: 'CrashLooping',
        severity: 'terminal',
        pods: 2,
        since: iso(10),
        message: 'container "inference" was OOMKilled (exit code 137), 4 restarts',
        details: { container: 'inference', restarts: 4, exitCode: 137, lastReason: 'OOMKilled' },
      },
    ]);
  });

  test('names one cause per pod: the first that holds (an image pull failure before a crash loop)', () => {
    const both = pod({
      conditions: notReady(),
      containers: [
        c({ ready: false, state: { kind: 'waiting', reason: 'ImagePullBackOff' } }),
        c({ name: 'sidecar', ready: false, state: { kind: 'terminated', exitCode: 1 } }),
      ],
    });
    expect(summary(run(track([both])))).toEqual(['primary ImagePullFailed waiting 1']);
  });

  test('shows terminal causes first, then by precedence, the primary before the canary', () => {
    const causes = diagnose({
      now: sec(60),
      primary: track(
        [
          { ...unschedulable(GPU_MSG), name: 'u1' },
          { ...crashing(1, 1, 'Error'), name: 'c1' },
          { ...crashing(5, 1, 'Error'), name: 'c2' },
        ],
        { deployment: deployment({ desired: 3, replicas: 3 }) },
      ),
      canary: track([{ ...unschedulable(GPU_MSG), name: 'u2' }], { image: IMAGE }),
    });
    expect(summary(causes)).toEqual([
      'primary CrashLooping terminal 2',
      'primary Unschedulable waiting 1',
      'canary Unschedulable waiting 1',
    ]);
  });

  test('keeps the canary’s causes apart from the primary’s', () => {
    const canaryPod = (name: string) => ({
      ...crashing(5, 1, 'Error'),
      name,
      containers: [{ ...crashing(5, 1, 'Error').containers[0]!, image: CANARY_IMAGE }],
    });
    const causes = diagnose({
      now: sec(60),
      primary: track([pod()], { deployment: deployment({ available: 1 }) }),
      canary: track([canaryPod('k1'), canaryPod('k2')], { image: CANARY_IMAGE }),
    });
    expect(summary(causes)).toEqual(['canary CrashLooping terminal 2']);
  });

  test('once the progress deadline is exceeded, what held the rollout back is terminal too', () => {
    const causes = run(
      track([unschedulable(GPU_MSG)], {
        deployment: deployment({
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', since: sec(600) },
          ],
        }),
      }),
      sec(601),
    );
    expect(summary(causes)).toEqual([
      'primary Unschedulable terminal 1',
      'primary ProgressDeadlineExceeded terminal 1',
    ]);
  });

  test('honours thresholds given by the caller', () => {
    const causes = run(track([crashing(1, 1, 'Error')]), sec(60), { thresholds: { crashLoopRestarts: 1 } });
    expect(summary(causes)).toEqual(['primary CrashLooping terminal 1']);
  });

  test('gives the same answer at a later time when nothing moved (since comes from the cluster)', () => {
    const input = track([unschedulable(GPU_MSG, 5), crashing(1, 1, 'Error')]);
    expect(run(input, sec(70))).toEqual(run(input, sec(80)));
  });
});

describe('when the answer changes with time alone', () => {
  const DAY = 86_400_000;
  const situations: [string, TrackInput, number][] = [
    ...ONE_CAUSE.map(([what, when, primary, at]): [string, TrackInput, number] => [
      `${what}, ${when}`,
      primary,
      at,
    ]),
    ...NO_CAUSE.map(([when, primary, at]): [string, TrackInput, number] => [
      `no cause, ${when}`,
      primary,
      at,
    ]),
  ];
  test.each(situations)('%s: the same answer until changesAt, another from then on', (_, primary, at) => {
    const now = sec(at);
    const { causes, changesAt } = diagnoseUntil({ primary, now });
    expect(causes).toEqual(diagnose({ primary, now }));
    if (changesAt === undefined) {
      for (const later of [1, 60_000, DAY]) expect(diagnose({ primary, now: now + later })).toEqual(causes);
      return;
    }
    expect(changesAt).toBeGreaterThan(now);
    expect(diagnose({ primary, now: changesAt - 1 })).toEqual(causes);
    expect(diagnose({ primary, now: changesAt })).not.toEqual(causes);
  });

  test('a threshold already passed is not ahead; the next one is', () => {
    const input = track([pulling('ErrImagePull', 'not found')]);
    expect(diagnoseUntil({ primary: input, now: sec(30) }).changesAt).toBe(sec(120));
    expect(diagnoseUntil({ primary: input, now: sec(120) }).changesAt).toBeUndefined();
  });
});
