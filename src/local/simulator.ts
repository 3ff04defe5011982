import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from '@kubernetes/client-node';

/**
 * A stand-in for kubelets and a storage provisioner, so that Deployments on a local control plane
 * get Ready pods: it registers GPU/Neuron/CPU nodes with the labels and taints the seed's node
 * selectors and tolerations expect, marks pods the real kube-scheduler bound to those nodes as
 * running and ready, finishes their graceful deletion, and binds each pending PVC to a hostPath PV.
 * Images whose reference contains `never-ready` stay unready (for watchdog tests).
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

export class Simulator {
  private readonly core: CoreV1Api;
  private readonly simulatedNodes = new Set<string>();
  private readonly inFlight = new Set<string>();
  private podIp = 1;

  constructor(
    private readonly kc: KubeConfig,
    private readonly shapes: NodeShape[],
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
        // The kubelet's part of graceful deletion: confirm with a zero grace period.
        await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
        return;
      }
      const ready = !(pod.spec?.containers ?? []).some((c) => (c.image ?? '').includes('never-ready'));
      const readyState = ready ? 'True' : 'False';
      const current = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      if (pod.status?.phase === 'Running' && current === readyState) return;
      const now = new Date();
      const started = pod.status?.startTime ? new Date(pod.status.startTime) : now;
      const status = {
        phase: 'Running',
        hostIP: '10.250.0.1',
        podIP: pod.status?.podIP ?? `10.244.${(this.podIp >> 8) & 255}.${this.podIp++ & 255}`,
        startTime: started,
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
          type,
          status: type === 'PodScheduled' || type === 'Initialized' ? 'True' : readyState,
          lastTransitionTime: now,
        })),
        initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: now } },
        })),
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      };
      // Informer items are raw JSON (dates as strings), so send a merge patch of the status alone,
      // with the patch type chosen explicitly.
      await this.core
        .patchNamespacedPodStatus(
          { name, namespace, body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    } finally {
      this.inFlight.delete(key);
    }
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
