// Fault: a region's monitor is down while an endpoint is removed from its targets and another is
// deleted and purged elsewhere (the item is deleted by hand once only the live region reports,
// since the purge waits for every target region). When the monitor returns it removes both sets
// of objects (the orphan rule: only after a complete scan), reports correctly, catches up on the
// change it missed, and leaves everything else as it was (same object uids).

import { join } from 'node:path';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { type ClusterHandle, cluster } from '../helpers/cluster.js';
import { waitAll, waitLeader, watchStatuses } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const B = 'eu-west-1';
const handle = useLocalEnv({ regions: [A, B], nodes: true });
let ts: TestStore;
const monitors: MonitorProcess[] = [];
let clusters: Record<string, ClusterHandle>;

const start = async (region: string) => {
  const m = await startMonitor({
    env: handle.env,
    region,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: { RECONCILE_INTERVAL_SECONDS: '5', HEARTBEAT_INTERVAL_SECONDS: '2' },
  });
  monitors.push(m);
  await waitLeader(m);
  return m;
};

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  clusters = {
    [A]: cluster(handle.env.regions[A]!.kubeconfig),
    [B]: cluster(handle.env.regions[B]!.kubeconfig),
  };
}, 60_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  ts?.clients.destroy();
});

const uid = async (region: string, kind: string, name: string) =>
  (await clusters[region]!.read(kind, name))?.metadata.uid;

test('a region down while an endpoint leaves its targets and another is purged: on return it cleans up and reports', async () => {
  await start(A);
  const monitorB = await start(B);
  const generations = new Map<string, number>();
  for (const name of ['rd-keep', 'rd-shrink', 'rd-gone']) {
    const rec = await ts.store.createEndpoint({
      name,
      spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0' }),
      targetRegions: [A, B],
      namespace: 'gco-inference',
    });
    generations.set(name, rec.generation);
  }
  await waitAll(ts.store, A, generations, 'running', 90_000);
  await waitAll(ts.store, B, generations, 'running', 90_000);
  const uidsA = new Map<string, string | undefined>();
  for (const name of generations.keys()) uidsA.set(name, await uid(A, 'Deployment', name));
  const keepB = await uid(B, 'Deployment', 'rd-keep');
  const statusesB = watchStatuses(ts.store, B);

  await monitorB.stop('SIGKILL');

  // While B is away: shrink the targets of one, delete (and purge by hand) another, change a third.
  let rec = await ts.store.requireEndpoint('rd-shrink');
  rec = await ts.store.updateTargets('rd-shrink', rec.generation, [A]);
  const shrinkGeneration = rec.generation;
  rec = await ts.store.requireEndpoint('rd-gone');
  rec = await ts.store.setDesiredState('rd-gone', rec.generation, 'deleted');
  await waitFor(
    'rd-gone deleted in A',
    async () => {
      const s = (await ts.store.listStatus('rd-gone')).find((x) => x.region === A);
      return s?.state === 'deleted' ? true : undefined;
    },
    60_000,
  );
  // B cannot report, so the item is not purged by itself; an operator purges it.
  expect(await ts.store.getEndpoint('rd-gone')).toBeDefined();
  await ts.clients.doc.send(
    new DeleteCommand({ TableName: ts.tables.endpoints, Key: { endpoint_name: 'rd-gone' } }),
  );
  rec = await ts.store.requireEndpoint('rd-keep');
  rec = await ts.store.updateSpec(
    'rd-keep',
    rec.generation,
    parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.1' }),
  );
  const keepGeneration = rec.generation;
  // B's objects are all still there while it is away.
  for (const name of ['rd-keep', 'rd-shrink', 'rd-gone'])
    expect(await uid(B, 'Deployment', name)).toBeDefined();

  const returned = Date.now();
  await start(B);
  await waitAll(ts.store, B, new Map([['rd-keep', keepGeneration]]), 'running', 90_000);
  await waitAll(ts.store, B, new Map([['rd-shrink', shrinkGeneration]]), 'deleted', 60_000);
  await waitFor(
    'every rd-gone status item removed',
    async () => ((await ts.store.listStatus('rd-gone')).length === 0 ? true : undefined),
    60_000,
  );
  for (const kind of ['Deployment', 'Service']) {
    for (const name of ['rd-shrink', 'rd-gone']) {
      await waitFor(
        `${kind} ${name} removed from ${B}`,
        async () => ((await uid(B, kind, name)) ? undefined : true),
        30_000,
      );
    }
  }
  for (const name of ['inference-rd-shrink', 'inference-rd-gone'])
    expect(await clusters[B]!.read('Ingress', name)).toBeUndefined();
  console.log(`region back: cleaned up and caught up ${Date.now() - returned} ms after the monitor returned`);

  // Nothing else was touched: the kept endpoint was updated in place, A still runs what it should.
  expect(await uid(B, 'Deployment', 'rd-keep')).toBe(keepB);
  expect(await uid(A, 'Deployment', 'rd-keep')).toBe(uidsA.get('rd-keep'));
  expect(await uid(A, 'Deployment', 'rd-shrink')).toBe(uidsA.get('rd-shrink'));
  expect(await uid(A, 'Deployment', 'rd-gone')).toBeUndefined();
  await waitAll(
    ts.store,
    A,
    new Map([
      ['rd-keep', keepGeneration],
      ['rd-shrink', shrinkGeneration],
    ]),
    'running',
    30_000,
  );
  await statusesB.stop();
  expect(statusesB.violations).toEqual([]);
}, 300_000);
