// The monitors under test: compiled as production runs them, started with production's V8 flags
// through the spawner the integration tests use (src/local/monitor-process.ts).
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type MonitorProcess, spawnMonitor } from '../src/local/monitor-process.js';
import type { TableNames } from '../src/store/index.js';
import type { Region } from './fleet.js';
import { log } from './stats.js';

const repoRoot = join(import.meta.dirname, '..');

/**
 * Production runs the compiled monitor (Dockerfile: `npm run build`, `node dist/...`), not tsx.
 * Compile to a private directory inside node_modules (so package resolution and `"type":
 * "module"` still come from this checkout) without touching the shared `dist/`.
 */
export async function buildMonitor(): Promise<string> {
  const out = join(repoRoot, 'node_modules', '.cache', 'inferctl-bench', 'dist');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(repoRoot, 'tsconfig.build.json'),
        '--outDir',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.on('exit', () => {
      // Type errors still emit JavaScript; only a missing entry point is fatal.
      try {
        readFileSync(join(out, 'cli', 'main.js'));
        if (text.trim())
          log(`tsc reported (emitted anyway):\n${text.trim().split('\n').slice(0, 5).join('\n')}`);
        resolve();
      } catch {
        reject(new Error(`could not compile the monitor:\n${text}`));
      }
    });
  });
  // The CLI reads its version from the package.json beside dist/.
  copyFileSync(join(repoRoot, 'package.json'), join(out, '..', 'package.json'));
  return join(out, 'cli', 'main.js');
}

export function startBenchMonitor(
  entry: string,
  region: Region,
  tables: TableNames,
  dynamoEndpoint: string,
  logDir: string,
  cpuProfDir: string,
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
    nodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    env: {
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      // The V8 flags production runs the monitor with (deploy/base/deployment.yaml), nothing else.
      NODE_OPTIONS: productionNodeOptions(),
      // Without pods no replica is ever ready, so after the default 300 s the watchdog would pull
      // every Ingress: thousands of deletes, Events and status writes in the middle of the change
      // and idle phases (seen at N = 10 000). That is the watchdog working, not the cost measured.
      ...(pods ? {} : { INFERENCE_UNHEALTHY_THRESHOLD_SECONDS: String(24 * 3600) }),
    },
  });
}

function productionNodeOptions(): string {
  const manifest = parseYaml(readFileSync(join(repoRoot, 'deploy', 'base', 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const env = manifest.spec.template.spec.containers[0]?.env ?? [];
  const value = env.find((e) => e.name === 'NODE_OPTIONS')?.value;
  if (value === undefined)
    throw new Error('deploy/base/deployment.yaml sets no NODE_OPTIONS for the monitor');
  return value;
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
