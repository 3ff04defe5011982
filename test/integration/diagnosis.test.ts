// Issue 13, end to end: a real monitor watches the pods the real scheduler, controllers and the
// simulated kubelet produce, and each endpoint's status item names why it is not serving, with the
// cause's severity; `inferctl status -o json` shows it and `inferctl status --wait` gives up at
// once (exit 5) on a terminal cause. A fix to the spec clears the cause and the endpoint runs. The
// endpoints run side by side in one environment (servers are expensive).
import { join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KubeCaches, KubeClient } from '../../src/kube/index.js';
import { prepareRegion } from '../../src/local/prepare.js';
import {
  assertStatusInvariants,
  type Cause,
  type CauseReason,
  conditionOf,
  type EndpointSpecInput,
  parseSpecOrThrow,
  type RegionStatus,
} from '../../src/model/index.js';
import { waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import { cliRunner } from './cli-support.js';

const REGION = 'us-east-1';
const NS = 'gco-inference';
/** A namespace of its own: a quota there refuses pods to nobody else. */
const QUOTA_NS = 'dg-quota';
const GOOD_IMAGE = 'vllm/vllm-openai:v0.9.0';
const handle = useLocalEnv({ regions: [REGION], nodes: true });
let ts: TestStore;
let monitor: MonitorProcess;
/** The real CLI, in process, against the same tables. */
const cli = (args: string) => cliRunner(() => handle.env.dynamodb.endpoint, ts.tables)(args);

function kubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(handle.env.regions[REGION]!.kubeconfig);
  return kc;
}
const core = () => kubeconfig().makeApiClient(CoreV1Api);

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  await prepareRegion(handle.env.regions[REGION]!.kubeconfig, [QUOTA_NS]);
  await core().createNamespacedResourceQuota({
    namespace: QUOTA_NS,
    body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } },
  });
  monitor = await startMonitor({
    env: handle.env,
    region: REGION,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: { ALLOWED_NAMESPACES: `${NS},${QUOTA_NS}`, RECONCILE_INTERVAL_SECONDS: '5' },
  });
  await waitLeader(monitor);
}, 180_000);

afterAll(async () => {
  await monitor?.stop();
  ts?.clients.destroy();
});

async function create(name: string, spec: Partial<EndpointSpecInput>, namespace = NS): Promise<void> {
  await ts.store.createEndpoint({
    name,
    spec: parseSpecOrThrow({ image: GOOD_IMAGE, ...spec }),
    targetRegions: [REGION],
    namespace,
  });
}

async function statusOf(name: string): Promise<RegionStatus | undefined> {
  const s = (await ts.store.listStatus(name)).find((x) => x.region === REGION);
  if (s) assertStatusInvariants(s);
  return s;
}

/** Waits until the status item lists a cause of `reason` that `accept` takes, and returns both. */
async function causeShown(
  name: string,
  reason: CauseReason,
  accept: (c: Cause) => boolean,
  timeoutMs: number,
): Promise<{ status: RegionStatus; cause: Cause }> {
  return waitFor(
    `${name}: status shows ${reason}`,
    async () => {
      const status = await statusOf(name);
      const cause = status?.causes?.find((c) => c.reason === reason && accept(c));
      return status && cause ? { status, cause } : undefined;
    },
    timeoutMs,
  ).then(async (shown) => {
    // What a user sees: the same cause in `inferctl status -o json`.
    const r = await cli(`status ${name} -o json`);
    expect(r.code).toBe(0);
    const region = (JSON.parse(r.stdout) as { regions: { region: string; causes: Cause[] }[] }).regions.find(
      (x) => x.region === REGION,
    );
    expect(region?.causes.map((c) => c.reason)).toContain(reason);
    return shown;
  });
}

/** `inferctl status --wait` on a terminal cause: exit 5 at once, naming the cause. */
async function waitIsBlocked(name: string, reason: CauseReason): Promise<void> {
  const r = await cli(`status ${name} --wait --timeout 60s`);
  expect(r.code).toBe(5);
  expect(r.stderr).toContain(`${reason} (terminal)`);
}

