// The monitors under test: compiled as production runs them, started with production's Node.js
// flags and environment through the spawner the integration tests use (src/local/monitor-process.ts).
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type MonitorProcess, spawnMonitor } from '../src/local/monitor-process.js';
import type { TableNames } from '../src/store/index.js';
import { MONITOR_ACCESS_KEY } from './dynamo-counts.js';
import type { Region } from './fleet.js';

const repoRoot = join(import.meta.dirname, '..');

/**
 * Production runs the bundled monitor (Dockerfile: `npm run build`, which ends with
 * scripts/bundle.mjs; bin/inferctl.js runs dist/bundle), not tsx. Bundle into a private directory
 * inside node_modules without touching the shared `dist/`. Worktrees share one node_modules
 * through a link, so the directory is named after the checkout: two benches run from two
 * worktrees at once must not bundle over each other's monitor.
 */
export async function buildMonitor(): Promise<string> {
  const base = join(repoRoot, 'node_modules', '.cache', `inferctl-bench-${basename(repoRoot)}`);
  const out = join(base, 'dist', 'bundle');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs'), out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (c: Buffer) => (text += c.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`could not bundle the monitor:\n${text}`)),
    );
  });
  // The CLI reads its version from ../../package.json, as in a checkout.
  copyFileSync(join(repoRoot, 'package.json'), join(base, 'package.json'));
  return join(out, 'main.js');
}

export function startBenchMonitor(
  entry: string,
  region: Region,
  tables: TableNames,
  dynamoEndpoint: string,
  logDir: string,
  cpuProfDir: string,
  heapSnapshotDir: string,
  pods: boolean,
): MonitorProcess {
  return spawnMonitor({
    entry,
    region: region.name,
    kubeconfig: region.monitorKubeconfig,
    dynamodbEndpoint: dynamoEndpoint,
    tables,
    identity: `bench-monitor-${region.name}`,
    log: join(logDir, `monitor-${region.name}.log`),
    // Node 20 refuses --cpu-prof in NODE_OPTIONS: pass it on the command line.
    nodeArgs: [
      ...productionNodeArgs(),
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      // Written on SIGUSR2 (writeHeapSnapshot below), after the run has read the peak RSS: the
      // snapshot itself takes several times the heap's size.
      ...(heapSnapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapSnapshotDir}`] : []),
    ],
    env: {
      AWS_ACCESS_KEY_ID: MONITOR_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: 'bench',
      // The flags and allocator settings production runs the monitor with
      // (deploy/base/deployment.yaml), nothing else.
      ...productionRuntimeEnv(),
      // Without pods no replica is ever ready, so after the default 300 s the watchdog would pull
      // every Ingress: thousands of deletes, Events and status writes in the middle of the change
      // and idle phases (seen at N = 10 000). That is the watchdog working, not the cost measured.
      ...(pods ? {} : { INFERENCE_UNHEALTHY_THRESHOLD_SECONDS: String(24 * 3600) }),
    },
  });
}

interface MonitorContainer {
  readonly command?: readonly string[];
  readonly env?: readonly { name: string; value?: string }[];
}

function monitorContainer(): MonitorContainer {
  const manifest = parseYaml(readFileSync(join(repoRoot, 'deploy', 'base', 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: MonitorContainer[] } } };
  };
  const container = manifest.spec.template.spec.containers[0];
  if (!container) throw new Error('deploy/base/deployment.yaml has no container');
  return container;
}

/**
 * The Node.js flags deploy/base/deployment.yaml starts the monitor with: what its command passes
 * between `node` and the script (V8 flags NODE_OPTIONS refuses, such as --lite-mode).
 */
export function productionNodeArgs(): string[] {
  const command = monitorContainer().command ?? [];
  const script = command.indexOf('bin/inferctl.js');
  if (command[0] !== 'node' || script < 0)
    throw new Error(
      `deploy/base/deployment.yaml: the monitor's command is not "node … bin/inferctl.js": ${command.join(' ')}`,
    );
  return command.slice(1, script);
}

/**
 * The environment deploy/base/deployment.yaml tunes the monitor's runtime with: NODE_OPTIONS (V8's
 * heap) and glibc's MALLOC_* settings. The bench runs the monitor with exactly these.
 */
export function productionRuntimeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of monitorContainer().env ?? [])
    if ((e.name === 'NODE_OPTIONS' || e.name.startsWith('MALLOC_')) && e.value !== undefined)
      env[e.name] = e.value;
  if (env.NODE_OPTIONS === undefined)
    throw new Error('deploy/base/deployment.yaml sets no NODE_OPTIONS for the monitor');
  return env;
}

/** Peak RSS of each monitor (VmHWM), in MB, by region. */
export function peakRssByRegion(monitors: readonly MonitorProcess[]): Record<string, number> {
  const rss: Record<string, number> = {};
  for (const m of monitors) {
    if (m.exited || m.child.pid === undefined) throw new Error(`monitor in ${m.region} is not running`);
    const text = readFileSync(`/proc/${m.child.pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text);
    if (!hwm) throw new Error(`no VmHWM in /proc/${m.child.pid}/status`);
    rss[m.region] = Math.round(Number(hwm[1]) / 1024);
  }
  return rss;
}

/** A counter's value summed over its label sets and over `monitors`, from their /metrics. */
export async function metricSum(monitors: readonly MonitorProcess[], name: string): Promise<number> {
  let sum = 0;
  for (const m of monitors) {
    const text = await (await fetch(`${m.healthUrl()}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/**
 * Has a monitor started with a heap snapshot directory write one there; resolves with its path
 * once its size has stopped growing.
 */
export async function writeHeapSnapshot(monitor: MonitorProcess, dir: string): Promise<string> {
  const pid = monitor.child.pid;
  if (monitor.exited || pid === undefined) throw new Error(`monitor in ${monitor.region} is not running`);
  const mine = () => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`));
  const before = new Set(mine());
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 300_000;
  let last = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const file = mine().find((f) => !before.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last) return join(dir, file);
    last = size;
  }
  throw new Error(`monitor in ${monitor.region} wrote no heap snapshot into ${dir} within 300 s`);
}
