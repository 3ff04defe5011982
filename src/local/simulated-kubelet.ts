import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

/**
 * What a kubelet would report for a pod on a simulated node, step by step. Markers in a
 * container's image, command or args choose how it behaves (docs/diagnosis.md lists them):
 *
 * - `simulate-crashloop` exits with code 1 on every run, `simulate-oom` is OOMKilled (137); the
 *   container then waits in CrashLoopBackOff and its restart count climbs with each step.
 * - `simulate-pull-fail`: ErrImagePull, then ImagePullBackOff. An image reference the kubelet
 *   cannot parse gives InvalidImageName, with no marker.
 * - `simulate-never-ready` (or the older `never-ready`) runs and never passes its readiness probe;
 *   `simulate-hang` runs and never finishes (for an init container: a stuck model sync).
 * - `simulate-evict` and `simulate-spot-interruption` run ready, then the pod is evicted for
 *   memory pressure or terminated by a node shutdown (the simulator decides when).
 *
 * The model-sync init container's args hold the model source, so a source such as
 * `s3://models/simulate-crashloop/llama` makes the sync fail for one endpoint.
 */
export type Behaviour =
  | 'run'
  | 'crashloop'
  | 'oom'
  | 'pull-fail'
  | 'invalid-image'
  | 'never-ready'
  | 'hang'
  | 'evict'
  | 'spot-interruption';

const MARKER =
  /(?:^|[^a-z0-9])(?:simulate-(crashloop|oom|pull-fail|never-ready|hang|evict|spot-interruption)|(never-ready))(?![a-z0-9-])/;

/**
 * The reference grammar the kubelet parses (distribution/reference): an optional registry host,
 * lower-case path components, then a tag and/or a digest.
 */
const REFERENCE =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?|\[[a-fA-F0-9:]+\](?::[0-9]+)?)\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

export function behaviourOf(c: Pick<V1Container, 'image' | 'command' | 'args'>): Behaviour {
  const image = c.image ?? '';
  if (!REFERENCE.test(image)) return 'invalid-image';
  for (const text of [image, ...(c.command ?? []), ...(c.args ?? [])]) {
    const m = MARKER.exec(text);
    if (m) return (m[1] ?? m[2]) as Behaviour;
  }
  return 'run';
}

export interface KubeletTiming {
  /** First back-off of a crash loop or an image pull; doubles per restart. */
  readonly backoffMs: number;
  readonly backoffCapMs: number;
}

/** The wait before the next attempt after `restarts` restarts: doubling, up to the cap. */
const backoff = (timing: KubeletTiming, restarts: number) =>
  Math.min(timing.backoffMs * 2 ** restarts, timing.backoffCapMs);

const exits: Partial<Record<Behaviour, { exitCode: number; reason: string }>> = {
  crashloop: { exitCode: 1, reason: 'Error' },
  oom: { exitCode: 137, reason: 'OOMKilled' },
};

const EVICTION_MESSAGE =
  'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. ' +
  'Container inference was using 1900Gi, request is 64Gi, has larger consumption of memory. ';
const SHUTDOWN_MESSAGE = 'Pod was terminated in response to imminent node shutdown.';

/** The pod-level disruption its containers ask for, if any. */
export function disruptionOf(pod: V1Pod): 'evict' | 'spot-interruption' | undefined {
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const b = behaviourOf(c);
    if (b === 'evict' || b === 'spot-interruption') return b;
  }
  return undefined;
}

function pullMessage(image: string, backOff: boolean): string {
  return backOff
    ? `Back-off pulling image "${image}"`
    : `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`;
}

