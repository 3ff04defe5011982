// Last phase (--waves): the overhead of the region-wave gate itself. Every endpoint carries a
// rollout policy from its creation (wave 1: the first region; wave 2: the others; bake B s;
// on_failure halt); this phase writes one new generation each (an env change, which rolls its
// Deployment), all at once or --wave-gap-ms apart. Per endpoint:
//
//   gate overhead = first watch event in a wave-2 region whose Deployment carries the new env
//                   − max over wave-1 regions of (healthySince at the new generation + B)
//
// healthySince is the monitor's own clock in the status item (followed on the status stream); the
// watch event is timed on the bench's clock; both are this machine's wall clock. Then the idle
// cost again, with the policy in place on every endpoint.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { MonitorProcess } from '../../src/local/monitor-process.js';
import { type EndpointSpec, type RegionStatus, regionHealthy } from '../../src/model/index.js';
import type { EndpointRecord } from '../../src/store/index.js';
import { RevisionsTable } from '../../src/store/revisions-table.js';
import { cpuBetween } from '../cpu.js';
import { benchRollout, NS } from '../fleet.js';
import { peakRssByRegion } from '../monitors.js';
import { type Distribution, distribution, log, pool, round, sleep, waitUntil } from '../stats.js';
import { deploymentApplies } from './change.js';
import type { Converged } from './converge.js';
import { type Idle, measureIdle, waitQuiet } from './idle.js';
import type { Bench } from './setup.js';
import type { Watching } from './start.js';

const CHANGE_ENV = 'BENCH_WAVE_CHANGE';
const GATE_DELAY_METRIC = 'inferctl_rollout_gate_delay_seconds';

/** The monitors' own histogram of the same delay, summed over every monitor (a diff over the phase). */
export interface GateDelayMetric {
  count: number;
  mean_ms: number;
  /** Upper bounds (le, seconds) of the buckets holding the p50 and the p99 (null: above the last). */
  p50_le_s: number | null;
  p99_le_s: number | null;
  /** Cumulative, as Prometheus counts them. */
  buckets: { le: string; count: number }[];
}

export interface Waves {
  waves: string[][];
  bake_seconds: number;
  /** Per endpoint: first wave-2 apply − (wave 1 healthy at the generation + bake). */
  gate_overhead_ms: Distribution;
  /** The same split at the wave-2 monitor's "applied" log line: gate openable → applied → seen. */
  gate_overhead_by_step_ms: { to_apply: Distribution; apply_to_seen: Distribution };
  /** 0: the new generations were written all at once; else one at a time, this far apart. */
  write_gap_ms: number;
  /** From the first endpoint's gate becoming openable to the last one's: how bunched the gates were. */
  openable_span_s: number;
  /** The same for the first wave-2 applies: longer than the above when the applies queue up. */
  wave2_first_apply_span_s: number;
  /** Endpoints whose wave 2 applied before the gate could open (no healthy stretch, or one too short). */
  early_applies: number;
  /** From the acknowledged table write to the wave-1 region's apply seen by watch. */
  wave1_apply_ms: Distribution;
  /** From that apply to the wave-1 status item's healthySince (the new pod rolled and ready). */
  wave1_apply_to_healthy_ms: Distribution;
  /** null: the monitors export no such histogram. */
  gate_delay_metric: GateDelayMetric | null;
  /** The idle window again, every endpoint now carrying the policy. */
  idle: Idle;
  monitor_rss_mb: number;
  cpu_s: Record<string, number>;
}

