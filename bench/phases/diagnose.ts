// Phase 6 (with pods): pod → status latency. The bench does what a kubelet does when a container
// starts crash-looping: it patches one running pod's status (Ready False, the container waiting
// in CrashLoopBackOff after exits), then times until the status item, followed on the table's
// stream, names CrashLooping. The pod is then deleted, its Deployment replaces it, and the
// phase waits until every touched item is running with no cause again (so idle, next, measures
// a healthy fleet with pods).
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1ContainerStatus,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';
import type { RegionStatus } from '../../src/model/index.js';
import { NS } from '../fleet.js';
import { type Distribution, distribution, log, now, waitUntil } from '../stats.js';
import type { Converged } from './converge.js';
import type { Bench } from './setup.js';

/** How a crash-looping container looks after `restarts` failed starts (what the kubelet reports). */
function crashLoopStatus(pod: V1Pod, at: Date): V1Pod['status'] {
  const unready = (c: V1PodCondition): V1PodCondition =>
    c.type === 'Ready' || c.type === 'ContainersReady'
      ? { ...c, status: 'False', reason: 'ContainersNotReady', lastTransitionTime: at }
      : c;
  const crashed = (s: V1ContainerStatus): V1ContainerStatus => ({
    ...s,
    ready: false,
    started: false,
    restartCount: 5,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: at, finishedAt: at } },
  });
  return {
    conditions: (pod.status?.conditions ?? []).map(unready),
    containerStatuses: (pod.status?.containerStatuses ?? []).map(crashed),
  };
}

export async function measureDiagnosis(bench: Bench, converged: Converged): Promise<Distribution> {
  const { regions, opts, N } = bench;
  const latencies: number[] = [];
  const touched = new Set<string>();
  const latest = new Map<string, RegionStatus>();
  let waiting: { key: string; seenAt?: number } | undefined;
  converged.statusListeners.push((s) => {
    const key = `${s.region}/${s.endpointName}`;
    latest.set(key, s);
    if (
      waiting?.key === key &&
      waiting.seenAt === undefined &&
      s.causes?.some((c) => c.reason === 'CrashLooping')
    )
      waiting.seenAt = now();
  });
  // Distinct endpoints from a random start, so no sample meets a pod an earlier one broke.
  const start = Math.floor(Math.random() * N);
  for (let i = 0; i < opts.diagnoses; i++) {
    const name = converged.names[(start + i) % N]!;
    const region = regions[i % regions.length]!;
    const key = `${region.name}/${name}`;
    if (touched.has(key)) continue;
    touched.add(key);
    const core = region.kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${name}` });
    const pod = pods.items.find((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
    if (!pod?.metadata?.name) throw new Error(`${key}: no running pod to break`);
    const sample: { key: string; seenAt?: number } = { key };
    waiting = sample;
    await core.patchNamespacedPodStatus(
      { name: pod.metadata.name, namespace: NS, body: { status: crashLoopStatus(pod, new Date()) } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // From the API server's acknowledgement: the moment the pod's condition changed.
    const t = now();
    await waitUntil(`${key}: CrashLooping in its status item`, 30_000, () => sample.seenAt !== undefined, 5);
    waiting = undefined;
    latencies.push(sample.seenAt! - t);
    await core.deleteNamespacedPod({ name: pod.metadata.name, namespace: NS, gracePeriodSeconds: 0 });
  }
  const result = distribution(latencies);
  log(`pod condition → status item ms: ${JSON.stringify(result)}`);
  await waitUntil('every broken endpoint running again with no cause', 180_000, () =>
    [...touched].every((k) => latest.get(k)?.state === 'running' && latest.get(k)?.causes === undefined),
  );
  return result;
}
