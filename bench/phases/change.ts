// Phase 5: change latency — one spec change at a time to a random endpoint, timed from the table
// write to the bench's watch seeing it in every region, and split at the monitors' "applied" log
// lines into where the time goes.
import { readFileSync } from 'node:fs';
import type { MonitorProcess } from '../../src/local/monitor-process.js';
import { NS } from '../fleet.js';
import { type Distribution, distribution, log, now, percentile, sleep, waitUntil } from '../stats.js';
import type { Converged } from './converge.js';
import type { Bench } from './setup.js';
import type { Watching } from './start.js';

export type ChangeBreakdown = Record<
  'table_write' | 'to_apply' | 'apply_to_seen',
  { p50: number; p99: number }
>;

interface Changes {
  /** From the start of the table write (the bench's UpdateItem request) to the object seen. */
  readonly change: Distribution;
  /** The same, from the write's acknowledgement: without the table's own write latency. */
  readonly afterAck: Distribution;
  readonly breakdown: ChangeBreakdown;
}

interface ChangeRecord {
  name: string;
  startWall: number;
  writeMs: number;
  seenWall: Map<string, number>;
}

export async function measureChanges(
  bench: Bench,
  watching: Watching,
  converged: Converged,
): Promise<Changes> {
  const { regions, N, opts, store } = bench;
  const { listeners } = watching;
  const { names, generations } = converged;
  const latencies: number[] = [];
  const afterAck: number[] = []; // from the write's acknowledgement instead of its start
  const changeLog: ChangeRecord[] = [];
  for (let i = 0; i < opts.changes; i++) {
    const name = names[Math.floor(Math.random() * N)]!;
    const rec = await store.requireEndpoint(name);
    if (!rec.parsed.ok) throw new Error(`${name} does not parse`);
    const spec = {
      ...rec.parsed.value.spec,
      env: { ...(rec.parsed.value.spec.env ?? {}), BENCH_CHANGE: String(i) },
    };
    const value = String(i);
    const seen = new Map<string, number>();
    const check = (region: string, n: string) => {
      if (n !== name || seen.has(region)) return;
      const r = regions.find((x) => x.name === region)!;
      const d = r.caches!.get('Deployment', NS, name) as
        | { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }
        | undefined;
      const env = d?.spec.template.spec.containers[0]?.env ?? [];
      if (env.some((e) => e.name === 'BENCH_CHANGE' && e.value === value)) seen.set(region, now());
    };
    listeners.push(check);
    const t = now();
    const startWall = Date.now();
    const updated = await store.updateSpec(name, rec.generation, spec as never);
    const writeMs = now() - t;
    generations.set(name, updated.generation);
    await waitUntil(
      `change ${i} (${name}) to reach every region`,
      30_000,
      () => seen.size === regions.length,
      5,
    );
    listeners.splice(listeners.indexOf(check), 1);
    for (const at of seen.values()) {
      latencies.push(at - t);
      afterAck.push(at - t - writeMs);
    }
    changeLog.push({
      name,
      startWall,
      writeMs,
      seenWall: new Map([...seen].map(([region, at]) => [region, startWall + (at - t)])),
    });
    // Random gaps (0–3 s) so changes also arrive after quiet spells, not only back to back.
    await sleep(Math.random() * 3000);
  }
  const change = distribution(latencies);
  const changeAfterAck = distribution(afterAck);
  log(
    `change latency ms: ${JSON.stringify(change)}; after the write's acknowledgement: ${JSON.stringify(changeAfterAck)}`,
  );
  const breakdown = breakDownChanges(changeLog, watching.monitors);
  log(`change latency by step, ms: ${JSON.stringify(breakdown)}`);
  return { change, afterAck: changeAfterAck, breakdown };
}

/** region/name → the wall-clock times of the monitors' "applied" log lines for its Deployment. */
export function deploymentApplies(monitors: readonly MonitorProcess[]): Map<string, number[]> {
  const applied = new Map<string, number[]>();
  for (const m of monitors) {
    for (const line of readFileSync(m.log, 'utf8').split('\n')) {
      if (!line.includes('"msg":"applied"') || !line.includes('"kind":"Deployment"')) continue;
      try {
        const rec = JSON.parse(line) as { time: string; endpoint?: string };
        const key = `${m.region}/${rec.endpoint}`;
        const list = applied.get(key) ?? [];
        list.push(Date.parse(rec.time));
        applied.set(key, list);
      } catch {
        // a line cut by the teardown
      }
    }
  }
  return applied;
}

/** Splits each change's latency at the monitor's "applied" log line for that Deployment. */
function breakDownChanges(
  changes: readonly ChangeRecord[],
  monitors: readonly MonitorProcess[],
): ChangeBreakdown {
  const applied = deploymentApplies(monitors);
  const write: number[] = [];
  const toApply: number[] = [];
  const applyToSeen: number[] = [];
  for (const c of changes) {
    write.push(c.writeMs);
    for (const [region, seen] of c.seenWall) {
      const at = applied.get(`${region}/${c.name}`)?.find((t) => t >= c.startWall);
      if (at === undefined) continue;
      toApply.push(at - c.startWall);
      applyToSeen.push(seen - at);
    }
  }
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) };
  };
  return { table_write: summary(write), to_apply: summary(toApply), apply_to_seen: summary(applyToSeen) };
}
