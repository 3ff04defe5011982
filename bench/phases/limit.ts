// Phase 2: the API servers' physical limit for the same objects the monitors will apply — a tight
// server-side-apply loop from the bench, at the best concurrency of a short sweep — then cleaned
// up so the monitors start from empty namespaces.
import type { KubeObject } from '../../src/kube/index.js';
import { render } from '../../src/render/index.js';
import { cpuBetween } from '../cpu.js';
import { endpointName, endpointValue, NS, type Region } from '../fleet.js';
import { log, now, pool, waitUntil } from '../stats.js';
import type { Bench } from './setup.js';

interface Limit {
  readonly limitS: number;
  readonly concurrency: number;
  readonly sweep: Record<string, number>;
  readonly objectsPerEndpoint: number;
  readonly cpu: Record<string, number>;
}

/** `kindPaths`: the collection path of every kind an endpoint renders to, in the bench namespace. */
export async function measureLimit(bench: Bench, kindPaths: readonly string[]): Promise<Limit> {
  const { regions, regionNames, N, width, opts, cpu } = bench;
  const limitObjects = (prefix: string, count: number, region: string) =>
    Array.from({ length: count }, (_, i) =>
      render(endpointValue(endpointName(prefix, i, width), regionNames), region).map((o) => ({
        ...o,
        metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'bench-limit': '1' } },
      })),
    ).flat() as KubeObject[];
  const objectsPerEndpoint = render(
    endpointValue(endpointName('e', 0, width), regionNames),
    regionNames[0]!,
  ).length;
  if (opts.skipLimit) {
    // A run about the monitor alone (its memory, say) on a machine too busy for the limit loop.
    log('limit skipped (--skip-limit): no converge / limit ratio in this run');
    return { limitS: Number.NaN, concurrency: 0, sweep: {}, objectsPerEndpoint, cpu: {} };
  }
  const createAll = async (r: Region, objs: KubeObject[], c: number) =>
    pool(objs, c, async (o) => {
      await r.executor.apply(o, { previous: null });
    });
  const sweep: Record<string, number> = {};
  const sweepCount = Math.max(10, Math.min(100, Math.floor(N / 4)));
  for (const c of [4, 16, 64]) {
    const objs = limitObjects(`s${c}-`, sweepCount, regions[0]!.name);
    const t = now();
    await createAll(regions[0]!, objs, c);
    sweep[String(c)] = Math.round(objs.length / ((now() - t) / 1000));
  }
  const best = Number(Object.entries(sweep).sort((a, b) => b[1] - a[1])[0]![0]);
  log(`limit sweep (objects/s by concurrency): ${JSON.stringify(sweep)}; using ${best}`);
  await Promise.all(regions.map((r) => cleanUp(r, kindPaths, opts.pods, 15 * 60_000)));
  const perRegion = regions.map((r) => limitObjects('l', N, r.name));
  const cpuBeforeLimit = cpu.snapshot();
  const tLimit = now();
  await Promise.all(regions.map((r, i) => createAll(r, perRegion[i]!, best)));
  const limitS = (now() - tLimit) / 1000;
  const cpuLimit = cpuBetween(cpuBeforeLimit, cpu.snapshot());
  log(`limit: ${perRegion.flat().length} objects in ${limitS.toFixed(2)} s; cleaning up`);
  await Promise.all(regions.map((r) => cleanUp(r, kindPaths, opts.pods, 15 * 60_000)));
  return { limitS, concurrency: best, sweep, objectsPerEndpoint, cpu: cpuLimit };
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

/** Deletes everything the limit loop created and waits until it (and its pods) are gone. */
async function cleanUp(
  r: Region,
  kindPaths: readonly string[],
  pods: boolean,
  timeoutMs: number,
): Promise<void> {
  const deleteAll = async () => {
    for (const path of kindPaths) {
      try {
        await r.client.send({
          method: 'DELETE',
          path,
          query: { labelSelector: 'bench-limit=1', propagationPolicy: 'Background' },
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
          query: { labelSelector: 'bench-limit=1' },
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
