// npm run bench -- --endpoints N --regions R [--json FILE] [--idle-seconds S] [--changes C]
//   [--diagnoses D] [--no-pods] [--skip-limit] [--waves [--bake-seconds B] [--wave-gap-ms G]]
//   [--cpu-prof DIR] [--heap-snapshot DIR] [--rounds K] [--timeout-minutes M] [--dir DIR] [--log-dir DIR] [--tsx]
//
// Brings up R local regions (kube-apiserver + etcd, with controllers, scheduler and simulated
// nodes unless --no-pods) and the local DynamoDB server, starts R `inferctl monitor` processes
// and measures, in one run: the API servers' physical limit for the same objects, convergence,
// change latency, pod → status latency (with pods), idle cost (counted server-side), monitor
// memory and ready→running latency.
// Everything is on loopback, bounded in time, and torn down (down(dir)) even on failure.
//
// One phase per module in bench/phases, in the order they run: setup → limit → start (watches
// and monitors) → converge → change → diagnose (with pods) → idle; then memory, ready → running,
// waves (--waves: the region-wave gate's overhead, and idle again with the policy), and the report.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNED_KINDS } from '../src/model/index.js';
import { parseArgs, REGION_NAMES } from './args.js';
import { waitCalmLogged } from './cpu.js';
import { NS } from './fleet.js';
import type { KubeCounts } from './kube-side.js';
import { peakRssByRegion, writeHeapSnapshot } from './monitors.js';
import { measureChanges } from './phases/change.js';
import { measureConverge } from './phases/converge.js';
import { measureDiagnosis } from './phases/diagnose.js';
import { measureIdle, waitQuiet } from './phases/idle.js';
import { measureLimitLoop, sweepLimit } from './phases/limit.js';
import { measureRound, medianRatio, type RoundResult, roundResult } from './phases/rounds.js';
import { setUp } from './phases/setup.js';
import { startMonitors, startWatches, type Watching } from './phases/start.js';
import { measureWaves } from './phases/waves.js';
import { printTable, type Result } from './report.js';
import { distribution, log, round } from './stats.js';
import { Teardown } from './teardown.js';