export async function measureWaves(bench: Bench, watching: Watching, converged: Converged): Promise<Waves> {
  const { regions, regionNames, store, opts, N, cpu } = bench;
  const { names, generations } = converged;
  const wave1 = regionNames.slice(0, 1);
  const wave2 = regionNames.slice(1);
  const bakeMs = opts.bakeSeconds * 1000;
  const rollout = benchRollout(regionNames, opts.bakeSeconds);
  const timeoutMs = 10 * 60_000 + N * regions.length * 200;

  // A gated region renders the generation it serves from its revision. The CLI writes a generation
  // and its revision in one TransactWriteItems; the local DynamoDB server copies every table a
  // transaction touches (to roll back): 0.4 s per write with 200 endpoints, 1 s with 1 000 (one
  // write at a time on its single thread), which would stall the monitors under test. So the
  // bench writes the same two items one after the other: the endpoint (which the monitors react
  // to), then its revision.
  const { doc } = bench.clients;
  const revisions = new RevisionsTable(doc, bench.tables.revisions!);
  const putRevision = (rec: EndpointRecord, summary: string) =>
    doc.send(
      new PutCommand({
        TableName: revisions.table,
        Item: revisions.item(rec.raw, { writtenBy: 'bench', summary }, new Date()),
      }),
    );

  // Every status item the stream delivers: which pairs are settled (at the target generation and
  // healthy), and wave 1's healthy stretches at each generation.
  const target = new Map<string, number>(); // name → the generation being rolled out
  const healthyAt = new Map<string, number>(); // region/name → generation it reports healthy
  type Stretch = { region: string; generation: number; since: number };
  const wave1Healthy = new Map<string, Stretch[]>();
  let halted: RegionStatus | undefined; // a healthy fleet must never halt: the run fails
  const onStatus = (s: RegionStatus) => {
    const key = `${s.region}/${s.endpointName}`;
    if (s.halt && s.halt.generation === target.get(s.endpointName)) halted ??= s;
    if (regionHealthy(s)) healthyAt.set(key, s.observedGeneration);
    else healthyAt.delete(key);
    if (wave1.includes(s.region) && s.healthySince !== undefined) {
      const list = wave1Healthy.get(s.endpointName) ?? [];
      const since = Date.parse(s.healthySince);
      const generation = s.observedGeneration;
      if (!list.some((h) => h.region === s.region && h.generation === generation && h.since === since))
        list.push({ region: s.region, generation, since });
      wave1Healthy.set(s.endpointName, list);
    }
  };
  // Nothing writes a status item until this phase changes something: start from the last ones.
  for (const s of converged.latestStatus.values()) onStatus(s);
  converged.statusListeners.push(onStatus);
  const notHalted = () => {
    if (halted?.halt)
      throw new Error(
        `${halted.endpointName}: the rollout of generation ${halted.halt.generation} halted in ${halted.region}: ${halted.halt.reason}: ${halted.halt.message}`,
      );
  };
  // A halt of an earlier generation (the diagnose phase's crash loop may land inside a bake) is
  // not this phase's: only the measured generation must never halt.
  const settle = (what: string, haltFails = true) =>
    waitUntil(
      what,
      timeoutMs,
      () => {
        if (haltFails) notHalted();
        return names.every((n) =>
          regionNames.every((r) => (healthyAt.get(`${r}/${n}`) ?? 0) >= target.get(n)!),
        );
      },
      200,
    );

  // 1. The fleet carries the policy from its creation (converge, with --waves). A gated region
  // serves the generation it ran from that generation's revision: store each one as it stands.
  const records = new Map<string, EndpointRecord>();
  await pool(names, 16, async (name) => {
    const rec = await store.requireEndpoint(name);
    if (!rec.parsed.ok) throw new Error(`${name} does not parse`);
    if (JSON.stringify(rec.parsed.value.spec.rollout) !== JSON.stringify(rollout))
      throw new Error(`${name} does not carry the bench's rollout policy: was it created with --waves?`);
    await putRevision(rec, 'the fleet as the earlier phases left it');
    records.set(name, rec);
    generations.set(name, rec.generation);
    target.set(name, rec.generation);
  });
  log(`rollout policy ${JSON.stringify(rollout.waves)}, bake ${opts.bakeSeconds} s, on ${N} endpoints`);
  await settle('every region healthy at the current generation', false);

  // 2. One new generation per endpoint, all at once; every Deployment watch event is looked at.
  const metricBefore = await scrapeGateDelay(watching.monitors);
  const cpuBefore = cpu.snapshot();
  const ackedAt = new Map<string, number>();
  const appliedAt = new Map<string, number>(); // region/name → first watch event with the new env
  const onEvent = (region: string, name: string) => {
    const key = `${region}/${name}`;
    if (appliedAt.has(key) || !records.has(name)) return;
    const d = regions.find((x) => x.name === region)!.caches!.get('Deployment', NS, name) as
      | { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }
      | undefined;
    const env = d?.spec.template.spec.containers[0]?.env ?? [];
    if (env.some((e) => e.name === CHANGE_ENV)) appliedAt.set(key, Date.now());
  };
  watching.listeners.push(onEvent);
  // All at once (16 writers), or one at a time --wave-gap-ms apart: a burst measures how fast the
  // regions absorb a fleet-wide change as well as the gate; paced writes leave the gate alone.
  const gapMs = opts.waveGapMs;
  await pool(names, gapMs > 0 ? 1 : 16, async (name) => {
    if (gapMs > 0 && ackedAt.size > 0) await sleep(gapMs);
    const rec = records.get(name)!;
    if (!rec.parsed.ok) throw new Error(`${name} does not parse`);
    const spec = rec.parsed.value.spec;
    const changed: EndpointSpec = { ...spec, env: { ...(spec.env ?? {}), [CHANGE_ENV]: '1' } };
    target.set(name, rec.generation + 1);
    const updated = await store.updateSpec(name, rec.generation, changed);
    ackedAt.set(name, Date.now());
    generations.set(name, updated.generation);
    await putRevision(updated, `env ${CHANGE_ENV} set`);
  });
  log(
    `wrote a new generation of ${N} endpoints${gapMs > 0 ? `, ${gapMs} ms apart` : ''}; waiting for wave 1, the bake, then wave 2`,
  );
  await waitUntil(
    'every region to apply the new generation',
    timeoutMs,
    () => {
      notHalted();
      return appliedAt.size >= N * regions.length;
    },
    200,
  );
  watching.listeners.splice(watching.listeners.indexOf(onEvent), 1);
  await settle('every region healthy at the new generation');
  const cpuWaves = cpuBetween(cpuBefore, cpu.snapshot());
  const metric = diffGateDelay(metricBefore, await scrapeGateDelay(watching.monitors));

  const overhead: number[] = [];
  const toApply: number[] = [];
  const applyToSeen: number[] = [];
  const applies = deploymentApplies(watching.monitors);
  const wave1Apply: number[] = [];
  const wave1ToHealthy: number[] = [];
  let early = 0;
  const opens: number[] = [];
  const firstApplies: number[] = [];
  for (const name of names) {
    const generation = generations.get(name)!;
    const firstRegion = wave2.reduce((a, b) =>
      appliedAt.get(`${b}/${name}`)! < appliedAt.get(`${a}/${name}`)! ? b : a,
    );
    const firstWave2 = appliedAt.get(`${firstRegion}/${name}`)!;
    const stretches = (wave1Healthy.get(name) ?? []).filter((h) => h.generation === generation);
    let openAt = Number.NEGATIVE_INFINITY;
    let unhealthy = false;
    for (const r of wave1) {
      const applied = appliedAt.get(`${r}/${name}`)!;
      wave1Apply.push(applied - ackedAt.get(name)!);
      // The healthy stretch in effect when wave 2 applied: the latest one that had begun by then.
      const since = Math.max(
        ...stretches.filter((h) => h.region === r && h.since <= firstWave2).map((h) => h.since),
      );
      if (!Number.isFinite(since)) {
        unhealthy = true;
        continue;
      }
      wave1ToHealthy.push(since - applied);
      openAt = Math.max(openAt, since + bakeMs);
    }
    if (unhealthy) {
      early++; // wave 2 applied before a wave-1 region was healthy at the generation at all
      continue;
    }
    if (firstWave2 < openAt) early++;
    overhead.push(firstWave2 - openAt);
    opens.push(openAt);
    firstApplies.push(firstWave2);
    // Split at that monitor's own "applied" log line: the first one after the write (a gated
    // region applies nothing before its gate opens: its objects do not change).
    const applied = applies.get(`${firstRegion}/${name}`)?.find((t) => t >= ackedAt.get(name)!);
    if (applied !== undefined) {
      toApply.push(applied - openAt);
      applyToSeen.push(firstWave2 - applied);
    }
  }
  const result = {
    waves: [wave1, wave2],
    bake_seconds: opts.bakeSeconds,
    gate_overhead_ms: distribution(overhead),
    gate_overhead_by_step_ms: { to_apply: distribution(toApply), apply_to_seen: distribution(applyToSeen) },
    early_applies: early,
    write_gap_ms: gapMs,
    openable_span_s: spanS(opens),
    wave2_first_apply_span_s: spanS(firstApplies),
    wave1_apply_ms: distribution(wave1Apply),
    wave1_apply_to_healthy_ms: distribution(wave1ToHealthy),
    gate_delay_metric: metric,
  };
  log(`gate overhead ms: ${JSON.stringify(result.gate_overhead_ms)}; early applies: ${early}`);
  if (metric) log(`${GATE_DELAY_METRIC}: ${JSON.stringify(metric)}`);

  await waitQuiet(bench);
  const idle = await measureIdle(bench);
  return {
    ...result,
    idle: idle.idle,
    monitor_rss_mb: Math.max(...Object.values(peakRssByRegion(watching.monitors))),
    cpu_s: cpuWaves,
  };
}

