// Fault: a monitor takes over while the endpoints table refuses every scan. Its desired cache is
// empty, which must read as "not known yet", never as "every endpoint is gone": the objects of the
// cluster stay, even when a change in the cluster asks for a reconcile, until a scan succeeds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { type DynamoProxy, startDynamoProxy } from '../helpers/dynamo-proxy.js';
import { waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const handle = useLocalEnv({ regions: [A] });
let ts: TestStore;
let proxy: DynamoProxy;
const monitors: MonitorProcess[] = [];

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  proxy = await startDynamoProxy(handle.env.dynamodb.endpoint);
});

afterAll(async () => {
  for (const m of monitors) await m.stop();
  await proxy?.close();
  ts?.clients.destroy();
});

const start = async (identity: string, endpoint: string) => {
  const m = await startMonitor({
    env: handle.env,
    region: A,
    tables: ts.tables,
    identity,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: { DYNAMODB_ENDPOINT: endpoint, RECONCILE_INTERVAL_SECONDS: '2' },
  });
  monitors.push(m);
  return m;
};

const failedScans = (m: MonitorProcess) =>
  readFileSync(m.log, 'utf8')
    .split('\n')
    .filter((line) => line.includes('store unavailable') && line.includes('during Scan')).length;

test('a leader whose scans of the endpoints table all fail deletes nothing, even on a cluster change; it converges once a scan succeeds', async () => {
  const c = cluster(handle.env.regions[A]!.kubeconfig);
  await ts.store.createEndpoint({
    name: 'keep-me',
    spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0' }),
    targetRegions: [A],
    namespace: 'gco-inference',
  });
  const first = await start('first-scan-1', handle.env.dynamodb.endpoint);
  await waitLeader(first);
  await waitFor('the Deployment created', async () => c.read('Deployment', 'keep-me'), 60_000);
  await first.stop();

  proxy.setMode({ kind: 'throttle', fraction: 1, only: { operation: 'Scan', table: ts.tables.endpoints } });
  const second = await start('first-scan-2', proxy.endpoint);
  await waitLeader(second);
  await waitFor('a failed scan', async () => (failedScans(second) >= 1 ? true : undefined), 60_000);
  // A change in the cluster queues the endpoint at once (a hand edit the monitor would revert).
  await c.patch('Deployment', 'keep-me', { spec: { replicas: 3 } });
  // Two more resync periods, each failing its scan and queueing every endpoint it knows of.
  const seen = failedScans(second);
  await waitFor(
    'two more failed scans',
    async () => (failedScans(second) >= seen + 2 ? true : undefined),
    60_000,
  );
  expect(await c.read('Deployment', 'keep-me')).toBeDefined();
  expect(await c.read('Service', 'keep-me')).toBeDefined();
  expect(readFileSync(second.log, 'utf8')).not.toMatch(/"outcome":"deleted"/);

  proxy.setMode({ kind: 'pass' });
  await waitFor(
    'the hand edit reverted once a scan succeeded',
    async () => {
      const d = (await c.read('Deployment', 'keep-me')) as unknown as
        | { spec: { replicas: number } }
        | undefined;
      return d?.spec.replicas === 1 ? true : undefined;
    },
    60_000,
  );
  expect(readFileSync(second.log, 'utf8')).not.toMatch(/"outcome":"deleted"/);
}, 240_000);
