// npm run soak -- [--endpoints 1000] [--minutes 10] [--fraction 0.1] [--no-pods] [--dir DIR]
//
// Soak (issue 6, Faults): one local region (kube-apiserver, controllers, simulated GPU nodes), the
// local DynamoDB server and one `inferctl monitor` process; N endpoints, and every minute a
// `fraction` of them gets a spec change, for `minutes` minutes. Samples the monitor's RSS every
// 5 s and prints: errors (reconcile errors from /metrics, error-level log lines), the RSS series,
// and per round how many changes converged and how fast. Exits non-zero if anything did not
// converge or an error was counted. Opt-in: not part of `npm test`. With --dir the servers are
// left running for inspection; stop them with `npm run local -- down` on that directory.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../src/local/env.js';
import { type MonitorProcess, startMonitor } from '../src/local/monitor-process.js';
import { parseSpecOrThrow } from '../src/model/index.js';
import { ensureTables, openStore } from '../src/store/index.js';
import { metricSum } from './monitors.js';

const REGION = 'us-east-1';
const IMAGE = 'vllm/vllm-openai:v0.9.0';

function parseArgs(argv: string[]) {
  const o = { endpoints: 1000, minutes: 10, fraction: 0.1, pods: true, dir: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? '';
    if (a === '--endpoints') o.endpoints = Number(next());
    else if (a === '--minutes') o.minutes = Number(next());
    else if (a === '--fraction') o.fraction = Number(next());
    else if (a === '--no-pods') o.pods = false;
    else if (a === '--dir') o.dir = next();
    else if (a !== '--') throw new Error(`unknown argument ${a}`);
  }
  if (!(o.endpoints >= 1 && o.minutes >= 1 && o.fraction > 0 && o.fraction <= 1))
    throw new Error('need --endpoints ≥ 1, --minutes ≥ 1, 0 < --fraction ≤ 1');
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const dir = o.dir || mkdtempSync(join(tmpdir(), 'inferctl-soak-'));
  log(`bringing up ${REGION}${o.pods ? ' with simulated nodes' : ''} in ${dir}`);
  const { env } = await up({ regions: [REGION], dir, nodes: o.pods });
  const tables = { endpoints: 'soak-endpoints', status: 'soak-status' };
  const { store, clients } = openStore({ tables, endpoint: env.dynamodb.endpoint, region: 'us-east-1' });
  let monitor: MonitorProcess | undefined;
  try {
    await ensureTables(clients.dynamodb, tables);
    monitor = await startMonitor({
      region: REGION,
      kubeconfig: env.regions[REGION]!.kubeconfig,
      dynamodbEndpoint: env.dynamodb.endpoint,
      tables,
      identity: `soak-monitor-${REGION}`,
      log: join(dir, 'monitors', `soak-monitor-${REGION}.log`),
      env: { RECONCILE_INTERVAL_SECONDS: '60', HEARTBEAT_INTERVAL_SECONDS: '10' },
    });
    const pid = monitor.child.pid!;
    const names = Array.from({ length: o.endpoints }, (_, i) => `soak-${String(i).padStart(4, '0')}`);
    const want = new Map<string, { generation: number; writtenAt: number; round: number }>();
    const latencies = new Map<number, number[]>(); // round → convergence latencies (ms)
    const state = o.pods ? 'running' : undefined;

    // Status poller: records when each pending change is observed (observedGeneration, and
    // `running` when pods are simulated).
    let polling = true;
    let lastPoll = { converged: 0, total: 0 };
    const poller = (async () => {
      while (polling) {
        try {
          const all = await store.listAllStatus();
          const now = Date.now();
          let converged = 0;
          const byName = new Map(all.filter((s) => s.region === REGION).map((s) => [s.endpointName, s]));
          for (const [name, w] of want) {
            const s = byName.get(name);
            if (s && s.observedGeneration >= w.generation && (!state || s.state === state)) {
              converged++;
              if (w.writtenAt > 0) {
                const list = latencies.get(w.round) ?? [];
                list.push(now - w.writtenAt);
                latencies.set(w.round, list);
                w.writtenAt = 0; // counted
              }
            }
          }
          lastPoll = { converged, total: want.size };
        } catch (err) {
          log(`status poll failed: ${String(err)}`);
        }
        await sleep(3000);
      }
    })();

    const rss: { t: number; mb: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(
      () => rss.push({ t: Math.round((Date.now() - started) / 1000), mb: rssMb(pid) }),
      5000,
    );

    const spec = (round: number) =>
      parseSpecOrThrow({
        image: IMAGE,
        replicas: 1,
        env: { SOAK_ROUND: String(round) },
        // The local simulated fleet has 4 GPU nodes × 192 CPU: at the default request 1 000 pods
        // (plus rolling-update surge) do not fit, and the unschedulable ones trip the watchdog.
        resources: { requests: { cpu: '250m', memory: '1Gi' } },
      });
    log(`creating ${o.endpoints} endpoints`);
    await pool(names, 16, async (name) => {
      const writtenAt = Date.now();
      const rec = await store.createEndpoint({
        name,
        spec: spec(0),
        targetRegions: [REGION],
        namespace: 'gco-inference',
      });
      want.set(name, { generation: rec.generation, writtenAt, round: 0 });
    });
    const waitConverged = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (lastPoll.total === want.size && lastPoll.converged === want.size) return true;
        await sleep(1000);
      }
      return false;
    };
    const initial = await waitConverged(15 * 60_000);
    log(`initial convergence: ${initial ? 'yes' : 'NO'} in ${Math.round((Date.now() - started) / 1000)} s`);
    const errorsBefore = await metricSum([monitor], 'inferctl_reconcile_errors_total');
    const rssStart = rss.length;

    const perRound = Math.max(1, Math.round(o.endpoints * o.fraction));
    const soakStart = Date.now();
    for (let round = 1; round <= o.minutes; round++) {
      const roundStart = Date.now();
      const slice = Array.from(
        { length: perRound },
        (_, i) => names[((round - 1) * perRound + i) % names.length]!,
      );
      await pool(slice, 8, async (name) => {
        const before = await store.requireEndpoint(name);
        const writtenAt = Date.now();
        const rec = await store.updateSpec(name, before.generation, spec(round));
        want.set(name, { generation: rec.generation, writtenAt, round });
      });
      const wait = 60_000 - (Date.now() - roundStart);
      if (wait > 0) await sleep(wait); // the soak's cadence: one batch a minute
      const done = latencies.get(round)?.length ?? 0;
      log(
        `round ${round}/${o.minutes}: ${done}/${perRound} converged within the minute; ` +
          `p50 ${pct(latencies.get(round) ?? [], 50)} ms; RSS ${rss.at(-1)?.mb} MB`,
      );
    }
    const final = await waitConverged(5 * 60_000);
    clearInterval(sampler);
    polling = false;
    await poller;
    const reconcileErrors = (await metricSum([monitor], 'inferctl_reconcile_errors_total')) - errorsBefore;
    const logErrors = readFileSync(monitor.log, 'utf8')
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l)).length;
    const soakRss = rss.slice(rssStart).map((s) => s.mb);
    const firstMinutes = soakRss.slice(0, 24);
    const lastMinutes = soakRss.slice(-24);
    const summary = {
      endpoints: o.endpoints,
      minutes: o.minutes,
      changesPerMinute: perRound,
      pods: o.pods,
      soakSeconds: Math.round((Date.now() - soakStart) / 1000),
      reconcileErrors,
      errorLogLines: logErrors,
      finalConverged: final,
      converged: `${lastPoll.converged}/${lastPoll.total}`,
      rounds: Array.from({ length: o.minutes }, (_, i) => {
        const l = latencies.get(i + 1) ?? [];
        return { round: i + 1, converged: l.length, p50Ms: pct(l, 50), maxMs: pct(l, 100) };
      }),
      rssMb: {
        medianFirst2Min: pct(firstMinutes, 50),
        medianLast2Min: pct(lastMinutes, 50),
        max: Math.max(...soakRss),
        series: rss.filter((_, i) => i % 12 === 0).map((s) => `${s.t}s:${s.mb}`),
      },
    };
    console.log(JSON.stringify(summary, null, 2));
    return final && reconcileErrors === 0 && logErrors === 0 ? 0 : 1;
  } finally {
    await monitor?.stop();
    clients.destroy();
    if (!o.dir) await down(dir);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
