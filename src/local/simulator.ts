import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1PodStatus,
} from '@kubernetes/client-node';
import {
  disruptedStatus,
  disruptionOf,
  type KubeletTiming,
  nextStepIn,
  startedStatus,
  steppedStatus,
} from './simulated-kubelet.js';

/**
 * A stand-in for kubelets and a storage provisioner, so that Deployments on a local control plane
 * get Ready pods: it registers GPU/Neuron/CPU nodes with the labels and taints the seed's node
 * selectors and tolerations expect, marks pods the real kube-scheduler bound to those nodes as
 * running and ready, finishes their graceful deletion, and binds each pending PVC to a hostPath PV.
 * Markers in a container's image, command or args make its pods fail the way a kubelet would
 * report it (crash loops, OOM kills, image pulls, model syncs, probes, evictions): see
 * simulated-kubelet.ts and docs/diagnosis.md. Unschedulable pods need no marker: the real
 * scheduler leaves them Pending and says why.
 */
export interface NodeShape {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly taints: { key: string; value: string; effect: string }[];
  readonly capacity: Record<string, string>;
}

export function defaultNodes(gpuNodes: number): NodeShape[] {
  const base = { cpu: '192', memory: '2048Gi', pods: '500', 'ephemeral-storage': '2000Gi' };
  const nodes: NodeShape[] = [];
  for (let i = 1; i <= gpuNodes; i++) {
    for (const capacityType of ['on-demand', 'spot']) {
      nodes.push({
        name: `sim-nvidia-${capacityType}-${i}`,
        labels: {
          'eks.amazonaws.com/instance-gpu-manufacturer': 'nvidia',
          'karpenter.sh/capacity-type': capacityType,
          'node.kubernetes.io/instance-type': 'p5.48xlarge',
        },
        taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
        capacity: { ...base, 'nvidia.com/gpu': '256' },
      });
    }
    nodes.push({
      name: `sim-neuron-on-demand-${i}`,
      labels: {
        accelerator: 'neuron',
        'karpenter.sh/capacity-type': 'on-demand',
        'node.kubernetes.io/instance-type': 'inf2.48xlarge',
      },
      taints: [{ key: 'aws.amazon.com/neuron', value: 'true', effect: 'NoSchedule' }],
      capacity: { ...base, 'aws.amazon.com/neuron': '256' },
    });
  }
  nodes.push({
    name: 'sim-cpu-1',
    labels: { 'karpenter.sh/capacity-type': 'on-demand' },
    taints: [],
    capacity: base,
  });
  return nodes;
}

function nodeObject(shape: NodeShape, index: number): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: shape.name,
      labels: {
        ...shape.labels,
        'kubernetes.io/hostname': shape.name,
        'kubernetes.io/os': 'linux',
        'inferctl.io/simulated': 'true',
      },
    },
    spec: { taints: shape.taints },
    status: {
      capacity: shape.capacity,
      allocatable: shape.capacity,
      addresses: [{ type: 'InternalIP', address: `10.250.0.${index + 1}` }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated node' }],
    },
  };
}

const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;
const isConflict = (err: unknown) => (err as { code?: number }).code === 409;
const ownerKey = (pod: V1Pod) => pod.metadata?.ownerReferences?.[0]?.uid ?? pod.metadata?.uid ?? '';

export interface SimulatorOptions {
  readonly timing: KubeletTiming;
  /** How long a pod marked for eviction or spot interruption runs ready before it happens. */
  readonly disruptAfterMs: number;
}

/**
 * A kubelet's back-off (10 s doubling to 5 min) scaled down, so tests and the demo see a crash
 * loop pass its terminal threshold in seconds.
 */
export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  timing: { backoffMs: 2_000, backoffCapMs: 30_000 },
  disruptAfterMs: 5_000,
};

export class Simulator {
  private readonly core: CoreV1Api;
  private readonly simulatedNodes = new Set<string>();
  private readonly inFlight = new Set<string>();
  /** Pending steps by `{pod uid}/{step|disrupt}`. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Owners (ReplicaSets, or bare pods) whose pod has been evicted or shut down already. */
  private readonly disrupted = new Set<string>();
  private podIp = 1;
  private log: (msg: string) => void = () => {};