const KIND_PATHS = OWNED_KINDS.map(
  (k) => `/${k.apiVersion.includes('/') ? 'apis' : 'api'}/${k.apiVersion}/namespaces/${NS}/${k.plural}`,
);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const regionNames = REGION_NAMES.slice(0, opts.regions);
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'inferctl-bench-'));
  // Monitor logs outlive down(dir), which removes dir.
  const logDir = opts.logDir || `${dir}-logs`;
  const teardown = new Teardown();
  const deadline = setTimeout(() => {
    log(`overall time limit of ${opts.timeoutMinutes} min reached: aborting`);
    void teardown.run().finally(() => process.exit(3));
  }, opts.timeoutMinutes * 60_000);
  deadline.unref();
  process.on('uncaughtException', (err) => {
    log(`uncaught: ${err.stack ?? err.message}`);
    void teardown.run().finally(() => process.exit(1));
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void teardown.run().finally(() => process.exit(130)));

  try {
    const bench = await setUp(opts, regionNames, dir, logDir, teardown);
    const sweep = await sweepLimit(bench, KIND_PATHS);
    const calmBefore: Result['calm_before'] = { limit: null, limit_watched: null, converge: null };
    const calm = async (phase: keyof Result['calm_before']) => {
      if (opts.skipLimit && phase !== 'converge') return;
      calmBefore[phase] = await waitCalmLogged(bench.cpu, phase);
    };
    await calm('limit');
    const limit = await measureLimitLoop(bench, KIND_PATHS, sweep, 'l');
    const watching = await startWatches(bench, teardown);
    const rounds: RoundResult[] = [];
    for (let k = 1; k < opts.rounds; k++)
      rounds.push(await measureRound(bench, watching, KIND_PATHS, sweep, k, limit.limitS, teardown));
    await calm('limit_watched');
    const limitWatched = await measureLimitLoop(bench, KIND_PATHS, sweep, 'w', watching);
    await startMonitors(bench, watching, teardown);
    await calm('converge');
    const converged = await measureConverge(bench, watching, limit.limitS, limitWatched.limitS, teardown);
    rounds.push(roundResult(opts.rounds, limitWatched, converged));
    if (opts.rounds > 1)
      log(
        `converge / limit with watches by round: ${rounds.map((r) => r.converge_over_limit_watched).join(', ')}; median ${medianRatio(rounds)}`,
      );
    const changes = await measureChanges(bench, watching, converged);
    const podToStatus = opts.pods ? await measureDiagnosis(bench, converged) : null;
    await waitQuiet(bench);
    const idle = await measureIdle(bench);
    const rssByRegion = peakRssByRegion(watching.monitors);
    if (opts.heapSnapshot) {
      const file = await writeHeapSnapshot(watching.monitors[0]!, opts.heapSnapshot);
      log(`heap snapshot of the ${regionNames[0]!} monitor: ${file} (tsx bench/heap-summary.ts ${file})`);
    }
    const waves = opts.waves ? await measureWaves(bench, watching, converged) : null;

    const result: Result = {
      endpoints: bench.N,
      regions: opts.regions,
      pods: opts.pods,
      objects_per_region: bench.N * sweep.objectsPerEndpoint,
      limit_s: round(limit.limitS),
      limit_concurrency: sweep.concurrency,
      limit_sweep: sweep.sweep,
      limit_watched_s: round(limitWatched.limitS),
      write_s: round(converged.writeS),
      converge_s: round(converged.convergeS),
      converge_over_limit: round(converged.convergeS / limit.limitS),
      converge_over_limit_watched: round(converged.convergeS / limitWatched.limitS),
      rounds: opts.skipLimit ? [] : rounds,
      converge_over_limit_watched_median: opts.skipLimit ? Number.NaN : medianRatio(rounds),
      status_converge_s: round(converged.statusConvergeS),
      limit_ready_s: opts.pods ? round(limit.readyS) : null,
      limit_watched_ready_s: opts.pods ? round(limitWatched.readyS) : null,
      converge_ready_s: opts.pods ? round(converged.readyS) : null,
      converge_requests: converged.requests,
      kube_all_clients: {
        limit: allClients(limit.kube),
        limit_watched: allClients(limitWatched.kube),
        converge: allClients(converged.kube),
      },
      converge_writes: converged.writes,
      change_ms: changes.change,
      change_after_ack_ms: changes.afterAck,
      change_breakdown_ms: changes.breakdown,
      idle: idle.idle,
      monitor_rss_mb: Math.max(...Object.values(rssByRegion)),
      monitor_rss_mb_by_region: rssByRegion,
      ready_to_running_ms: opts.pods ? readyToRunning(watching, converged.runningAt) : null,
      pod_to_status_ms: podToStatus,
      waves,
      calm_before: calmBefore,
      cpu_s: {
        limit: limit.cpu,
        limit_to_ready: opts.pods ? limit.cpuToReady : null,
        limit_watched: limitWatched.cpu,
        converge: converged.cpu,
        converged_to_running: converged.cpuToRunning,
        idle: idle.cpu,
      },
      date: new Date().toISOString(),
    };
    const skipped = opts.skipLimit
      ? [
          'limit_s',
          'converge_over_limit',
          'limit_watched_s',
          'converge_over_limit_watched',
          'converge_over_limit_watched_median',
          'limit_ready_s',
          'limit_watched_ready_s',
        ]
      : [];
    for (const [k, v] of Object.entries(result))
      if (typeof v === 'number' && !Number.isFinite(v) && !skipped.includes(k))
        throw new Error(`measurement ${k} could not be taken`);
    await teardown.run();
    log(`monitor logs in ${logDir}`);
    if (opts.cpuProf) log(`CPU profile of the ${regionNames[0]!} monitor in ${opts.cpuProf}`);
    printTable(result);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await teardown.run();
    clearTimeout(deadline);
  }
}

const allClients = (k: Pick<KubeCounts, 'byResource' | 'watchEvents'>) => ({
  by_resource: k.byResource,
  watch_events: k.watchEvents,
});

/** From the bench's watch seeing every replica ready to the status item saying running. */
function readyToRunning(
  watching: Watching,
  runningAt: ReadonlyMap<string, number>,
): Result['ready_to_running_ms'] {
  const d: number[] = [];
  for (const [key, at] of runningAt) {
    const ready = watching.readyAt.get(key);
    if (ready !== undefined) d.push(Math.max(0, at - ready));
  }
  if (d.length === 0)
    throw new Error('no ready→running samples: pods never became ready in the watch caches');
  return distribution(d);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(
      `bench FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