const spanS = (times: readonly number[]) =>
  times.length > 0 ? round((Math.max(...times) - Math.min(...times)) / 1000) : Number.NaN;

type Histogram = Map<string, number>; // le (or "sum"/"count") → value, over every monitor

async function scrapeGateDelay(monitors: readonly MonitorProcess[]): Promise<Histogram> {
  const h: Histogram = new Map();
  for (const m of monitors) {
    const text = await (await fetch(`${m.healthUrl()}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(GATE_DELAY_METRIC)) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      const rest = line.slice(GATE_DELAY_METRIC.length);
      const key = rest.startsWith('_bucket')
        ? /le="([^"]+)"/.exec(rest)?.[1]
        : rest.startsWith('_sum')
          ? 'sum'
          : rest.startsWith('_count')
            ? 'count'
            : undefined;
      if (key !== undefined) h.set(key, (h.get(key) ?? 0) + value);
    }
  }
  return h;
}

function diffGateDelay(before: Histogram, after: Histogram): GateDelayMetric | null {
  if (!after.has('count')) return null;
  const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const count = d('count');
  const les = [...after.keys()]
    .filter((k) => k !== 'sum' && k !== 'count')
    .sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
  const buckets = les.map((le) => ({ le, count: d(le) }));
  // Prometheus buckets are cumulative: the first bound holding a share p of the samples.
  const bound = (p: number) => {
    const le = les.find((k) => d(k) >= p * count);
    return le === undefined || le === '+Inf' ? null : Number(le);
  };
  return {
    count,
    mean_ms: count > 0 ? Math.round((d('sum') / count) * 1000) : Number.NaN,
    p50_le_s: bound(0.5),
    p99_le_s: bound(0.99),
    buckets,
  };
}
