// Phase 3: the bench's own watch caches in every region (how it sees objects arrive; open for the
// second limit loop too), then one monitor per region, waited for until each leads and has done
// its first (empty) resync.
import { mkdirSync } from 'node:fs';
import { KubeCaches, type KubeObject } from '../../src/kube/index.js';
import type { MonitorProcess } from '../../src/local/monitor-process.js';
import { NS } from '../fleet.js';
import { startBenchMonitor } from '../monitors.js';
import { now, sleep, waitUntil } from '../stats.js';
import type { Teardown } from '../teardown.js';
import type { Bench } from './setup.js';

export interface Watching {
  /** region/name → when the bench's watch first saw the Deployment with every replica ready. */
  readonly readyAt: Map<string, number>;
  /** Called on every change the bench's watches see; phases add and remove their own. */
  readonly listeners: ((region: string, name: string) => void)[];
  /** Empty until startMonitors. */
  readonly monitors: MonitorProcess[];
}

/** Whether a Deployment has every replica it asks for (at least one) ready. */
export function deploymentReady(o: KubeObject | undefined): boolean {
  const d = o as
    | (KubeObject & { spec?: { replicas?: number }; status?: { readyReplicas?: number } })
    | undefined;
  const want = d?.spec?.replicas ?? 1;
  return d !== undefined && want > 0 && (d.status?.readyReplicas ?? 0) >= want;
}

/**
 * Waits until the bench's watches have seen the Deployment of every `region/name` pair ready and
 * returns when the last of them was.
 */
export async function lastReadyAt(
  watching: Watching,
  pairs: readonly string[],
  what: string,
  timeoutMs: number,
): Promise<number> {
  await waitUntil(what, timeoutMs, () => pairs.every((k) => watching.readyAt.has(k)));
  return Math.max(...pairs.map((k) => watching.readyAt.get(k)!));
}

export async function startWatches(bench: Bench, teardown: Teardown): Promise<Watching> {
  const { regions } = bench;
  const readyAt = new Map<string, number>();
  const listeners: ((region: string, name: string) => void)[] = [];
  teardown.add(() => Promise.all(regions.map((r) => r.caches?.stop().catch(() => {}))));
  for (const r of regions) {
    const caches = new KubeCaches(r.client, r.kc, { namespaces: [NS] });
    r.caches = caches;
    caches.onChange((name) => {
      for (const l of listeners) l(r.name, name);
      if (!readyAt.has(`${r.name}/${name}`) && deploymentReady(caches.get('Deployment', NS, name)))
        readyAt.set(`${r.name}/${name}`, now());
    });
    caches.start();
  }
  await Promise.all(regions.map((r) => r.caches!.synced()));
  return { readyAt, listeners, monitors: [] };
}

/**
 * `instrumented`: the first region's monitor gets --cpu-prof and the heap snapshot option when the
 * run asked for them (not in the rounds before the final one, whose monitors are stopped).
 */
export async function startMonitors(
  bench: Bench,
  watching: Watching,
  teardown: Teardown,
  instrumented = true,
): Promise<void> {
  const { regions, opts } = bench;
  const profDir = instrumented ? opts.cpuProf : '';
  const heapSnapshot = instrumented ? opts.heapSnapshot : '';
  if (profDir) mkdirSync(profDir, { recursive: true });
  if (heapSnapshot) mkdirSync(heapSnapshot, { recursive: true });
  const monitors = watching.monitors;
  teardown.add(() => Promise.all(monitors.map((m) => m.stop().catch(() => {}))));
  for (const [i, r] of regions.entries())
    monitors.push(
      startBenchMonitor(
        bench.entry,
        r,
        bench.tables,
        bench.dynamoEndpoint,
        bench.logDir,
        i === 0 ? profDir : '',
        i === 0 ? heapSnapshot : '',
        opts.pods,
      ),
    );
  for (const m of monitors) if (m.child.pid !== undefined) bench.cpu.add('monitor', m.child.pid);
  await waitUntil('every monitor to lead', 120_000, () => {
    const dead = monitors.find((m) => m.exited);
    if (dead) throw new Error(`monitor in ${dead.region} exited; see ${dead.log}`);
    return monitors.every((m) => m.leading);
  });
  await sleep(2000); // first (empty) resync done
}
