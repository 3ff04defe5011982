// Issue 14, region waves, across three real regions: each region's monitor decides from the status
// table alone whether it may apply a generation. A crash-looping image halts in the first wave and
// never reaches the others (checked on every Deployment watch event there) and, with
// `on_failure: revert`, the first wave goes back; a good image goes wave by wave after the bake; a
// leader failover during the bake neither restarts nor skips it; without a policy every region
// applies at once. Small bakes and one endpoint per case keep it short.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { statusSchema } from '../../src/cli/views.js';
import {
  ANNOTATION_SPEC_HASH,
  aggregatePhase,
  conditionOf,
  deploymentName,
  type EndpointSpecInput,
  type KubeObject,
  parseSpecOrThrow,
  type RegionStatus,
} from '../../src/model/index.js';
import { render } from '../../src/render/index.js';
import {
  type DynamoStore,
  type EndpointRecord,
  ensureTables,
  openStore,
  type StoreClients,
} from '../../src/store/index.js';
import { cluster } from '../helpers/cluster.js';
import { metric, waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { waitFor } from '../helpers/wait.js';
import { recordWatch, type WatchRecorder } from '../helpers/watch-recorder.js';
import { cliRunner } from './cli-support.js';

const A = 'us-east-1';
const B = 'eu-west-1';
const C = 'ap-northeast-1';
const REGIONS = [A, B, C];
const GOOD = 'vllm/vllm-openai:v0.9.0';
const GOOD_NEXT = 'vllm/vllm-openai:v0.9.1';
const CRASHING = 'example/vllm:simulate-crashloop';
const WAVES = [[A], [B, C]];

const handle = useLocalEnv({ regions: REGIONS, nodes: true });
const suffix = Math.random().toString(36).slice(2, 8);
const tables = {
  endpoints: `wv-endpoints-${suffix}`,
  status: `wv-status-${suffix}`,
  revisions: `wv-revisions-${suffix}`,
};
let store: DynamoStore;
let clients: StoreClients;
const monitors: MonitorProcess[] = [];
const cli = (args: string) => cliRunner(() => handle.env.dynamodb.endpoint, tables)(args);

const startIn = (region: string, identity: string) =>
  startMonitor({
    env: handle.env,
    region,
    tables,
    identity,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: {
      LEASE_DURATION_SECONDS: '4',
      RENEW_DEADLINE_SECONDS: '3',
      RETRY_PERIOD_SECONDS: '0.5',
      HEARTBEAT_INTERVAL_SECONDS: '2',
    },
  });

beforeAll(async () => {
  ({ store, clients } = openStore({ tables, endpoint: handle.env.dynamodb.endpoint, region: 'us-east-1' }));
  await ensureTables(clients.dynamodb, tables);
  // Two monitors in the first wave's region, for the failover case; one elsewhere.
  for (const [region, identity] of [
    [A, 'wave-a-1'],
    [A, 'wave-a-2'],
    [B, 'wave-b'],
    [C, 'wave-c'],
  ] as const)
    monitors.push(await startIn(region, identity));
  for (const m of monitors.filter((m) => m.region !== A)) await waitLeader(m);
  await waitFor('a leader in the first wave', async () => (await leaderIn(A)) ?? undefined, 60_000);
}, 300_000);

afterAll(async () => {
  for (const m of monitors.splice(0)) await m.stop();
  clients?.destroy();
});

async function leaderIn(region: string): Promise<MonitorProcess | undefined> {
  for (const m of monitors.filter((x) => x.region === region && !x.exited))
    if ((await metric(m, 'inferctl_leader').catch(() => 0)) === 1) return m;
  return undefined;
}

const policy = (bake: number, onFailure: 'halt' | 'revert') => ({
  waves: WAVES,
  bake_seconds: bake,
  on_failure: onFailure,
  progress_deadline_seconds: 300,
});
const note = (summary: string) => ({ writtenBy: 'waves-test', summary });

async function create(name: string, spec: Partial<EndpointSpecInput>): Promise<EndpointRecord> {
  return store.createEndpoint(
    {
      name,
      spec: parseSpecOrThrow({ image: GOOD, replicas: 1, ...spec }),
      targetRegions: REGIONS,
      namespace: 'gco-inference',
    },
    note(`created ${name}`),
  );
}

async function changeImage(name: string, image: string): Promise<EndpointRecord> {
  const rec = await store.requireEndpoint(name);
  if (!rec.parsed.ok) throw rec.parsed.error;
  const spec = { ...rec.parsed.value.spec, image };
  return store.updateEndpoint(name, rec.generation, { spec }, note(`image → ${image}`));
}

async function statuses(name: string): Promise<Map<string, RegionStatus>> {
  return new Map((await store.listStatus(name)).map((s) => [s.region, s]));
}

/** Every region reports `generation` running (healthy) and has for at least `bakeMs`. */
async function settledEverywhere(name: string, generation: number, bakeMs: number): Promise<void> {
  await waitFor(
    `${name}: generation ${generation} healthy for the bake in every region`,
    async () => {
      const all = await statuses(name);
      return REGIONS.every((r) => {
        const s = all.get(r);
        return (
          s?.state === 'running' &&
          s.observedGeneration === generation &&
          s.healthySince !== undefined &&
          Date.now() - Date.parse(s.healthySince) > bakeMs
        );
      });
    },
    180_000,
  );
}

/** The spec hash the monitor of `region` puts on the endpoint's Deployment for this record. */
function hashIn(rec: EndpointRecord, region: string): string {
  if (!rec.parsed.ok) throw rec.parsed.error;
  const d = render(rec.parsed.value, region).find(
    (o: KubeObject) => o.kind === 'Deployment' && o.metadata.name === deploymentName(rec.name),
  );
  const hash = d?.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  if (!hash) throw new Error(`${rec.name}: no rendered hash`);
  return hash;
}

const kubeconfig = (region: string) => handle.env.regions[region]!.kubeconfig;

/** Watch events of the endpoint's Deployment in each of `regions`, from now on. */
async function recordDeployments(regions: readonly string[]): Promise<Map<string, WatchRecorder>> {
  const out = new Map<string, WatchRecorder>();
  for (const r of regions) out.set(r, await recordWatch(kubeconfig(r), 'Deployment'));
  return out;
}

/** When the region's Deployment first carried `hash` (test clock, epoch ms). */
function firstWith(rec: WatchRecorder, name: string, hash: string): number | undefined {
  return rec.of(deploymentName(name)).find((e) => e.hash === hash)?.at;
}

describe('region waves', () => {
  test('a crash-looping image halts in the first wave, never reaches the others, and the first wave reverts', async () => {
    const name = 'wv-crash';
    const first = await create(name, { rollout: policy(2, 'revert') });
    await settledEverywhere(name, 1, 2_000);
    const watches = await recordDeployments([B, C]);
    try {
      const bad = await changeImage(name, CRASHING);
      expect(bad.generation).toBe(2);

      const halted = await waitFor(
        `${name}: ${A} halts generation 2 and reverts to 1`,
        async () => {
          const a = (await statuses(name)).get(A);
          return a?.halt?.generation === 2 && a.halt.revertedTo === 1 ? a.halt : undefined;
        },
        180_000,
      );
      expect(halted.reason).toBe('CrashLooping');
      // The first wave serves generation 1 again: its Deployment and its status say so.
      await waitFor(
        `${name}: ${A} serves generation 1 again`,
        async () => {
          const a = (await statuses(name)).get(A);
          const d = await readDeployment(A, name);
          return (
            a?.observedGeneration === 1 &&
            a.state === 'running' &&
            d?.metadata.annotations?.[ANNOTATION_SPEC_HASH] === hashIn(first, A)
          );
        },
        120_000,
      );
      // The other waves saw the halt (their status names it) …
      for (const r of [B, C]) {
        await waitFor(`${name}: ${r} reports the halt`, async () => {
          const s = (await statuses(name)).get(r);
          return conditionOf(s ?? { conditions: [] }, 'Reconciling')?.reason === 'RolloutHalted';
        });
      }
      // … and not one watch event there ever carried generation 2's spec.
      for (const r of [B, C]) {
        const events = watches.get(r)!.of(deploymentName(name));
        expect(events.filter((e) => e.hash !== hashIn(first, r))).toEqual([]);
        const s = (await statuses(name)).get(r);
        expect([s?.observedGeneration, s?.state]).toEqual([1, 'running']);
      }

      // The first wave said so where `kubectl describe` shows it, and counted it.
      const shown = await waitFor(`${name}: the halt and revert Events in ${A}`, async () => {
        const events = await eventsOf(A, name);
        const has = (type: string, reason: string) =>
          events.some((e) => e.type === type && e.reason === reason);
        return has('Warning', 'RolloutHalted') && has('Normal', 'RolloutReverted') ? events : undefined;
      });
      expect(shown.find((e) => e.reason === 'RolloutHalted')?.note).toContain('CrashLooping');
      const leader = (await leaderIn(A))!;
      expect(await metric(leader, 'inferctl_rollout_halts_total')).toBe(1);
      expect(await metric(leader, 'inferctl_rollout_reverts_total')).toBe(1);

      const all = [...(await statuses(name)).values()];
      const aggregate = aggregatePhase(
        { desiredState: 'deploying', targetRegions: REGIONS, generation: 2 },
        all,
      );
      expect(aggregate.phase).toBe('halted');
      expect(aggregate.message).toContain(`halted in ${A}: CrashLooping`);
      const r = await cli(`status ${name} -o json`);
      expect(r.code, r.stderr).toBe(0);
      const view = statusSchema.parse(JSON.parse(r.stdout));
      expect(view.state).toBe('halted');
      // What a user reads there for a later wave: the gate it waits on names the region and cause.
      const gate = view.regions.find((x) => x.region === B)?.conditions.find((c) => c.type === 'Reconciling');
      expect(gate).toMatchObject({ reason: 'RolloutHalted' });
      expect(gate?.message).toContain(`halted in ${A}: CrashLooping`);
    } finally {
      for (const w of watches.values()) w.stop();
    }
  }, 420_000);

  test('a good image goes to the first wave, bakes, then to the others; status --wait returns when the last is ready', async () => {
    const name = 'wv-good';
    const BAKE = 3;
    await create(name, { rollout: policy(BAKE, 'halt') });
    await settledEverywhere(name, 1, 0);
    const watches = await recordDeployments([B, C]);
    try {
      const next = await changeImage(name, GOOD_NEXT);
      const waited = await cli(`status ${name} --wait --timeout 180s`);
      expect(waited.code, waited.stderr).toBe(0);
      const after = await statuses(name);
      expect(after.get(C)).toMatchObject({ state: 'running', observedGeneration: 2 });

      const a = after.get(A)!;
      expect(a.observedGeneration).toBe(2);
      const openable = Date.parse(a.healthySince!) + BAKE * 1000;
      for (const r of [B, C]) {
        const applied = firstWith(watches.get(r)!, name, hashIn(next, r));
        expect(applied, `${r} applied generation 2`).toBeDefined();
        expect(applied!).toBeGreaterThanOrEqual(openable);
        // The wave's start is an Event there, and the gate's delay was measured.
        const started = (await eventsOf(r, name)).filter((e) => e.reason === 'WaveStarted');
        expect(started.map((e) => e.note)).toContainEqual(expect.stringMatching(/^generation 2: /));
        const m = monitors.find((x) => x.region === r)!;
        expect(await metric(m, 'inferctl_rollout_gate_delay_seconds_count')).toBeGreaterThanOrEqual(1);
      }
    } finally {
      for (const w of watches.values()) w.stop();
    }
  }, 420_000);

  test('a leader failover in the first wave during the bake neither restarts nor skips it', async () => {
    const name = 'wv-failover';
    const BAKE = 30; // room for a failover on a loaded machine: the case needs it inside the bake
    await create(name, { rollout: policy(BAKE, 'halt') });
    await settledEverywhere(name, 1, 0);
    const watches = await recordDeployments([B]);
    try {
      const next = await changeImage(name, GOOD_NEXT);
      const bakeStart = await waitFor(
        `${name}: ${A} healthy at generation 2`,
        async () => {
          const a = (await statuses(name)).get(A);
          return a?.observedGeneration === 2 && a.healthySince ? a.healthySince : undefined;
        },
        120_000,
      );
      const old = await leaderIn(A);
      expect(old).toBeDefined();
      await old!.stop();
      const successor = await waitFor(
        `a new leader in ${A}`,
        async () => (await leaderIn(A)) ?? undefined,
        30_000,
      );
      expect(successor.identity).not.toBe(old!.identity);
      // The failover happened inside the bake, or the case proves nothing.
      expect(Date.now()).toBeLessThan(Date.parse(bakeStart) + BAKE * 1000);

      const applied = await waitFor(
        `${name}: ${B} applies generation 2`,
        () => firstWith(watches.get(B)!, name, hashIn(next, B)),
        120_000,
      );
      expect(applied).toBeGreaterThanOrEqual(Date.parse(bakeStart) + BAKE * 1000);
      // The new leader continued the clock from the status item.
      expect((await statuses(name)).get(A)?.healthySince).toBe(bakeStart);
    } finally {
      for (const w of watches.values()) w.stop();
    }
  }, 420_000);

  test('without a policy every region applies a generation at once, even one that crash-loops', async () => {
    const name = 'wv-none';
    await create(name, {});
    await settledEverywhere(name, 1, 0);
    const bad = await changeImage(name, CRASHING);
    await waitFor(
      `${name}: every region runs generation 2`,
      async () => {
        for (const r of REGIONS) {
          const d = await readDeployment(r, name);
          if (d?.metadata.annotations?.[ANNOTATION_SPEC_HASH] !== hashIn(bad, r)) return false;
        }
        return true;
      },
      120_000,
    );
    const all = await statuses(name);
    for (const r of REGIONS) expect(all.get(r)?.halt).toBeUndefined();
    expect(
      aggregatePhase({ desiredState: 'deploying', targetRegions: REGIONS, generation: 2 }, [...all.values()])
        .phase,
    ).not.toBe('halted');
  }, 300_000);
});

/** The monitor's Events on the endpoint's Deployment in `region`. */
async function eventsOf(region: string, name: string) {
  const res = await cluster(kubeconfig(region)).client.send({
    method: 'GET',
    path: '/apis/events.k8s.io/v1/namespaces/gco-inference/events',
    verb: 'list',
  });
  const items = (
    res.body as {
      items: { regarding: { kind: string; name: string }; type: string; reason: string; note: string }[];
    }
  ).items;
  return items.filter((e) => e.regarding.kind === 'Deployment' && e.regarding.name === deploymentName(name));
}

function readDeployment(region: string, name: string): Promise<KubeObject | undefined> {
  return cluster(kubeconfig(region)).read('Deployment', deploymentName(name));
}
