import { beforeAll, describe, expect, test } from 'vitest';
import {
  assertStatusInvariants,
  type EndpointSpecInput,
  parseSpecOrThrow,
  type RegionStatus,
} from '../../src/model/index.js';
import type { EndpointRecord } from '../../src/store/index.js';
import type { ClusterHandle } from '../helpers/cluster.js';
import { useFleet } from '../helpers/fleet.js';
import type { TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const B = 'eu-west-1';
const fleet = useFleet({
  regions: [A, B],
  monitorEnv: {
    INFERENCE_UNHEALTHY_THRESHOLD_SECONDS: '3',
    RECONCILE_INTERVAL_SECONDS: '5',
    HEARTBEAT_INTERVAL_SECONDS: '2',
  },
});
let ts: TestStore;
let clusters: Record<string, ClusterHandle>;
const monitors = fleet.monitors;
beforeAll(() => {
  ts = fleet.ts;
  clusters = fleet.clusters;
});

const spec = (input: EndpointSpecInput) => parseSpecOrThrow(input);

async function create(name: string, input: EndpointSpecInput, regions = [A, B]): Promise<EndpointRecord> {
  return ts.store.createEndpoint({
    name,
    spec: spec(input),
    targetRegions: regions,
    namespace: 'gco-inference',
  });
}

async function statusOf(name: string, region: string): Promise<RegionStatus | undefined> {
  return (await ts.store.listStatus(name)).find((s) => s.region === region);
}

/** Waits until the region reports `state` for at least `generation`. */
async function waitState(
  name: string,
  region: string,
  state: string,
  generation: number,
  timeoutMs = 60_000,
): Promise<RegionStatus> {
  return waitFor(
    `${name} in ${region} to be ${state} at generation ${generation}`,
    async () => {
      const s = await statusOf(name, region);
      if (s) assertStatusInvariants(s, generation);
      return s && s.state === state && s.observedGeneration >= generation ? s : undefined;
    },
    timeoutMs,
  );
}

type Container = {
  name: string;
  image: string;
  env?: { name: string; value: string }[];
  args?: string[];
  resources?: { limits?: Record<string, string> };
};
type Deployment = {
  spec: {
    replicas?: number;
    template: { spec: { containers: Container[]; nodeSelector?: Record<string, string> } };
  };
};

async function deployment(region: string, name: string): Promise<Deployment | undefined> {
  return (await clusters[region]!.read('Deployment', name)) as unknown as Deployment | undefined;
}

interface MonitorEvent {
  regarding: { kind: string; name: string };
  reportingController: string;
  note: string;
  type: string;
}

/** The monitor's Events about one endpoint's Deployment in `region`. */
async function monitorEvents(region: string, name: string): Promise<MonitorEvent[]> {
  const res = await clusters[region]!.client.send({
    method: 'GET',
    path: '/apis/events.k8s.io/v1/namespaces/gco-inference/events',
    verb: 'list',
  });
  return (res.body as { items: MonitorEvent[] }).items.filter(
    (e) => e.reportingController === 'inferctl.io/monitor' && e.regarding.name === name,
  );
}

describe('monitor', () => {
  test('creates the Deployment, Service and Ingress in every target region and reports running', async () => {
    const rec = await create('alpha', { image: 'vllm/vllm-openai:v0.9.0', replicas: 2 });
    for (const region of [A, B]) {
      const s = await waitState('alpha', region, 'running', rec.generation);
      expect(s.replicasReady).toBe(2);
      expect(await clusters[region]!.read('Service', 'alpha')).toBeDefined();
      expect(await clusters[region]!.read('Ingress', 'inference-alpha')).toBeDefined();
      const d = await deployment(region, 'alpha');
      expect(d?.spec.replicas).toBe(2);
      expect(d?.spec.template.spec.containers[0]?.args).toContain('--root-path');
      // The first creation records no Event: the Deployment and the status item tell it (ADR 0012).
      expect(await monitorEvents(region, 'alpha')).toEqual([]);
    }
  });

  test('converges every spec field, not only image and replicas', async () => {
    const before = await ts.store.requireEndpoint('alpha');
    const current = before.parsed.ok ? before.parsed.value.spec : undefined;
    const rec = await ts.store.updateSpec(
      'alpha',
      before.generation,
      spec({
        ...current!,
        env: { MAX_MODEL_LEN: '4096' },
        args: ['--max-num-seqs', '64'],
        gpu_count: 2,
        capacity_type: 'spot',
        resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '16Gi' } },
      }),
    );
    for (const region of [A, B]) {
      await waitState('alpha', region, 'running', rec.generation);
      const c = (await deployment(region, 'alpha'))!.spec.template.spec;
      const container = c.containers[0]!;
      expect(container.env).toContainEqual({ name: 'MAX_MODEL_LEN', value: '4096' });
      expect(container.args).toEqual(expect.arrayContaining(['--max-num-seqs', '64']));
      expect(container.resources?.limits?.['nvidia.com/gpu']).toBe('2');
      expect(c.nodeSelector?.['karpenter.sh/capacity-type']).toBe('spot');
      // A spec change rolled out is news: one Event on the Deployment says what the monitor did.
      const events = await waitFor(
        `the spec change's Event in ${region}`,
        async () => {
          const ours = await monitorEvents(region, 'alpha');
          return ours.length > 0 ? ours : undefined;
        },
        30_000,
      );
      expect(events.map((e) => e.note).join('\n')).toContain(
        `generation ${rec.generation}: apply Deployment/alpha (HashChanged): configured`,
      );
      expect(events.every((e) => e.regarding.kind === 'Deployment' && e.type === 'Normal')).toBe(true);
    }
  });

  test('reverts hand edits and recreates deleted objects', async () => {
    const c = clusters[A]!;
    await c.remove('Service', 'alpha');
    await c.remove('Ingress', 'inference-alpha');
    await c.patch('Deployment', 'alpha', { spec: { replicas: 5 } });
    await waitFor(
      'Service recreated',
      async () => ((await c.read('Service', 'alpha')) ? true : undefined),
      30_000,
    );
    await waitFor(
      'Ingress recreated',
      async () => ((await c.read('Ingress', 'inference-alpha')) ? true : undefined),
      30_000,
    );
    await waitFor(
      'replicas reverted to 2',
      async () => ((await deployment(A, 'alpha'))?.spec.replicas === 2 ? true : undefined),
      30_000,
    );
    // Undoing a hand deletion is news, unlike the first creation.
    await waitFor(
      'an Event for the re-created Service',
      async () =>
        (await monitorEvents(A, 'alpha')).some((e) =>
          e.note.includes('apply Service/alpha (Missing): created'),
        )
          ? true
          : undefined,
      30_000,
    );
  });

  test('autoscaling hands replicas to an HPA, follows its bounds, and removes it when turned off', async () => {
    let rec = await ts.store.requireEndpoint('alpha');
    const base = rec.parsed.ok ? rec.parsed.value.spec : undefined;
    rec = await ts.store.updateSpec(
      'alpha',
      rec.generation,
      spec({
        ...base!,
        autoscaling: {
          enabled: true,
          min_replicas: 2,
          max_replicas: 6,
          metrics: [{ type: 'cpu', target: 60 }],
        },
      }),
    );
    await waitState('alpha', A, 'running', rec.generation);
    // Handing replicas to the HPA must not drop the Deployment to its default of 1 on the way.
    expect((await deployment(A, 'alpha'))?.spec.replicas).toBe(2);
    const hpa = (await clusters[A]!.read('HorizontalPodAutoscaler', 'alpha')) as unknown as {
      spec: { minReplicas: number; maxReplicas: number };
    };
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    // Another owner (the HPA controller, here a person) sets replicas: the monitor must not fight it.
    await clusters[A]!.patch('Deployment', 'alpha', { spec: { replicas: 3 } });
    await waitFor(
      'status to follow the HPA-owned replica count',
      async () => ((await statusOf('alpha', A))?.replicasDesired === 3 ? true : undefined),
      30_000,
    );
    expect((await deployment(A, 'alpha'))?.spec.replicas).toBe(3);

    rec = await ts.store.updateSpec(
      'alpha',
      rec.generation,
      spec({ ...base!, autoscaling: { enabled: false } }),
    );
    await waitState('alpha', A, 'running', rec.generation);
    await waitFor(
      'HPA removed',
      async () => ((await clusters[A]!.read('HorizontalPodAutoscaler', 'alpha')) ? undefined : true),
      30_000,
    );
    expect((await deployment(A, 'alpha'))?.spec.replicas).toBe(2);
  });

  test('a canary gets weighted routing; rollback removes it and restores plain routing', async () => {
    let rec = await ts.store.requireEndpoint('alpha');
    const base = rec.parsed.ok ? rec.parsed.value.spec : undefined;
    rec = await ts.store.updateSpec(
      'alpha',
      rec.generation,
      spec({ ...base!, canary: { image: 'vllm/vllm-openai:v0.9.1', weight: 20, replicas: 1 } }),
    );
    const s = await waitState('alpha', A, 'running', rec.generation);
    expect(s.canaryReady).toBe(1);
    expect(s.canaryWeight).toBe(20);
    const canary = await deployment(A, 'alpha-canary');
    expect(canary?.spec.template.spec.containers[0]?.image).toBe('vllm/vllm-openai:v0.9.1');
    const weighted = JSON.stringify(await clusters[A]!.read('Ingress', 'inference-alpha'));
    expect(weighted).toContain('alpha-canary');

    rec = await ts.store.updateSpec('alpha', rec.generation, spec({ ...base!, canary: undefined }));
    await waitState('alpha', A, 'running', rec.generation);
    expect(await clusters[A]!.read('Deployment', 'alpha-canary')).toBeUndefined();
    expect(await clusters[A]!.read('Service', 'alpha-canary')).toBeUndefined();
    const plain = JSON.stringify(await clusters[A]!.read('Ingress', 'inference-alpha'));
    expect(plain).not.toContain('alpha-canary');
  });

  test('stop scales to zero and start restores the replica count', async () => {
    let rec = await ts.store.requireEndpoint('alpha');
    rec = await ts.store.setDesiredState('alpha', rec.generation, 'stopped');
    await waitState('alpha', A, 'stopped', rec.generation);
    expect((await deployment(A, 'alpha'))?.spec.replicas).toBe(0);
    rec = await ts.store.setDesiredState('alpha', rec.generation, 'running');
    const s = await waitState('alpha', A, 'running', rec.generation);
    expect(s.replicasReady).toBe(2);
  });

  test('removing a region from the targets removes the endpoint there only', async () => {
    let rec = await ts.store.requireEndpoint('alpha');
    rec = await ts.store.updateTargets('alpha', rec.generation, [A]);
    await waitState('alpha', B, 'deleted', rec.generation);
    expect(await clusters[B]!.read('Deployment', 'alpha')).toBeUndefined();
    expect(await clusters[B]!.read('Ingress', 'inference-alpha')).toBeUndefined();
    expect(await clusters[A]!.read('Deployment', 'alpha')).toBeDefined();
  });

  test('an invalid stored item or a forbidden namespace is reported as an error; other endpoints are untouched', async () => {
    await ts.clients.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).PutCommand({
        TableName: ts.tables.endpoints,
        Item: {
          endpoint_name: 'broken',
          desired_state: 'running',
          target_regions: [A],
          namespace: 'gco-inference',
          generation: 1,
          spec: { image: 'x', model_source: 's3://bucket/$(rm -rf /)' },
        },
      }),
    );
    await ts.store.createEndpoint({
      name: 'sneaky',
      spec: spec({ image: 'vllm/vllm-openai:v0.9.0' }),
      targetRegions: [A],
      namespace: 'kube-system',
    });
    const broken = await waitState('broken', A, 'error', 0);
    expect(broken.error).toMatch(/^spec\.model_source: /);
    const sneaky = await waitState('sneaky', A, 'error', 0);
    expect(sneaky.error).toMatch(/namespace: kube-system is not in ALLOWED_NAMESPACES/);
    expect(await clusters[A]!.read('Deployment', 'sneaky', 'kube-system')).toBeUndefined();
    expect(await clusters[A]!.read('Deployment', 'broken')).toBeUndefined();
    const rec = await create('beta', { image: 'vllm/vllm-openai:v0.9.0' }, [A]);
    await waitState('beta', A, 'running', rec.generation);
  });

  test('the watchdog pulls the Ingress of an endpoint with no ready replica, and restores it on recovery', async () => {
    let rec = await create('gamma', { image: 'example/never-ready:1' }, [A]);
    const tripped = await waitFor(
      'watchdog to trip',
      async () => {
        const s = await statusOf('gamma', A);
        return s?.ingressPulled ? s : undefined;
      },
      60_000,
    );
    expect(tripped.unreadySince).toBeDefined();
    await waitFor(
      'Ingress pulled',
      async () => ((await clusters[A]!.read('Ingress', 'inference-gamma')) ? undefined : true),
      30_000,
    );
    rec = await ts.store.updateSpec('gamma', rec.generation, spec({ image: 'vllm/vllm-openai:v0.9.0' }));
    const healthy = await waitState('gamma', A, 'running', rec.generation);
    expect(healthy.ingressPulled).toBe(false);
    expect(await clusters[A]!.read('Ingress', 'inference-gamma')).toBeDefined();
  });

  test('delete removes every object in every region, then the item is purged', async () => {
    let rec = await ts.store.requireEndpoint('beta');
    rec = await ts.store.setDesiredState('beta', rec.generation, 'deleted');
    await waitFor(
      'item purged',
      async () => ((await ts.store.getEndpoint('beta')) ? undefined : true),
      60_000,
    );
    expect(await clusters[A]!.read('Deployment', 'beta')).toBeUndefined();
    expect(await clusters[A]!.read('Service', 'beta')).toBeUndefined();
    await waitFor(
      'status item removed after purge',
      async () => ((await statusOf('beta', A)) ? undefined : true),
      30_000,
    );
  });

  test('objects whose item vanished (purged while the region was away) are cleaned up', async () => {
    const rec = await create('delta', { image: 'vllm/vllm-openai:v0.9.0' }, [A]);
    await waitState('delta', A, 'running', rec.generation);
    await ts.clients.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).DeleteCommand({
        TableName: ts.tables.endpoints,
        Key: { endpoint_name: 'delta' },
      }),
    );
    await waitFor(
      'orphan Deployment removed',
      async () => ((await clusters[A]!.read('Deployment', 'delta')) ? undefined : true),
      30_000,
    );
    expect(await clusters[A]!.read('Ingress', 'inference-delta')).toBeUndefined();
  });

  test('idle: a resync period passes with no status write and no object change', async () => {
    const rec = await ts.store.requireEndpoint('alpha');
    const s1 = await waitState('alpha', A, 'running', rec.generation);
    const d1 = await clusters[A]!.read('Deployment', 'alpha');
    const i1 = await clusters[A]!.read('Ingress', 'inference-alpha');
    // Two full resync periods (5 s each here) must pass; wait for the heartbeat to move twice as the clock.
    const hb = async () => (await ts.store.listRegions()).find((r) => r.region === A)?.lastHeartbeat;
    const start = await hb();
    await waitFor(
      'two resync periods to pass',
      async () => {
        const now = await hb();
        return now && start && Date.parse(now) - Date.parse(start) >= 11_000 ? true : undefined;
      },
      30_000,
    );
    const s2 = await statusOf('alpha', A);
    expect(s2?.lastSync).toBe(s1.lastSync);
    expect((await clusters[A]!.read('Deployment', 'alpha'))?.metadata.resourceVersion).toBe(
      d1?.metadata.resourceVersion,
    );
    expect((await clusters[A]!.read('Ingress', 'inference-alpha'))?.metadata.resourceVersion).toBe(
      i1?.metadata.resourceVersion,
    );
  });
});

describe('monitor observability', () => {
  test('/metrics counts reconciles, Kubernetes requests by verb, store requests by operation, and leadership', async () => {
    const leader = monitors[0]!;
    const text = await (await fetch(`${leader.healthUrl()}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^inferctl_leader (\d+)$/m)).toBe(1);
    expect(value(/^inferctl_reconcile_total\{result="success"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^inferctl_kube_requests_total\{verb="apply",result="201"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^inferctl_store_requests_total\{operation="Scan",result="ok"\} (\d+)$/m)).toBeGreaterThan(
      0,
    );
    expect(
      value(/^inferctl_actions_total\{kind="Deployment",verb="apply",outcome="created"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(text).toMatch(/^inferctl_reconcile_duration_seconds_count \d+$/m);
    expect(text).toMatch(/^inferctl_change_feed_lag_seconds \d/m);
    const ready = await fetch(`${leader.healthUrl()}/readyz`);
    expect(ready.status).toBe(200);
  });
});
