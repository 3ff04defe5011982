// Fault: one region's kube-apiserver stops (etcd keeps running) and starts again on the same port
// with the same certificates. Outage of 30 s, as the issue asks: longer than the
// watch backoff's 30 s cap, so every reflector fails and retries several times.
// While it is down etcd is compacted, so the monitor's watches resume from an expired
// resourceVersion and must relist.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { stopApiserver } from '../../src/local/restart.js';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { metricSum, readyz, waitAll, waitLeader, watchStatuses } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const OUTAGE_MS = 30_000;
const handle = useLocalEnv({ regions: [A], nodes: true });
let ts: TestStore;
let monitor: MonitorProcess;

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  monitor = await startMonitor({
    env: handle.env,
    region: A,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: { RECONCILE_INTERVAL_SECONDS: '5', HEARTBEAT_INTERVAL_SECONDS: '2' },
  });
}, 60_000);

afterAll(async () => {
  await monitor?.stop();
  ts?.clients.destroy();
});

/** etcd's client URL, from its command line (the state file records every process started by `up`). */
function etcdUrl(): string {
  const state = JSON.parse(readFileSync(join(handle.dir, 'state.json'), 'utf8')) as {
    processes: { name: string; pid: number; log: string }[];
  };
  const etcd = state.processes.find((p) => p.name === 'etcd' && p.log === join(handle.dir, A, 'etcd.log'))!;
  const args = readFileSync(`/proc/${etcd.pid}/cmdline`, 'utf8').split('\0');
  return args.find((a) => a.startsWith('--listen-client-urls='))!.split('=')[1]!;
}

async function compactEtcd(): Promise<void> {
  const url = etcdUrl();
  const post = async (path: string, body: unknown) =>
    (await (await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as {
      header: { revision: string };
    };
  // A write of our own moves the revision past anything the monitor has seen; then compact to it.
  await post('/v3/kv/put', { key: Buffer.from('/inferctl-test/bump').toString('base64'), value: 'AA==' });
  const revision = Number((await post('/v3/kv/range', { key: 'AA==' })).header.revision);
  await post('/v3/kv/compaction', { revision, physical: true });
}

test(`kube-apiserver down ${OUTAGE_MS / 1000} s with an etcd compaction: the monitor keeps running, relists, converges the changes made meanwhile`, async () => {
  await waitLeader(monitor);
  const generations = new Map<string, number>();
  const create = async (name: string, env: Record<string, string>) => {
    const rec = await ts.store.createEndpoint({
      name,
      spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', env }),
      targetRegions: [A],
      namespace: 'gco-inference',
    });
    generations.set(name, rec.generation);
  };
  for (const name of ['api-0', 'api-1', 'api-2']) await create(name, { STEP: '1' });
  await waitAll(ts.store, A, generations, 'running', 90_000);
  const statuses = watchStatuses(ts.store, A);
  const pid = monitor.child.pid;

  const stopped = await stopApiserver(handle.dir, A);
  const downAt = Date.now();
  // Changes the monitor sees (change feed) but cannot apply yet.
  const before = await ts.store.requireEndpoint('api-0');
  const rec = await ts.store.updateSpec(
    'api-0',
    before.generation,
    parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.1', env: { STEP: '2' } }),
  );
  generations.set('api-0', rec.generation);
  await create('api-new', { STEP: '1' });
  const r1 = await ts.store.requireEndpoint('api-1');
  await ts.store.setDesiredState('api-1', r1.generation, 'deleted');
  generations.delete('api-1');
  await compactEtcd();
  const remaining = OUTAGE_MS - (Date.now() - downAt);
  if (remaining > 0) await new Promise((r) => setTimeout(r, remaining)); // the outage itself
  // Still the same process, alive, serving its health endpoints.
  expect(monitor.child.exitCode).toBeNull();
  expect((await fetch(`${monitor.healthUrl()}/healthz`)).status).toBe(200);
  const errorsDuringOutage = await metricSum(monitor, 'inferctl_reconcile_errors_total');

  await stopped.start();
  const back = Date.now();
  // First the monitor's own part: the cluster holds what changed during the outage.
  const c = cluster(handle.env.regions[A]!.kubeconfig);
  await waitFor(
    'the changes made during the outage applied',
    async () => {
      const d = (await c.read('Deployment', 'api-0')) as unknown as {
        spec: { template: { spec: { containers: { image: string }[] } } };
      };
      const applied =
        d.spec.template.spec.containers[0]?.image === 'vllm/vllm-openai:v0.9.1' &&
        (await c.read('Deployment', 'api-new')) !== undefined &&
        (await c.read('Deployment', 'api-1')) === undefined;
      return applied ? true : undefined;
    },
    60_000,
  );
  const appliedMs = Date.now() - back;
  // Then the pods, which is kube-controller-manager's part and takes far longer: its informers sit
  // out client-go's reflector backoff (30 s cap, up to 60 s with jitter) before they see the new
  // ReplicaSets, and its ReplicaSet controller meanwhile fails "read version is not as new as
  // written version" and backs off per key (5 ms doubling). Observed: 51-96 s after the restart.
  await waitAll(ts.store, A, generations, 'running', 240_000);
  await waitFor(
    'api-1 deleted and purged',
    async () => ((await ts.store.getEndpoint('api-1')) ? undefined : true),
    60_000,
  );
  console.log(
    `apiserver back: changes applied ${appliedMs} ms and running ${Date.now() - back} ms after restart; ${errorsDuringOutage} reconcile errors during the outage`,
  );
  // The watches came back through a relist (the old resourceVersions were compacted away).
  const log = readFileSync(monitor.log, 'utf8');
  expect(log).toMatch(/watch expired; relisting/);
  // The watches did not sit out the backoff they grew during the outage (up to 30 s): the first
  // answer from the restarted server woke them.
  expect(log).toMatch(/API server answers again; watches and failed reconciles retry now/);
  // And the caches are live again: a hand edit is reverted, which needs the watch to deliver it.
  await c.patch('Deployment', 'api-2', { spec: { replicas: 4 } });
  await waitFor(
    'hand edit reverted after the restart',
    async () => {
      const dep = (await c.read('Deployment', 'api-2')) as unknown as { spec: { replicas: number } };
      return dep.spec.replicas === 1 ? true : undefined;
    },
    30_000,
  );
  await waitFor('ready', async () => ((await readyz(monitor)).status === 200 ? true : undefined), 30_000);
  expect(monitor.child.pid).toBe(pid);
  expect(monitor.child.exitCode).toBeNull();
  await statuses.stop();
  expect(statuses.violations).toEqual([]);
}, 420_000);
