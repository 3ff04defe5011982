// The full resync reads the endpoints table only when the change feed cannot vouch for the desired
// cache (ADR 0016): a monitor whose feed reads every shard requeues every endpoint each period
// without a scan, and scans again after the feed has trouble. And a resync that trusts the feed
// leaves out the endpoints whose last pass was quiet (ADR 0017). Against the local DynamoDB
// server, through the test proxy that can refuse the feed's reads.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { type DynamoProxy, startDynamoProxy } from '../helpers/dynamo-proxy.js';
import { waitAll, waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
// Nodes run the pods, so an endpoint can settle with its replicas ready.
const handle = useLocalEnv({ regions: [A], nodes: true });
let ts: TestStore;
let proxy: DynamoProxy;
let monitor: MonitorProcess;

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  proxy = await startDynamoProxy(handle.env.dynamodb.endpoint);
  monitor = await startMonitor({
    env: handle.env,
    region: A,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    // A resync every second; the table is read again after 20 of them at the latest.
    extraEnv: { DYNAMODB_ENDPOINT: proxy.endpoint, RECONCILE_INTERVAL_SECONDS: '1' },
  });
  await waitLeader(monitor);
}, 120_000);

afterAll(async () => {
  await monitor?.stop();
  await proxy?.close();
  ts?.clients.destroy();
});

/** The monitor's resync and Scan counters, from its /metrics. */
async function counters(): Promise<{
  scanned: number;
  trusted: number;
  scanRequests: number;
  reconciles: number;
  quiet: number;
}> {
  const text = await (await fetch(`${monitor.healthUrl()}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    scanned: value(/^inferctl_resyncs_total\{scan="yes"\} (\d+)$/m),
    trusted: value(/^inferctl_resyncs_total\{scan="no"\} (\d+)$/m),
    scanRequests: value(/^inferctl_store_requests_total\{operation="Scan",result="ok"\} (\d+)$/m),
    reconciles: sum('inferctl_reconcile_total'),
    quiet: sum('inferctl_resync_quiet_skipped_total'),
  };
}

const create = (name: string) =>
  ts.store.createEndpoint({
    name,
    spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0' }),
    targetRegions: [A],
    namespace: 'gco-inference',
  });

test('while the change feed reads every shard, resyncs requeue the endpoints without scanning the table, and a new item still arrives', async () => {
  const c = cluster(handle.env.regions[A]!.kubeconfig);
  await waitFor(
    'a resync that trusts the feed',
    async () => ((await counters()).trusted >= 1 ? true : undefined),
    30_000,
  );
  const before = await counters();
  // The leader's first resync waited for the feed to read every shard, so its scan vouched: one
  // scan at start, not a second one in the next period (which would also requeue every endpoint).
  expect(before.scanned).toBe(1);
  await create('feed-only');
  await waitFor(
    'the Deployment created from the feed',
    async () => c.read('Deployment', 'feed-only'),
    30_000,
  );
  await waitFor(
    'three more resyncs',
    async () => ((await counters()).trusted >= before.trusted + 3 ? true : undefined),
    30_000,
  );
  const after = await counters();
  expect(after.scanned).toBe(before.scanned);
  expect(after.scanRequests).toBe(before.scanRequests);
}, 90_000);

test('after the change feed fails to read, the next resync scans the table again', async () => {
  const c = cluster(handle.env.regions[A]!.kubeconfig);
  const before = await counters();
  proxy.setMode({ kind: 'throttle', fraction: 1, only: { operation: 'GetRecords' } });
  await create('during-trouble');
  await waitFor('a refused stream read', () => (proxy.counts.throttled > 0 ? true : undefined), 30_000);
  // The feed's reads keep failing; the resyncs scan and find the new item through the table.
  await waitFor(
    'a resync that scans',
    async () => ((await counters()).scanned > before.scanned ? true : undefined),
    30_000,
  );
  await waitFor(
    'the Deployment created from the scan',
    async () => c.read('Deployment', 'during-trouble'),
    30_000,
  );
  proxy.setMode({ kind: 'pass' });
  // Once a scan begins after the feed is healthy again, resyncs trust it once more.
  const recovered = await counters();
  await waitFor(
    'resyncs that trust the feed again',
    async () => ((await counters()).trusted >= recovered.trusted + 2 ? true : undefined),
    60_000,
  );
}, 150_000);

test('a settled endpoint is left out of the resyncs that trust the feed, and a hand edit still reaches it at once', async () => {
  const c = cluster(handle.env.regions[A]!.kubeconfig);
  const rec = await create('settles');
  await waitAll(ts.store, A, new Map([['settles', rec.generation]]), 'running', 60_000);
  // Every endpoint's pass after its last write was quiet: three resyncs in a row that trust the
  // feed reconcile nothing at all, and each leaves every endpoint out.
  const endpoints = (await ts.store.listEndpoints()).endpoints.length;
  await waitFor(
    'three resyncs without a scan and without a reconcile',
    async () => {
      const before = await counters();
      await waitFor(
        'three more resyncs',
        async () => ((await counters()).trusted >= before.trusted + 3 ? true : undefined),
        30_000,
      );
      const after = await counters();
      const quietWindow =
        after.scanned === before.scanned &&
        after.reconciles === before.reconciles &&
        after.quiet >= before.quiet + 3 * endpoints;
      return quietWindow ? true : undefined;
    },
    90_000,
  );
  // A hand edit is a watch event: the endpoint is queued at once, not at the next resync.
  await c.patch('Deployment', 'settles', { spec: { replicas: 3 } });
  await waitFor(
    'the hand edit reverted',
    async () => {
      const d = (await c.read('Deployment', 'settles')) as unknown as
        | { spec: { replicas: number } }
        | undefined;
      return d?.spec.replicas === 1 ? true : undefined;
    },
    30_000,
  );
}, 180_000);
