// Issue 15, writes: a batch of endpoints created at once converges with one status item write per
// endpoint and region and one apply per object, and the resyncs afterwards write nothing. Counted
// at the servers, not by the monitor: status writes on a stream of the status table (the one the
// bench follows), applies by the API server's own request counter (only the monitor applies
// Deployments, Services and Ingresses here), Events by listing them: a first creation records none.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { enableStatusStream, followStatus } from '../../bench/status-stream.js';
import { parseSpecOrThrow, type RegionStatus } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { metricSum, waitAll, waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const REGIONS = ['us-east-1', 'eu-west-1'];
const NS = 'gco-inference';
const N = 20;
const APPLIED = new Set(['deployments', 'services', 'ingresses']);

const handle = useLocalEnv({ regions: REGIONS, nodes: true });
let ts: TestStore;
let monitors: MonitorProcess[] = [];
/** Every status item write for the test's endpoints, in stream order. */
const writes: RegionStatus[] = [];
let follower: { stop: () => Promise<void> } | undefined;

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  const arn = await enableStatusStream(ts.clients.dynamodb, ts.tables.status);
  follower = followStatus(ts.clients.streams, arn, (s) => writes.push(s));
  monitors = await Promise.all(
    REGIONS.map((region) =>
      startMonitor({
        env: handle.env,
        region,
        tables: ts.tables,
        logDir: join(handle.dir, 'monitors'),
        // The policy under test, not this machine's speed: a rollout here may take longer than the
        // default 5 s window when the test runs beside others (the slow case has its unit tests).
        extraEnv: { RECONCILE_INTERVAL_SECONDS: '5', STATUS_HOLD_SECONDS: '120' },
      }),
    ),
  );
  for (const m of monitors) await waitLeader(m);
}, 180_000);

afterAll(async () => {
  await follower?.stop();
  for (const m of monitors) await m.stop();
  ts?.clients.destroy();
});

/** Server-side applies (`PATCH` with `application/apply-patch+yaml`) of the endpoint object kinds. */
async function applies(region: string): Promise<number> {
  const res = await cluster(handle.env.regions[region]!.kubeconfig).client.send({
    method: 'GET',
    path: '/metrics',
    verb: 'get',
  });
  let sum = 0;
  for (const line of String(res.body).split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes('verb="APPLY"')) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1];
    if (resource && APPLIED.has(resource)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function monitorEvents(region: string): Promise<{ regarding: { name: string }; type: string }[]> {
  const res = await cluster(handle.env.regions[region]!.kubeconfig).client.send({
    method: 'GET',
    path: `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
    verb: 'list',
  });
  const items = (
    res.body as { items: { reportingController: string; regarding: { name: string }; type: string }[] }
  ).items;
  return items.filter((e) => e.reportingController === 'inferctl.io/monitor');
}

const names = Array.from({ length: N }, (_, i) => `cw-${String(i).padStart(2, '0')}`);

describe('a batch of endpoints converging', () => {
  test('writes one status item per endpoint and region, applies each object once, records no Event', async () => {
    const appliesBefore = await Promise.all(REGIONS.map(applies));
    const generations = new Map<string, number>();
    await Promise.all(
      names.map(async (name) => {
        const rec = await ts.store.createEndpoint({
          name,
          spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', replicas: 1 }),
          targetRegions: REGIONS,
          namespace: NS,
        });
        generations.set(name, rec.generation);
      }),
    );
    for (const region of REGIONS) await waitAll(ts.store, region, generations, 'running', 240_000);
    // Every status item reached the stream.
    await waitFor(
      'every running status item on the stream',
      async () =>
        new Set(writes.filter((s) => s.state === 'running').map(pair)).size === N * REGIONS.length
          ? true
          : undefined,
      30_000,
    );
    // Then resyncs until they have left N endpoints out as quiet in every region (an endpoint is
    // left out when its last pass wrote nothing and nothing that pass read has changed since).
    const quiet = (m: MonitorProcess) => metricSum(m, 'inferctl_resync_quiet_skipped_total');
    const skipped = await Promise.all(monitors.map(quiet));
    await waitFor(
      'resyncs that left the endpoints out as quiet in every region',
      async () => {
        const now = await Promise.all(monitors.map(quiet));
        return now.every((n, i) => n >= skipped[i]! + N) ? true : undefined;
      },
      60_000,
    );

    const byPair = new Map<string, RegionStatus[]>();
    for (const s of writes) byPair.set(pair(s), [...(byPair.get(pair(s)) ?? []), s]);
    // A pair written more than once names the fields that changed, so a failure says why.
    const summary = [...byPair]
      .map(([key, list]) => `${key}: ${list.map((s, i) => s.state + changed(list[i - 1], s)).join(', ')}`)
      .sort();
    expect(summary).toEqual(
      REGIONS.flatMap((region) => names.map((name) => `${region}/${name}: running`)).sort(),
    );
    expect(writes.every((s) => s.observedGeneration === generations.get(s.endpointName))).toBe(true);

    const appliesAfter = await Promise.all(REGIONS.map(applies));
    for (const [i, region] of REGIONS.entries()) {
      // Deployment, Service and Ingress per endpoint: nothing applied twice.
      expect({ region, applies: appliesAfter[i]! - appliesBefore[i]! }).toEqual({ region, applies: 3 * N });
      // The objects' first creation is told by the Deployments and the status items, not Events.
      const events = await monitorEvents(region);
      expect({ region, events: events.filter((e) => names.includes(e.regarding.name)) }).toEqual({
        region,
        events: [],
      });
    }
  }, 420_000);
});

function changed(before: RegionStatus | undefined, after: RegionStatus): string {
  if (!before) return '';
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const diff = [...keys].filter(
    (k) =>
      k !== 'lastSync' &&
      JSON.stringify(before[k as keyof RegionStatus]) !== JSON.stringify(after[k as keyof RegionStatus]),
  );
  return ` (${diff.map((k) => `${k}: ${JSON.stringify(after[k as keyof RegionStatus])}`).join('; ')})`;
}

function pair(s: RegionStatus): string {
  return `${s.region}/${s.endpointName}`;
}
