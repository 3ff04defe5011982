// Phase 2: the API servers' physical limit for the same objects the monitors will apply — a tight
// server-side-apply loop from the bench, at the best concurrency of a short sweep — then cleaned
// up so the monitors start from empty namespaces. It runs twice: bare, with nothing but the
// cluster's controllers watching, and again with the bench's own watches open (phase 3), as they
// are while the monitors converge.
import { KubeCaches, type KubeObject } from '../../src/kube/index.js';
import { render } from '../../src/render/index.js';
import { cpuBetween } from '../cpu.js';
import { endpointName, endpointValue, NS, type Region } from '../fleet.js';
import { type KubeCounts, scrapeAll, sumDiffs } from '../kube-side.js';
import { log, now, pool, waitUntil } from '../stats.js';
import type { Bench } from './setup.js';
import { deploymentReady, lastReadyAt, type Watching } from './start.js';

/** One run of the loop: every endpoint's objects applied in every region, nothing else. */
export interface LimitLoop {
  readonly limitS: number;
  readonly cpu: Record<string, number>;
  /**
   * With pods: from the loop's start until every Deployment it applied has its replicas ready, and
   * the CPU spent until then (the converge phase's "ready" figure includes the same pod work).
   */
  readonly readyS: number;
  readonly cpuToReady: Record<string, number>;
  /** Every client's requests and the watch events sent while the loop ran, all regions. */
  readonly kube: Pick<KubeCounts, 'byResource' | 'watchEvents'>;
}

export interface LimitSweep {
  /** The concurrency with the best throughput in the sweep; both loops use it. */
  readonly concurrency: number;
  readonly sweep: Record<string, number>;
  readonly objectsPerEndpoint: number;
}

const NOT_MEASURED: LimitLoop = {
  limitS: Number.NaN,
  cpu: {},
  readyS: Number.NaN,
  cpuToReady: {},
  kube: { byResource: {}, watchEvents: {} },
};

function limitObjects(bench: Bench, prefix: string, count: number, region: string): KubeObject[] {
  const { regionNames, width } = bench;
  return Array.from({ length: count }, (_, i) =>
    render(endpointValue(endpointName(prefix, i, width), regionNames), region).map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'bench-limit': '1' } },
    })),
  ).flat() as KubeObject[];
}

const LIMIT_SELECTOR = 'bench-limit=1';

const createAll = async (r: Region, objs: KubeObject[], c: number) =>
  pool(objs, c, async (o) => {
    await r.executor.apply(o, { previous: null });
  });

/**
 * The concurrency the API servers apply fastest at: a short run at 4, 16 and 64 requests in
 * flight in the first region. `kindPaths`: the collection path of every kind an endpoint renders
 * to, in the bench namespace.
 */
export async function sweepLimit(bench: Bench, kindPaths: readonly string[]): Promise<LimitSweep> {
  const { regions, regionNames, N, width, opts } = bench;
  const objectsPerEndpoint = render(
    endpointValue(endpointName('e', 0, width), regionNames),
    regionNames[0]!,
  ).length;
  if (opts.skipLimit) {
    // A run about the monitor alone (its memory, say) on a machine too busy for the limit loop.
    log('limit skipped (--skip-limit): no converge / limit ratio in this run');
    return { concurrency: 0, sweep: {}, objectsPerEndpoint };
  }
  const sweep: Record<string, number> = {};
  const sweepCount = Math.max(10, Math.min(100, Math.floor(N / 4)));
  for (const c of [4, 16, 64]) {
    const objs = limitObjects(bench, `s${c}-`, sweepCount, regions[0]!.name);
    const t = now();
    await createAll(regions[0]!, objs, c);
    sweep[String(c)] = Math.round(objs.length / ((now() - t) / 1000));
  }
  const best = Number(Object.entries(sweep).sort((a, b) => b[1] - a[1])[0]![0]);
  log(`limit sweep (objects/s by concurrency): ${JSON.stringify(sweep)}; using ${best}`);
  await Promise.all(regions.map((r) => cleanUp(r, kindPaths, opts.pods, 15 * 60_000)));
  return { concurrency: best, sweep, objectsPerEndpoint };
}

/**
 * Applies N endpoints' objects in every region at the sweep's concurrency, measures, and deletes
 * them again. Without `watching` nothing but the cluster's own controllers watches the objects
 * (the bare limit); with it, the bench's own watches are open as they are while the monitors
 * converge, so the measuring instrument costs both phases the same.
 */
