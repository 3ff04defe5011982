// Phase 4: N endpoints written to the table at once; measured until every object exists in every
// region (the bench's watches) and every status item reports the written generation (and, with
// pods, running), followed on a stream of the status table.
import type { RegionStatus } from '../../src/model/index.js';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { render } from '../../src/render/index.js';
import { cpuBetween } from '../cpu.js';
import { diffCounts } from '../dynamo-counts.js';
import { benchRollout, endpointName, endpointValue, NS, SPEC } from '../fleet.js';
import { type KubeCounts, scrapeAll, sumDiffs } from '../kube-side.js';
import { metricSum } from '../monitors.js';
import { log, now, pool, waitUntil } from '../stats.js';
import { followStatus } from '../status-stream.js';
import type { Teardown } from '../teardown.js';
import type { Bench } from './setup.js';
import { lastReadyAt, type Watching } from './start.js';

export interface Converged {
  readonly names: readonly string[];
  /** name → the generation the bench last wrote (the change phase adds to it). */
  readonly generations: Map<string, number>;
  /** region/name → when its status item first said running. */
  readonly runningAt: Map<string, number>;
  /** region/name → the last status item the stream delivered. */
  readonly latestStatus: ReadonlyMap<string, RegionStatus>;
  /** Called with every status item the stream delivers after convergence; phases add their own. */
  readonly statusListeners: ((s: RegionStatus) => void)[];
  readonly writeS: number;
  readonly convergeS: number;
  readonly statusConvergeS: number;
  /** With pods: from the table writes' start until the bench's watches saw every Deployment ready. */
  readonly readyS: number;
  /** Every client's requests and the watch events sent until the objects converged, all regions. */
  readonly kube: Pick<KubeCounts, 'byResource' | 'watchEvents'>;
  readonly requests: { k8s_by_verb: Record<string, number>; dynamodb_by_operation: Record<string, number> };
  readonly cpu: Record<string, number>;
  readonly cpuToRunning: Record<string, number>;
  readonly writes: ConvergeWrites;
  /** Stops the bench's reading of the status stream (a round that is not the last one). */
  readonly stopFollowing: () => Promise<void>;
}

/** What the monitors wrote from the table writes until every status item converged. */
export interface ConvergeWrites {
  /** Status item writes (records on the status table's stream) per endpoint and region. */
  readonly status_writes_per_pair: number;
  readonly status_writes_max_per_pair: number;
  readonly pairs_written_more_than_once: number;
  /**
   * Applies beyond one per object, counted by the API servers: every object is created by one
   * apply, and nothing else changes the specs in this phase, so any further apply is a re-apply.
   */
  readonly reapplies: number;
  /** Event creates per endpoint, all regions (the monitor's only `create` requests; SSA is `patch`). */
  readonly event_creates_per_endpoint: number;
  /** Reconcile passes per endpoint and region (the monitors' `inferctl_reconcile_total`), same span. */
  readonly passes_per_pair: number;
}

