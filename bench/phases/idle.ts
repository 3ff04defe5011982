// Phase 6: idle cost. First wait until the monitors stop writing (rollouts from the changes
// finish, status settles), then count every request they make for `--idle-seconds`, server-side:
// the API servers' own request counters and the DynamoDB server's.
import { cpuBetween } from '../cpu.js';
import { DYNAMO_WRITES, diffCounts } from '../dynamo-counts.js';
import { diffKube, type KubeCounts, scrape, WRITE_VERBS } from '../kube-side.js';
import { log, now, sleep } from '../stats.js';
import type { Bench } from './setup.js';

export interface Idle {
  seconds: number;
  k8s_writes: number;
  k8s_reads: number;
  k8s_watches: number;
  k8s_lease_requests: number;
  k8s_by_verb: Record<string, number>;
  k8s_all_clients_by_verb: Record<string, number>;
  dynamodb_writes: number;
  dynamodb_reads: number;
  dynamodb_heartbeats: number;
  dynamodb_by_operation: Record<string, number>;
}

/** Until no monitor has written for 10 s (3 min at most). */
export async function waitQuiet(bench: Bench): Promise<void> {
  const { regions, dynamoRequests, opts } = bench;
  const writesNow = async () => {
    let w = 0;
    for (const r of regions) {
      const c = (await scrape(r.client)).monitor;
      for (const [v, n] of Object.entries(c)) if (WRITE_VERBS.has(v)) w += n;
    }
    const d = await dynamoRequests.snapshot();
    for (const [op, n] of Object.entries(d.byOperation)) if (DYNAMO_WRITES.has(op)) w += n;
    return w - d.heartbeats;
  };
  const until = Date.now() + 180_000;
  let last = await writesNow();
  let stableSince = Date.now();
  while (Date.now() < until && Date.now() - stableSince < 10_000) {
    await sleep(2000);
    const w = await writesNow();
    if (w !== last) {
      last = w;
      stableSince = Date.now();
    }
  }
  log(
    `quiet for ${((Date.now() - stableSince) / 1000).toFixed(0)} s; measuring idle for ${opts.idleSeconds} s`,
  );
}

export async function measureIdle(bench: Bench): Promise<{ idle: Idle; cpu: Record<string, number> }> {
  const { regions, dynamoRequests, cpu, opts } = bench;
  const kubeBefore: KubeCounts[] = [];
  for (const r of regions) kubeBefore.push(await scrape(r.client));
  const dynBefore = await dynamoRequests.snapshot();
  const cpuBeforeIdle = cpu.snapshot();
  const tIdle = now();
  await sleep(opts.idleSeconds * 1000);
  const dynAfter = await dynamoRequests.snapshot();
  const cpuIdle = cpuBetween(cpuBeforeIdle, cpu.snapshot());
  const idleSeconds = (now() - tIdle) / 1000;
  const kubeDiff: Record<string, number> = {};
  const allDiff: Record<string, number> = {};
  for (const [i, r] of regions.entries()) {
    const d = diffKube(kubeBefore[i]!, await scrape(r.client));
    for (const [k, v] of Object.entries(d.monitor)) kubeDiff[k] = (kubeDiff[k] ?? 0) + v;
    for (const [k, v] of Object.entries(d.allClients)) allDiff[k] = (allDiff[k] ?? 0) + v;
  }
  const dyn = diffCounts(dynBefore, dynAfter);
  let dynWrites = 0;
  let dynReads = 0;
  for (const [op, n] of Object.entries(dyn.byOperation)) {
    if (DYNAMO_WRITES.has(op)) dynWrites += n;
    else dynReads += n;
  }
  const kWrites = Object.entries(kubeDiff)
    .filter(([k]) => WRITE_VERBS.has(k))
    .reduce((a, [, v]) => a + v, 0);
  const kReads = (kubeDiff.get ?? 0) + (kubeDiff.list ?? 0) + (kubeDiff.nonresource ?? 0);
  return {
    idle: {
      seconds: Math.round(idleSeconds),
      k8s_writes: kWrites,
      k8s_reads: kReads,
      k8s_watches: kubeDiff.watch ?? 0,
      k8s_lease_requests: kubeDiff.leases ?? 0,
      k8s_by_verb: kubeDiff,
      k8s_all_clients_by_verb: allDiff,
      dynamodb_writes: dynWrites - dyn.heartbeats,
      dynamodb_reads: dynReads,
      dynamodb_heartbeats: dyn.heartbeats,
      dynamodb_by_operation: dyn.byOperation,
    },
    cpu: cpuIdle,
  };
}
