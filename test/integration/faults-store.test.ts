// Fault: the store goes away, or throttles. The local DynamoDB server is in memory, so the monitor
// talks to it through a loopback proxy (test/helpers/dynamo-proxy.ts) that the test switches to
// "reset every connection" or "answer a fraction of calls with ProvisionedThroughputExceeded".
// Outage of 30 s, as the issue asks: every store loop (resync 5 s, heartbeat 2 s, change feed)
// fails and backs off several times.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { type DynamoProxy, startDynamoProxy } from '../helpers/dynamo-proxy.js';
import { readyz, waitAll, waitLeader, watchStatuses } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import { recordWatch, type WatchRecorder } from '../helpers/watch-recorder.js';

const A = 'us-east-1';
const OUTAGE_MS = 30_000;
const handle = useLocalEnv({ regions: [A], nodes: true });
let ts: TestStore;
let proxy: DynamoProxy;
let monitor: MonitorProcess;
const names = ['store-0', 'store-1', 'store-2', 'store-3'];
const generations = new Map<string, number>();

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  proxy = await startDynamoProxy(handle.env.dynamodb.endpoint);
  monitor = await startMonitor({
    env: handle.env,
    region: A,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: {
      DYNAMODB_ENDPOINT: proxy.endpoint,
      RECONCILE_INTERVAL_SECONDS: '5',
      HEARTBEAT_INTERVAL_SECONDS: '2',
    },
  });
  await waitLeader(monitor);
  for (const name of names) {
    const rec = await ts.store.createEndpoint({
      name,
      spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', env: { STEP: '1' } }),
      targetRegions: [A],
      namespace: 'gco-inference',
    });
    generations.set(name, rec.generation);
  }
  await waitAll(ts.store, A, generations, 'running', 90_000);
}, 180_000);

afterAll(async () => {
  await monitor?.stop();
  await proxy?.close();
  ts?.clients.destroy();
});

async function record(): Promise<Record<string, WatchRecorder>> {
  const kc = handle.env.regions[A]!.kubeconfig;
  return {
    Deployment: await recordWatch(kc, 'Deployment'),
    Service: await recordWatch(kc, 'Service'),
    Ingress: await recordWatch(kc, 'Ingress'),
  };
}

/** Nothing deleted; Services and Ingresses not touched; Deployments only had status updates, except `changed`. */
function expectUntouched(
  recorders: Record<string, WatchRecorder>,
  changed: ReadonlySet<string>,
  hashes: Map<string, string>,
) {
  for (const r of Object.values(recorders)) r.stop();
  for (const [kind, r] of Object.entries(recorders))
    expect(
      r.events.filter((e) => e.type === 'DELETED' || (kind !== 'Deployment' && !changed.has(e.name))),
    ).toEqual([]);
  for (const e of recorders.Deployment!.events) {
    if (changed.has(e.name)) continue;
    expect({ name: e.name, hash: e.hash }).toEqual({ name: e.name, hash: hashes.get(e.name) });
  }
}

async function currentHashes(): Promise<Map<string, string>> {
  const c = cluster(handle.env.regions[A]!.kubeconfig);
  const out = new Map<string, string>();
  for (const name of names) {
    const d = await c.read('Deployment', name);
    out.set(name, d?.metadata.annotations?.['inferctl.io/spec-hash'] ?? '');
  }
  return out;
}

async function update(name: string, step: string): Promise<void> {
  const before = await ts.store.requireEndpoint(name);
  const rec = await ts.store.updateSpec(
    name,
    before.generation,
    parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', env: { STEP: step } }),
  );
  generations.set(name, rec.generation);
}

describe('store faults', () => {
  test(`store unreachable for ${OUTAGE_MS / 1000} s: nothing deleted or changed, not ready naming the store, catches up`, async () => {
    const hashes = await currentHashes();
    const recorders = await record();
    const statuses = watchStatuses(ts.store, A);

    proxy.setMode({ kind: 'down' });
    const downAt = Date.now();
    const resetBefore = proxy.counts.reset;
    const notReady = await waitFor(
      '/readyz to report not ready',
      async () => {
        const r = await readyz(monitor);
        return r.status === 503 ? r : undefined;
      },
      OUTAGE_MS,
    );
    expect(notReady.body).toMatch(/store unavailable/);
    // A change made while the monitor cannot read it (written straight to the server).
    await update('store-0', '2');
    const remaining = OUTAGE_MS - (Date.now() - downAt);
    if (remaining > 0) await new Promise((r) => setTimeout(r, remaining)); // the outage itself
    const attempts = proxy.counts.reset - resetBefore;
    console.log(`store outage: ${attempts} connection attempts refused in ${Date.now() - downAt} ms`);
    // Backing off: a handful of loops retrying with capped backoff, not a hot loop.
    expect(attempts / (OUTAGE_MS / 1000)).toBeLessThan(20);
    expect((await readyz(monitor)).status).toBe(503);

    proxy.setMode({ kind: 'pass' });
    const back = Date.now();
    await waitAll(ts.store, A, generations, 'running', 60_000);
    await waitFor(
      'ready again',
      async () => ((await readyz(monitor)).status === 200 ? true : undefined),
      60_000,
    );
    console.log(`store back: converged and ready ${Date.now() - back} ms after the proxy returned`);
    await statuses.stop();
    expect(statuses.violations).toEqual([]);
    expectUntouched(recorders, new Set(['store-0']), hashes);
    expect(recorders.Deployment!.of('store-0').some((e) => e.hash !== hashes.get('store-0'))).toBe(true);
  });

  test('store throttling (70 % of calls answer ProvisionedThroughputExceeded, so some reads fail even after SDK retries): nothing deleted, changes converge', async () => {
    const hashes = await currentHashes();
    const recorders = await record();
    const statuses = watchStatuses(ts.store, A);
    proxy.setMode({ kind: 'throttle', fraction: 0.7 });
    const throttledBefore = proxy.counts.throttled;
    await update('store-1', '3');
    await update('store-2', '3');
    await waitAll(ts.store, A, generations, 'running', 90_000);
    // Stay throttled across at least two full resyncs (a failed scan must delete nothing).
    await waitFor(
      'at least 40 throttled calls',
      async () => (proxy.counts.throttled - throttledBefore >= 40 ? true : undefined),
      60_000,
    );
    await waitAll(ts.store, A, generations, 'running', 30_000);
    const throttled = proxy.counts.throttled - throttledBefore;
    console.log(`throttling: ${throttled} calls throttled, ${proxy.counts.passed} passed in total`);
    expect(throttled).toBeGreaterThan(0);
    proxy.setMode({ kind: 'pass' });
    await statuses.stop();
    expect(statuses.violations).toEqual([]);
    expectUntouched(recorders, new Set(['store-1', 'store-2']), hashes);
  });
});