/** `limitS`, `limitWatchedS`: the limit loops' figures, which the log line compares convergence with. */
export async function measureConverge(
  bench: Bench,
  watching: Watching,
  limitS: number,
  limitWatchedS: number,
  teardown: Teardown,
  prefix = 'e',
): Promise<Converged> {
  const { regions, regionNames, N, width, opts, cpu, dynamoRequests, store, clients } = bench;
  const { listeners } = watching;
  const names = Array.from({ length: N }, (_, i) => endpointName(prefix, i, width));
  const expected = names.map((n) =>
    render(endpointValue(n, regionNames), regionNames[0]!).map((o) => o.kind),
  );
  const generations = new Map<string, number>();
  const latestStatus = new Map<string, RegionStatus>();
  const atGeneration = new Set<string>();
  const runningAt = new Map<string, number>();
  const nameSet = new Set(names);
  const writesByPair = new Map<string, number>();
  const countWrite = (s: RegionStatus) => {
    if (!nameSet.has(s.endpointName)) return;
    const key = `${s.region}/${s.endpointName}`;
    writesByPair.set(key, (writesByPair.get(key) ?? 0) + 1);
  };
  // Pairs still missing an object, checked when the bench's watch reports a change to that
  // endpoint (not by polling: at N = 1 000 a 20 ms loop over 3 000 pairs cost the bench a core).
  const expectedKinds = new Map(names.map((n, i) => [n, expected[i]!]));
  const pending = new Set(regions.flatMap((r) => names.map((n) => `${r.name}/${n}`)));
  let allObjectsAt = Number.NaN;
  const checkPair = (region: string, name: string) => {
    const key = `${region}/${name}`;
    if (!pending.has(key)) return;
    const have = regions
      .find((x) => x.name === region)!
      .caches!.byEndpoint(name)
      .map((o) => o.kind);
    if (!expectedKinds.get(name)!.every((k) => have.includes(k))) return;
    pending.delete(key);
    if (pending.size === 0) allObjectsAt = now();
  };
  listeners.push(checkPair);
  const dynBeforeConverge = await dynamoRequests.snapshot();
  const kubeClients = regions.map((r) => r.client);
  const kubeBeforeConverge = await scrapeAll(kubeClients);
  const passesBefore = await metricSum(watching.monitors, PASSES_METRIC);
  // After the scrapes: rendering /metrics is the API server's work for the bench, not the phase's.
  const cpuBeforeConverge = cpu.snapshot();
  // With --waves the fleet is created with its rollout policy, so creation is itself a gated
  // rollout: wave 2 creates its objects once wave 1 has been healthy for the bake.
  const spec = parseSpecOrThrow(
    opts.waves ? { ...SPEC, rollout: benchRollout(regionNames, opts.bakeSeconds) } : SPEC,
  );
  const tConverge = now();
  await pool(names, 16, async (name) => {
    const rec = await store.createEndpoint({
      name,
      spec,
      targetRegions: regionNames,
      namespace: NS,
    });
    generations.set(name, rec.generation);
  });
  const writeS = (now() - tConverge) / 1000;
  log(`wrote ${N} endpoints in ${writeS.toFixed(2)} s`);
  for (const r of regions) for (const n of names) checkPair(r.name, n);
  let statusConvergeS = Number.NaN;
  const totalPairs = N * regions.length;
  const convergeTimeout = 10 * 60_000 + N * regions.length * 200;
  // A status item is "at generation" once it reports the generation the bench wrote; items the
  // stream delivered before the bench knew the generation are looked at again after the writes.
  const checkAtGeneration = (s: RegionStatus, t: number) => {
    const g = generations.get(s.endpointName);
    if (g === undefined || s.observedGeneration < g) return;
    atGeneration.add(`${s.region}/${s.endpointName}`);
    if (atGeneration.size >= totalPairs && Number.isNaN(statusConvergeS)) {
      statusConvergeS = (t - tConverge) / 1000;
      log(`status converged in ${statusConvergeS.toFixed(2)} s`);
    }
  };
  const statusListeners: ((s: RegionStatus) => void)[] = [];
  // `t`: when the DynamoDB server stored the write (its stream record's creation time, on this
  // machine's clock), not when the bench read it.
  // The stream is read from its start: an earlier round's endpoints are in it too.
  const onStatus = (s: RegionStatus, t: number) => {
    for (const l of statusListeners) l(s);
    if (!nameSet.has(s.endpointName)) return;
    const key = `${s.region}/${s.endpointName}`;
    if (Number.isNaN(statusConvergeS) || (opts.pods && runningAt.size < totalPairs)) countWrite(s);
    latestStatus.set(key, s);
    if (s.state === 'running' && !runningAt.has(key)) runningAt.set(key, t);
    checkAtGeneration(s, t);
  };
  const statusDone = waitUntil(
    `every status item at its generation${opts.pods ? ' and running' : ''}`,
    convergeTimeout,
    () => !Number.isNaN(statusConvergeS) && (!opts.pods || runningAt.size >= totalPairs),
    100,
  );
  await waitUntil('every object in every region', convergeTimeout, () => pending.size === 0, 100);
  const cpuConverge = cpuBetween(cpuBeforeConverge, cpu.snapshot());
  listeners.splice(listeners.indexOf(checkPair), 1);
  // The status table's stream is read from here on, from its start: its reads (each a few ms of
  // the single-threaded DynamoDB server) must not compete with the monitors while they converge.
  // Every record carries the time it was written, so nothing measured depends on when it is read.
  const follower = followStatus(clients.streams, bench.statusStreamArn, (st, writtenAt) =>
    onStatus(st, writtenAt - performance.timeOrigin),
  );
  teardown.add(() => follower.stop());
  const stopFollowing = () => follower.stop();
  const convergeS = (allObjectsAt - tConverge) / 1000;
  // What the monitors asked of each server while converging (server side, as for idle).
  const requests = { k8s_by_verb: {} as Record<string, number>, dynamodb_by_operation: {} };
  requests.dynamodb_by_operation = diffCounts(dynBeforeConverge, await dynamoRequests.snapshot()).byOperation;
  const kube = sumDiffs(kubeBeforeConverge, await scrapeAll(kubeClients));
  requests.k8s_by_verb = kube.monitor;
  log(
    `objects converged in ${convergeS.toFixed(2)} s (${(convergeS / limitS).toFixed(2)} × limit, ${(convergeS / limitWatchedS).toFixed(2)} × limit with watches)`,
  );
  const cpuAfterObjects = cpu.snapshot();
  await statusDone;
  const cpuToRunning = cpuBetween(cpuAfterObjects, cpu.snapshot());
  let readyS = Number.NaN;
  if (opts.pods) {
    const pairs = regions.flatMap((r) => names.map((n) => `${r.name}/${n}`));
    const last = await lastReadyAt(
      watching,
      pairs,
      "every Deployment ready in the bench's watches",
      convergeTimeout,
    );
    readyS = (last - tConverge) / 1000;
    log(`every Deployment ready ${readyS.toFixed(2)} s after the table writes' start`);
  }
  const kubeWrites = sumDiffs(kubeBeforeConverge, await scrapeAll(kubeClients)).monitor;
  const passes = (await metricSum(watching.monitors, PASSES_METRIC)) - passesBefore;
  const objects = expected.reduce((sum, kinds) => sum + kinds.length, 0) * regions.length;
  const perPair = [...writesByPair.values()];
  const writes: ConvergeWrites = {
    status_writes_per_pair: round2(perPair.reduce((a, b) => a + b, 0) / totalPairs),
    status_writes_max_per_pair: Math.max(0, ...perPair),
    pairs_written_more_than_once: perPair.filter((n) => n > 1).length,
    reapplies: (kubeWrites.patch ?? 0) - objects,
    event_creates_per_endpoint: round2((kubeWrites.create ?? 0) / N),
    passes_per_pair: round2(passes / totalPairs),
  };
  log(
    `while converging: ${writes.status_writes_per_pair} status writes per endpoint and region, ${writes.reapplies} re-applies, ${writes.event_creates_per_endpoint} Event creates per endpoint, ${writes.passes_per_pair} passes per endpoint and region`,
  );
  return {
    names,
    generations,
    runningAt,
    latestStatus,
    statusListeners,
    writeS,
    convergeS,
    statusConvergeS,
    readyS,
    kube,
    requests,
    cpu: cpuConverge,
    cpuToRunning,
    writes,
    stopFollowing,
  };
}

const PASSES_METRIC = 'inferctl_reconcile_total';
const round2 = (x: number) => Math.round(x * 100) / 100;