/** Applies the fix and waits until the endpoint runs its new generation with no cause left. */
async function fixed(name: string, spec: Partial<EndpointSpecInput>): Promise<RegionStatus> {
  const rec = await ts.store.requireEndpoint(name);
  const next = await ts.store.updateSpec(
    name,
    rec.generation,
    parseSpecOrThrow({ image: GOOD_IMAGE, ...spec }),
  );
  return waitFor(
    `${name}: running generation ${next.generation} with no cause`,
    async () => {
      const s = await statusOf(name);
      return s?.state === 'running' && s.observedGeneration === next.generation && s.causes === undefined
        ? s
        : undefined;
    },
    120_000,
  );
}

const stalledBy = (s: RegionStatus) => {
  const c = conditionOf(s, 'Stalled');
  return c?.status === 'True' ? c.reason : undefined;
};

describe('the monitor names why an endpoint is not serving, and a fix clears it', () => {
  // First: it waits the longest (the probe's 2 min grace), and at most five tests run at once.
  test.concurrent('ProbeFailing: running but never ready, past the 2 min grace, naming the probe; waiting', async () => {
    await create('dg-probe', { image: 'example/vllm:simulate-never-ready' });
    const { status, cause } = await causeShown('dg-probe', 'ProbeFailing', () => true, 240_000);
    expect(cause.severity).toBe('waiting');
    expect(cause.message).toContain('readiness probe GET /inference/dg-probe/health on port 8000');
    expect(stalledBy(status)).toBeUndefined();
    await fixed('dg-probe', {});
  }, 420_000);

  test.concurrent('Unschedulable (8 GPUs on a node pool no node has): waiting with the scheduler message; a node selector that fits clears it', async () => {
    await create('dg-unsched', { gpu_count: 8, node_selector: { 'example.com/pool': 'h200' } });
    const { status, cause } = await causeShown('dg-unsched', 'Unschedulable', () => true, 90_000);
    expect(cause).toMatchObject({ severity: 'waiting', track: 'primary', pods: 1 });
    expect(cause.message).toMatch(
      /^0\/\d+ nodes are available: .*didn't match Pod's node affinity\/selector/,
    );
    expect(conditionOf(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(stalledBy(status)).toBeUndefined();
    // A waiting cause does not end a wait: it runs out, and its timeout names the cause.
    const waited = await cli('status dg-unsched --wait --timeout 2s');
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain('Unschedulable');
    await fixed('dg-unsched', { gpu_count: 8 });
  }, 300_000);

  test.concurrent('ImagePullFailed (an invalid image name): terminal at once, Stalled; a new image clears it', async () => {
    await create('dg-pull', { image: 'example/Vllm:0.9' });
    const { status, cause } = await causeShown('dg-pull', 'ImagePullFailed', () => true, 90_000);
    expect(cause).toMatchObject({ severity: 'terminal', details: { waitingReason: 'InvalidImageName' } });
    expect(cause.message).toContain('example/Vllm:0.9');
    expect(stalledBy(status)).toBe('ImagePullFailed');
    await waitIsBlocked('dg-pull', 'ImagePullFailed');
    const after = await fixed('dg-pull', {});
    expect(stalledBy(after)).toBeUndefined();
  }, 300_000);

  test.concurrent('CrashLooping: waiting, then terminal at 3 restarts with the exit code; a new image clears it', async () => {
    await create('dg-crash', { image: 'example/vllm:simulate-crashloop' });
    const { status, cause } = await causeShown(
      'dg-crash',
      'CrashLooping',
      (c) => c.severity === 'terminal',
      120_000,
    );
    expect(cause.details).toMatchObject({ container: 'inference', exitCode: 1 });
    expect(Number(cause.details?.restarts)).toBeGreaterThanOrEqual(3);
    expect(stalledBy(status)).toBe('CrashLooping');
    await waitIsBlocked('dg-crash', 'CrashLooping');
    await fixed('dg-crash', {});
  }, 300_000);

  test.concurrent('CrashLooping from an OOM kill is named as such', async () => {
    await create('dg-oom', { image: 'example/vllm:simulate-oom' });
    const { cause } = await causeShown('dg-oom', 'CrashLooping', () => true, 120_000);
    expect(cause.message).toContain('OOMKilled');
    expect(cause.details).toMatchObject({ exitCode: 137, lastReason: 'OOMKilled' });
  }, 300_000);

  test.concurrent('ModelSyncFailed: the model-sync init container failed; terminal; a working source clears it', async () => {
    await create('dg-sync', { model_source: 's3://bucket/simulate-crashloop/llama' });
    const { status, cause } = await causeShown('dg-sync', 'ModelSyncFailed', () => true, 120_000);
    expect(cause.severity).toBe('terminal');
    expect(cause.message).toContain('init container "model-sync" failed with exit code 1');
    expect(stalledBy(status)).toBe('ModelSyncFailed');
    await waitIsBlocked('dg-sync', 'ModelSyncFailed');
    await fixed('dg-sync', { model_source: 's3://bucket/models/llama' });
  }, 300_000);

  test.concurrent("CreateFailed (a ResourceQuota): the API's message; removing the quota lets the endpoint run", async () => {
    await create('dg-quota', {}, QUOTA_NS);
    const { cause } = await causeShown('dg-quota', 'CreateFailed', () => true, 120_000);
    expect(cause.message).toContain('exceeded quota');
    expect(cause.details).toMatchObject({ kind: 'quota' });
    await core().deleteNamespacedResourceQuota({ name: 'no-pods', namespace: QUOTA_NS });
    await waitFor(
      'dg-quota: running with no cause',
      async () => {
        const s = await statusOf('dg-quota');
        return s?.state === 'running' && s.causes === undefined ? s : undefined;
      },
      120_000,
    );
  }, 300_000);
});

test('the status item carries the Ingress address once the load balancer reports one', async () => {
  await create('dg-url', {});
  await waitFor('dg-url: running', async () => (await statusOf('dg-url'))?.state === 'running', 90_000);
  // What the AWS Load Balancer Controller writes (no such controller runs locally).
  const hostname = 'k8s-inference-1234567890.us-east-1.elb.amazonaws.com';
  await kubeconfig()
    .makeApiClient(NetworkingV1Api)
    .patchNamespacedIngressStatus(
      {
        name: 'inference-dg-url',
        namespace: NS,
        body: { status: { loadBalancer: { ingress: [{ hostname }] } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const s = await waitFor(
    'dg-url: address in its status item',
    async () => {
      const x = await statusOf('dg-url');
      return x?.address === hostname ? x : undefined;
    },
    30_000,
  );
  expect(s.state).toBe('running');
}, 180_000);

test("the pod watch keeps each pod trimmed and maps its events to the endpoint through the pod's Deployment", async () => {
  await create('dg-watch', {});
  await waitFor('dg-watch: running', async () => (await statusOf('dg-watch'))?.state === 'running', 90_000);
  const caches = new KubeCaches(KubeClient.fromConfig(kubeconfig()), { namespaces: [NS], pods: true });
  const seen: string[] = [];
  caches.onChange((name) => seen.push(name));
  caches.start();
  try {
    await caches.synced();
    const [pod, ...others] = caches.podsOf(NS, 'dg-watch');
    expect(others).toEqual([]);
    expect(pod).toMatchObject({
      phase: 'Running',
      containers: [{ name: 'inference', image: GOOD_IMAGE, ready: true }],
    });
    for (const field of ['metadata', 'spec', 'status']) expect(pod).not.toHaveProperty(field);
    // Pods are not owned objects: the endpoint's inventory stays its own kinds.
    expect(caches.byEndpoint('dg-watch').some((o) => o.kind === 'Pod')).toBe(false);
    seen.length = 0;
    await core().patchNamespacedPod(
      {
        name: pod!.name,
        namespace: NS,
        body: { metadata: { annotations: { 'example.com/touched': 'yes' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('a pod event mapped to dg-watch', () => seen.includes('dg-watch'), 20_000);
  } finally {
    await caches.stop();
  }
}, 180_000);
