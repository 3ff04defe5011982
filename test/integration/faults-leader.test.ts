// Fault: the leading monitor is killed with SIGKILL in the middle of a batch of changes. Two
// monitor processes in one region, short lease (4 s). Scaled to 10 endpoints (the batch
// size does not change what is proved; it keeps the file well under a minute of work).
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ANNOTATION_SPEC_HASH, parseSpecOrThrow } from '../../src/model/index.js';
import { render } from '../../src/render/index.js';
import type { EndpointRecord } from '../../src/store/index.js';
import { metric, metricSum, waitAll, waitLeader, watchStatuses } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import { recordWatch } from '../helpers/watch-recorder.js';

const A = 'us-east-1';
const N = 10;
const LEASE_SECONDS = 4;
const handle = useLocalEnv({ regions: [A], nodes: true });
let ts: TestStore;
const monitors: MonitorProcess[] = [];

const start = (identity: string) =>
  startMonitor({
    env: handle.env,
    region: A,
    tables: ts.tables,
    identity,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: {
      LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
      RENEW_DEADLINE_SECONDS: '3',
      RETRY_PERIOD_SECONDS: '0.5',
      RECONCILE_INTERVAL_SECONDS: '5',
      HEARTBEAT_INTERVAL_SECONDS: '2',
    },
  });

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
}, 60_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  ts?.clients.destroy();
});

/** The spec hash the monitor renders on this record's Deployment. */
function deploymentHash(rec: EndpointRecord): string {
  if (!rec.parsed.ok) throw new Error(`${rec.name}: invalid`);
  const d = render(rec.parsed.value, A).find((o) => o.kind === 'Deployment' && o.metadata.name === rec.name);
  const h = d?.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  if (!h) throw new Error(`${rec.name}: no rendered hash`);
  return h;
}

test('kill -9 of the leader mid-batch: the standby takes over within the lease, finishes, nothing goes backwards or flaps', async () => {
  const leader = await start('leader-1');
  monitors.push(leader);
  await waitLeader(leader);
  const standby = await start('standby-2');
  monitors.push(standby);
  expect(await metric(standby, 'inferctl_leader')).toBe(0);

  const names = Array.from({ length: N }, (_, i) => `lead-${i}`);
  const hashes = new Map<string, string[]>(); // name → rendered hashes, in generation order
  const gen1 = new Map<string, number>();
  for (const name of names) {
    const rec = await ts.store.createEndpoint({
      name,
      spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', env: { STEP: '1' } }),
      targetRegions: [A],
      namespace: 'gco-inference',
    });
    gen1.set(name, rec.generation);
    hashes.set(name, [deploymentHash(rec)]);
  }
  await waitAll(ts.store, A, gen1, 'running', 90_000);

  // From here on: every Deployment write and every status item is recorded.
  const deployments = await recordWatch(handle.env.regions[A]!.kubeconfig, 'Deployment');
  const statuses = watchStatuses(ts.store, A);

  const gen2 = new Map<string, number>();
  const update = async (name: string) => {
    const before = await ts.store.requireEndpoint(name);
    const rec = await ts.store.updateSpec(
      name,
      before.generation,
      parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.1', env: { STEP: '2' } }),
    );
    gen2.set(name, rec.generation);
    hashes.get(name)!.push(deploymentHash(rec));
  };
  const [first, second] = [names.slice(0, N / 2), names.slice(N / 2)];
  for (const name of first) await update(name);
  // Mid-way: the leader has started on the first half (one Deployment already rewritten).
  await waitFor(
    'the leader to start on the batch',
    async () => (deployments.events.some((e) => e.hash === hashes.get(e.name)?.[1]) ? true : undefined),
    30_000,
  );
  const killedAt = Date.now();
  await leader.stop('SIGKILL');
  for (const name of second) await update(name);

  await waitLeader(standby, (LEASE_SECONDS + 20) * 1000);
  const takeoverMs = Date.now() - killedAt;
  console.log(`standby took over ${takeoverMs} ms after kill -9 (lease ${LEASE_SECONDS} s)`);
  expect(takeoverMs).toBeLessThan((LEASE_SECONDS + 6) * 1000);

  await waitAll(ts.store, A, gen2, 'running', 90_000);
  // A full resync after convergence (every endpoint reconciled once more, or left out as quiet:
  // its last pass wrote nothing and nothing it read has changed), so a late or duplicate write
  // would be seen by the recorders.
  const looked = async () =>
    (await metricSum(standby, 'inferctl_reconcile_total')) +
    (await metricSum(standby, 'inferctl_resync_quiet_skipped_total'));
  const runs = await looked();
  await waitFor(
    'one more full resync',
    async () => ((await looked()) >= runs + N ? true : undefined),
    30_000,
  );
  await statuses.stop();
  deployments.stop();

  expect(statuses.violations).toEqual([]);
  expect(deployments.events.filter((e) => e.type === 'DELETED')).toEqual([]);
  for (const name of names) {
    const rendered = hashes.get(name)!;
    const seen = deployments.of(name).map((e) => e.hash);
    // Every version of the object carries a hash we rendered, and the hash only moves forward:
    // old → new once, never back (no replica wrote stale content after the other wrote new).
    for (const h of seen) expect(rendered).toContain(h);
    const distinct = seen.filter((h, i) => i === 0 || h !== seen[i - 1]);
    expect(distinct.at(-1)).toBe(rendered[1]);
    expect(distinct.length).toBeLessThanOrEqual(2);
    if (distinct.length === 2) expect(distinct[0]).toBe(rendered[0]);
  }
}, 240_000);