export async function measureLimitLoop(
  bench: Bench,
  kindPaths: readonly string[],
  sweep: LimitSweep,
  prefix: string,
  watching?: Watching,
): Promise<LimitLoop> {
  const { regions, N, opts, cpu, width } = bench;
  if (opts.skipLimit) return NOT_MEASURED;
  const label = watching ? "limit, with the bench's watches" : 'limit';
  const perRegion = regions.map((r) => limitObjects(bench, prefix, N, r.name));
  const clients = regions.map((r) => r.client);
  const kubeBefore = await scrapeAll(clients);
  const cpuBeforeLimit = cpu.snapshot();
  const tLimit = now();
  await Promise.all(regions.map((r, i) => createAll(r, perRegion[i]!, sweep.concurrency)));
  const limitS = (now() - tLimit) / 1000;
  const cpuLimit = cpuBetween(cpuBeforeLimit, cpu.snapshot());
  const kube = sumDiffs(kubeBefore, await scrapeAll(clients));
  log(`${label}: ${perRegion.flat().length} objects in ${limitS.toFixed(2)} s`);
  let readyS = Number.NaN;
  let cpuToReady: Record<string, number> = {};
  if (opts.pods) {
    if (watching) {
      const pairs = regions.flatMap((r) =>
        Array.from({ length: N }, (_, i) => `${r.name}/${endpointName(prefix, i, width)}`),
      );
      const last = await lastReadyAt(
        watching,
        pairs,
        `every Deployment of the ${label} to be ready`,
        15 * 60_000,
      );
      readyS = (last - tLimit) / 1000;
    } else {
      // Watched only from here on: a watch open during the loop would slow the loop it measures.
      await untilLimitDeploymentsReady(regions, N, 15 * 60_000);
      readyS = (now() - tLimit) / 1000;
    }
    cpuToReady = cpuBetween(cpuBeforeLimit, cpu.snapshot());
    log(`${label}: every Deployment ready ${readyS.toFixed(2)} s after the loop's start`);
  }
  await Promise.all(regions.map((r) => cleanUp(r, kindPaths, opts.pods, 15 * 60_000)));
  return { limitS, cpu: cpuLimit, readyS, cpuToReady, kube };
}

/** Waits until each region has `count` of the limit loop's Deployments with every replica ready. */
async function untilLimitDeploymentsReady(
  regions: readonly Region[],
  count: number,
  timeoutMs: number,
): Promise<void> {
  const caches = regions.map(
    (r) =>
      new KubeCaches(r.client, {
        namespaces: [NS],
        kinds: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
        labelSelector: LIMIT_SELECTOR,
      }),
  );
  // Ready Deployments per region, kept current from the watches' change reports.
  const ready = caches.map(() => new Set<string>());
  try {
    for (const [i, c] of caches.entries()) {
      c.onChange((endpoint) => {
        if (deploymentReady(c.byEndpoint(endpoint).find((o) => o.kind === 'Deployment')))
          ready[i]!.add(endpoint);
        else ready[i]!.delete(endpoint);
      });
      c.start();
    }
    await waitUntil(
      'every Deployment of the limit loop to be ready',
      timeoutMs,
      () => ready.every((s) => s.size >= count),
      100,
    );
  } finally {
    await Promise.all(caches.map((c) => c.stop()));
  }
}

async function countKind(r: Region, path: string): Promise<number> {
  let count = 0;
  let cont: string | undefined;
  do {
    const res = await r.client.send({
      method: 'GET',
      path,
      query: { limit: 500, continue: cont },
      verb: 'list',
    });
    const body = res.body as { items: unknown[]; metadata: { continue?: string } };
    count += body.items.length;
    cont = body.metadata.continue || undefined;
  } while (cont);
  return count;
}

/**
 * Deletes everything the limit loop created (or, with another `selector`, everything a
 * convergence created) and waits until it (and its pods) are gone.
 */
export async function cleanUp(
  r: Region,
  kindPaths: readonly string[],
  pods: boolean,
  timeoutMs: number,
  selector = LIMIT_SELECTOR,
): Promise<void> {
  const deleteAll = async () => {
    for (const path of kindPaths) {
      try {
        await r.client.send({
          method: 'DELETE',
          path,
          query: { labelSelector: selector, propagationPolicy: 'Background' },
          verb: 'deletecollection',
        });
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        // 504: a big collection outlives the request timeout; the server goes on, we look again.
        if (code === 504 || code === undefined) continue;
        if (code !== 405) throw err;
        // No deletecollection for this resource: delete one by one.
        const res = await r.client.send({
          method: 'GET',
          path,
          query: { labelSelector: selector },
          verb: 'list',
        });
        const items = (res.body as { items: KubeObject[] }).items;
        await pool(items, 32, async (o) => {
          await r.executor.delete({ kind: 'Service', name: o.metadata.name, namespace: NS });
        });
      }
    }
  };
  await deleteAll();
  const all = [
    ...kindPaths,
    ...(pods ? [`/apis/apps/v1/namespaces/${NS}/replicasets`, `/api/v1/namespaces/${NS}/pods`] : []),
  ];
  let rounds = 0;
  await waitUntil(
    `the limit loop's objects${pods ? ' and pods' : ''} to be gone in ${r.name}`,
    timeoutMs,
    async () => {
      for (const p of all) {
        if ((await countKind(r, p).catch(() => 1)) > 0) {
          if (++rounds % 30 === 0 && p !== all.at(-1)) await deleteAll();
          return false;
        }
      }
      return true;
    },
    1000,
  );
}