/** The first status of a container once the kubelet gets to it. */
function firstState(c: V1Container, init: boolean, now: Date): V1ContainerStatus {
  const image = c.image ?? '';
  const base = { name: c.name, image, imageID: '', restartCount: 0, ready: false, started: false };
  const b = behaviourOf(c);
  const exit = exits[b];
  if (exit) return { ...base, state: { terminated: { ...exit, startedAt: now, finishedAt: now } } };
  if (b === 'pull-fail')
    return { ...base, state: { waiting: { reason: 'ErrImagePull', message: pullMessage(image, false) } } };
  if (b === 'invalid-image') {
    const message = `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format`;
    return { ...base, state: { waiting: { reason: 'InvalidImageName', message } } };
  }
  if (init && b !== 'hang') {
    const terminated = { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now };
    return { ...base, ready: true, state: { terminated } };
  }
  const ready = !init && b !== 'never-ready' && b !== 'hang';
  return { ...base, ready, started: true, state: { running: { startedAt: now } } };
}

/** A container held back while an init container before it has not completed. */
const initializing = (c: V1Container): V1ContainerStatus => ({
  name: c.name,
  image: c.image ?? '',
  imageID: '',
  restartCount: 0,
  ready: false,
  started: false,
  state: { waiting: { reason: 'PodInitializing' } },
});

/** The next status of a container that keeps failing; undefined when it is stable. */
function nextState(
  c: V1Container,
  s: V1ContainerStatus,
  pod: V1Pod,
  now: Date,
  timing: KubeletTiming,
): V1ContainerStatus | undefined {
  const b = behaviourOf(c);
  const exit = exits[b];
  if (exit) {
    const restarts = s.restartCount + 1;
    const meta = pod.metadata ?? {};
    const wait = backoff(timing, restarts) / 1000;
    const message = `back-off ${wait}s restarting failed container=${c.name} pod=${meta.name}_${meta.namespace}(${meta.uid})`;
    const lastState: V1ContainerState = {
      terminated: { ...exit, startedAt: new Date(now.getTime() - 1000), finishedAt: now },
    };
    return {
      ...s,
      restartCount: restarts,
      state: { waiting: { reason: 'CrashLoopBackOff', message } },
      lastState,
    };
  }
  if (b === 'pull-fail' && s.state?.waiting?.reason === 'ErrImagePull') {
    return {
      ...s,
      state: { waiting: { reason: 'ImagePullBackOff', message: pullMessage(c.image ?? '', true) } },
    };
  }
  return undefined;
}

const completed = (s: V1ContainerStatus) => s.state?.terminated?.exitCode === 0;
const everStarted = (s: V1ContainerStatus) =>
  s.state?.running !== undefined || s.state?.terminated !== undefined || s.restartCount > 0;

/** Keeps a condition's transition time while its status holds, as the kubelet does. */
function condition(
  previous: readonly V1PodCondition[] | undefined,
  type: string,
  ok: boolean,
  now: Date,
  reason?: string,
  message?: string,
): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime =
    before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return { type, status, lastTransitionTime, ...(ok ? {} : { reason, message }) };
}