  constructor(
    private readonly kc: KubeConfig,
    private readonly shapes: NodeShape[],
    private readonly options: SimulatorOptions = DEFAULT_SIMULATOR_OPTIONS,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async registerNodes(): Promise<void> {
    for (const [index, shape] of this.shapes.entries()) {
      const desired = nodeObject(shape, index);
      this.simulatedNodes.add(shape.name);
      for (let attempt = 0; ; attempt++) {
        let node: V1Node;
        try {
          node = await this.core.readNode({ name: shape.name });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          node = await this.core.createNode({ body: { ...desired, status: undefined } });
        }
        const extraTaints = (node.spec?.taints ?? []).filter(
          (t) => !shape.taints.some((d) => d.key === t.key),
        );
        if (extraTaints.length > 0) {
          // The TaintNodesByCondition admission plugin marks new nodes not-ready; with no node
          // lifecycle controller running, the simulator clears that itself.
          node.spec = { ...node.spec, taints: shape.taints };
          try {
            node = await this.core.replaceNode({ name: shape.name, body: node });
          } catch (err) {
            if (!isConflict(err) || attempt >= 10) throw err;
            continue;
          }
        }
        const now = new Date();
        node.status = {
          ...desired.status,
          conditions: desired.status?.conditions?.map((c) => ({
            ...c,
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          })),
        };
        try {
          await this.core.replaceNodeStatus({ name: shape.name, body: node });
          break;
        } catch (err) {
          // Controllers annotate new nodes right away; re-read and try again.
          if (!isConflict(err) || attempt >= 10) throw err;
        }
      }
    }
  }

  private async handlePod(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name;
    const namespace = pod.metadata?.namespace;
    const nodeName = pod.spec?.nodeName;
    if (!name || !namespace || !nodeName || !this.simulatedNodes.has(nodeName)) return;
    const key = `${namespace}/${name}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      if (pod.metadata?.deletionTimestamp) {
        this.cancelSteps(pod);
        // The kubelet's part of graceful deletion: confirm with a zero grace period.
        await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
        return;
      }
      if (pod.status?.startTime) {
        this.scheduleSteps(pod);
        return;
      }
      const podIP = `10.244.${(this.podIp >> 8) & 255}.${this.podIp++ & 255}`;
      const started = await this.patchStatus(
        pod,
        startedStatus(pod, new Date(), { hostIP: '10.250.0.1', podIP }),
      );
      if (started) this.scheduleSteps(started);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Informer items are raw JSON (dates as strings): send a merge patch of the status alone. */
  private async patchStatus(pod: V1Pod, status: V1PodStatus): Promise<V1Pod | undefined> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    return this.core
      .patchNamespacedPodStatus(
        { name, namespace, body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch((err) => {
        if (!isNotFound(err)) throw err;
        return undefined;
      });
  }

  /**
   * Sets the timers for what happens next to a started pod: the next restart or pull back-off
   * of a failing container, and (once per ReplicaSet, as a spot node is reclaimed once) its
   * eviction or node shutdown.
   */
  private scheduleSteps(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return;
    const delay = nextStepIn(pod, this.options.timing);
    if (delay !== undefined && !this.timers.has(`${uid}/step`)) {
      this.timers.set(
        `${uid}/step`,
        setTimeout(() => this.runStep(pod, 'step'), delay),
      );
    }
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (
      disruptionOf(pod) &&
      ready &&
      !this.disrupted.has(ownerKey(pod)) &&
      !this.timers.has(`${uid}/disrupt`)
    ) {
      this.timers.set(
        `${uid}/disrupt`,
        setTimeout(() => this.runStep(pod, 'disrupt'), this.options.disruptAfterMs),
      );
    }
  }

  private cancelSteps(pod: V1Pod): void {
    for (const kind of ['step', 'disrupt']) {
      const key = `${pod.metadata?.uid}/${kind}`;
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
    }
  }

  private runStep(seen: V1Pod, kind: 'step' | 'disrupt'): void {
    const uid = seen.metadata?.uid;
    this.timers.delete(`${uid}/${kind}`);
    const step = async () => {
      const name = seen.metadata?.name ?? '';
      const namespace = seen.metadata?.namespace ?? '';
      const pod = await this.core.readNamespacedPod({ name, namespace }).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (!pod || pod.metadata?.uid !== uid || pod.metadata?.deletionTimestamp) return;
      const now = new Date();
      let status: V1PodStatus | undefined;
      if (kind === 'step') {
        status = steppedStatus(pod, now, this.options.timing);
      } else {
        const disruption = disruptionOf(pod);
        if (!disruption || this.disrupted.has(ownerKey(pod))) return;
        this.disrupted.add(ownerKey(pod));
        status = disruptedStatus(pod, disruption, now);
      }
      const updated = status ? await this.patchStatus(pod, status) : undefined;
      if (updated) this.scheduleSteps(updated);
    };
    void step().catch((err) => this.log(`pod ${seen.metadata?.name}: ${kind}: ${String(err)}`));
  }

  private async handleClaim(claim: V1PersistentVolumeClaim): Promise<void> {
    const name = claim.metadata?.name;
    const namespace = claim.metadata?.namespace;
    if (!name || !namespace || claim.spec?.volumeName || claim.status?.phase === 'Bound') return;
    const pvName = `sim-pv-${namespace}-${name}`.slice(0, 253);
    await this.core
      .createPersistentVolume({
        body: {
          metadata: { name: pvName, labels: { 'inferctl.io/simulated': 'true' } },
          spec: {
            capacity: { storage: claim.spec?.resources?.requests?.storage ?? '100Gi' },
            accessModes: claim.spec?.accessModes ?? ['ReadWriteMany'],
            storageClassName: claim.spec?.storageClassName ?? '',
            persistentVolumeReclaimPolicy: 'Retain',
            hostPath: { path: `/tmp/inferctl-sim/${namespace}/${name}` },
            claimRef: { namespace, name, uid: claim.metadata?.uid },
          },
        },
      })
      .catch((err) => {
        if (!isConflict(err)) throw err;
      });
  }

  /** Starts the informers; resolves once both have listed. */
  async run(log: (msg: string) => void): Promise<void> {
    this.log = log;
    const pods = makeInformer(this.kc, '/api/v1/pods', () => this.core.listPodForAllNamespaces());
    const claims = makeInformer(this.kc, '/api/v1/persistentvolumeclaims', () =>
      this.core.listPersistentVolumeClaimForAllNamespaces(),
    );
    const onPod = (pod: V1Pod) =>
      void this.handlePod(pod).catch((err) => log(`pod ${pod.metadata?.name}: ${String(err)}`));
    pods.on('add', onPod);
    pods.on('update', onPod);
    const onClaim = (c: V1PersistentVolumeClaim) =>
      void this.handleClaim(c).catch((err) => log(`claim ${c.metadata?.name}: ${String(err)}`));
    claims.on('add', onClaim);
    claims.on('update', onClaim);
    for (const informer of [pods, claims]) {
      informer.on('error', (err) => {
        log(`watch error, restarting: ${String(err)}`);
        setTimeout(() => void informer.start().catch((e) => log(`restart failed: ${String(e)}`)), 1000);
      });
    }
    await Promise.all([pods.start(), claims.start()]);
  }
}