/** Phase and conditions that follow from the container statuses. */
function podStatus(
  pod: V1Pod,
  init: V1ContainerStatus[],
  main: V1ContainerStatus[],
  now: Date,
  extra: Partial<V1PodStatus>,
): V1PodStatus {
  const previous = pod.status?.conditions;
  const incomplete = init.filter((s) => !completed(s)).map((s) => s.name);
  const unready = main.filter((s) => !s.ready).map((s) => s.name);
  const initialized = incomplete.length === 0;
  const notReady = initialized
    ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` }
    : {
        reason: 'ContainersNotInitialized',
        message: `containers with incomplete status: [${incomplete.join(' ')}]`,
      };
  const ready = initialized && unready.length === 0;
  const scheduled =
    previous?.find((c) => c.type === 'PodScheduled') ?? condition(undefined, 'PodScheduled', true, now);
  return {
    ...pod.status,
    phase: initialized && main.some(everStarted) ? 'Running' : 'Pending',
    conditions: [
      scheduled,
      condition(
        previous,
        'Initialized',
        initialized,
        now,
        'ContainersNotInitialized',
        `containers with incomplete status: [${incomplete.join(' ')}]`,
      ),
      condition(previous, 'ContainersReady', ready, now, notReady.reason, notReady.message),
      condition(previous, 'Ready', ready, now, notReady.reason, notReady.message),
    ],
    initContainerStatuses: init,
    containerStatuses: main,
    ...extra,
  };
}

/**
 * Containers in order, as far as the kubelet gets: init containers one at a time, the serving
 * containers once every init container has completed.
 */
function containerStatuses(
  pod: V1Pod,
  status: (c: V1Container, init: boolean) => V1ContainerStatus,
): { init: V1ContainerStatus[]; main: V1ContainerStatus[] } {
  const init: V1ContainerStatus[] = [];
  let blocked = false;
  for (const c of pod.spec?.initContainers ?? []) {
    const s = blocked ? initializing(c) : status(c, true);
    init.push(s);
    if (!completed(s)) blocked = true;
  }
  const main = (pod.spec?.containers ?? []).map((c) => (blocked ? initializing(c) : status(c, false)));
  return { init, main };
}

/** The status a kubelet reports once it has started a pod bound to its node. */
export function startedStatus(pod: V1Pod, now: Date, ips: { hostIP: string; podIP: string }): V1PodStatus {
  const { init, main } = containerStatuses(pod, (c, isInit) => firstState(c, isInit, now));
  return podStatus(pod, init, main, now, { ...ips, startTime: now });
}

/** One more restart (or pull back-off) for every container that keeps failing; undefined if none. */
export function steppedStatus(pod: V1Pod, now: Date, timing: KubeletTiming): V1PodStatus | undefined {
  let moved = false;
  const current = (list: V1ContainerStatus[] | undefined, c: V1Container) =>
    list?.find((s) => s.name === c.name);
  const { init, main } = containerStatuses(pod, (c, isInit) => {
    const s = current(isInit ? pod.status?.initContainerStatuses : pod.status?.containerStatuses, c);
    if (!s || s.state?.waiting?.reason === 'PodInitializing') return firstState(c, isInit, now);
    const next = nextState(c, s, pod, now, timing);
    if (next) moved = true;
    return next ?? s;
  });
  return moved ? podStatus(pod, init, main, now, {}) : undefined;
}

/** How long until the next step of a failing container, as its back-off grows; undefined if none. */
export function nextStepIn(pod: V1Pod, timing: KubeletTiming): number | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let soonest: number | undefined;
  for (const s of statuses) {
    const spec = specs.find((c) => c.name === s.name);
    if (!spec) continue;
    const b = behaviourOf(spec);
    const failing =
      exits[b] !== undefined || (b === 'pull-fail' && s.state?.waiting?.reason === 'ErrImagePull');
    if (!failing) continue;
    const delay = backoff(timing, s.restartCount);
    soonest = Math.min(soonest ?? delay, delay);
  }
  return soonest;
}

/** The status after the node evicts the pod or shuts down under it. */
export function disruptedStatus(pod: V1Pod, kind: 'evict' | 'spot-interruption', now: Date): V1PodStatus {
  const message = kind === 'evict' ? EVICTION_MESSAGE : SHUTDOWN_MESSAGE;
  const stopped = (s: V1ContainerStatus): V1ContainerStatus => ({
    ...s,
    ready: false,
    started: false,
    state: {
      terminated: {
        exitCode: 137,
        reason: 'Error',
        startedAt: s.state?.running?.startedAt ?? now,
        finishedAt: now,
      },
    },
  });
  const main = (pod.status?.containerStatuses ?? []).map(stopped);
  const base = podStatus(pod, pod.status?.initContainerStatuses ?? [], main, now, {
    phase: 'Failed',
    reason: kind === 'evict' ? 'Evicted' : 'Terminated',
    message,
  });
  const target: V1PodCondition = {
    type: 'DisruptionTarget',
    status: 'True',
    reason: 'TerminationByKubelet',
    message,
    lastTransitionTime: now,
  };
  return { ...base, conditions: [...(base.conditions ?? []), target] };
}
