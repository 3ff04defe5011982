import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Binaries, ensureBinaries, repoRoot } from './binaries.js';
import { type RegionInfo, startRegion } from './cluster.js';
import { startDynamo } from './dynamodb.js';
import { prepareRegion } from './prepare.js';
import {
  LocalEnvError,
  type Started,
  startDetached,
  stopProcess,
  stopProcesses,
  waitUntilReady,
} from './processes.js';

/** What `local up` prints the path of: everything a client needs to reach the local servers. */
export interface LocalEnv {
  readonly regions: Record<string, RegionInfo>;
  readonly dynamodb: { readonly endpoint: string };
}

interface State {
  readonly env: LocalEnv;
  readonly processes: Started[];
}

interface UpOptions {
  readonly regions: readonly string[];
  readonly dir: string;
  /** Controller manager, scheduler and simulated GPU nodes, so pods get scheduled and become Ready. */
  readonly nodes: boolean;
  readonly binaries?: Binaries;
  /** Namespaces created in every region (with the shared `efs-claim` volume claim). */
  readonly namespaces?: readonly string[];
}

export const defaultDir = join(repoRoot, '.local');
const stateFile = (dir: string) => join(dir, 'state.json');
export const envFile = (dir: string) => join(dir, 'env.json');

/** Starts one control plane per region and one DynamoDB server; replaces any previous run in `dir`. */
export async function up(options: UpOptions): Promise<{ env: LocalEnv; envPath: string }> {
  await down(options.dir);
  mkdirSync(options.dir, { recursive: true });
  const binaries = options.binaries ?? (await ensureBinaries({ kube: options.regions.length > 0 }));
  const processes: Started[] = [];
  const save = (env: LocalEnv) =>
    writeFileSync(stateFile(options.dir), JSON.stringify({ env, processes }, null, 2));
  save({ regions: {}, dynamodb: { endpoint: '' } });
  try {
    const dynamo = await startDynamo(binaries.motoServer, options.dir);
    processes.push(dynamo.proc);
    const regions: Record<string, RegionInfo> = {};
    // Regions start in parallel (most of a start is waiting for readiness); every process is
    // recorded as soon as it exists, so a failure anywhere tears down all of them.
    const results = await Promise.allSettled(
      options.regions.map(async (region) => {
        const started = await startRegion(region, binaries.kubeBin, join(options.dir, region), {
          controllers: options.nodes,
        });
        processes.push(...started.processes);
        regions[region] = started.info;
        save({ regions, dynamodb: { endpoint: dynamo.endpoint } });
        await prepareRegion(started.info.kubeconfig, options.namespaces ?? ['gco-inference']);
        if (options.nodes) processes.push(await startSimulator(region, started.info, options.dir));
        save({ regions, dynamodb: { endpoint: dynamo.endpoint } });
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sorted = Object.fromEntries(options.regions.map((r) => [r, regions[r]!]));
    const env: LocalEnv = { regions: sorted, dynamodb: { endpoint: dynamo.endpoint } };
    save(env);
    writeFileSync(envFile(options.dir), `${JSON.stringify(env, null, 2)}\n`);
    return { env, envPath: envFile(options.dir) };
  } catch (err) {
    await down(options.dir);
    throw err;
  }
}

async function startSimulator(region: string, info: RegionInfo, dir: string): Promise<Started> {
  const log = join(dir, region, 'simulator.log');
  const readyFile = join(dir, region, 'simulator.ready');
  rmSync(readyFile, { force: true });
  const proc = startDetached(
    'node-simulator',
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src', 'local', 'simulator-main.ts'),
      '--kubeconfig',
      info.kubeconfig,
      '--ready-file',
      readyFile,
    ],
    log,
    { NODE_NO_WARNINGS: '1' },
  );
  try {
    await waitUntilReady(proc, async () => existsSync(readyFile), 60_000);
  } catch (err) {
    await stopProcess(proc.pid);
    throw err;
  }
  return proc;
}

/** Stops every process a previous `up` in `dir` started, by pid, and removes its data. */
export async function down(dir: string): Promise<number> {
  let stopped = 0;
  if (existsSync(stateFile(dir))) {
    let state: State | undefined;
    try {
      state = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as State;
    } catch {
      throw new LocalEnvError(
        `cannot read ${stateFile(dir)}; stop its processes by hand, then remove ${dir}`,
      );
    }
    await stopProcesses(state.processes.map((p) => p.pid));
    stopped = state.processes.length;
  }
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  return stopped;
}

export function readEnv(dir: string): LocalEnv {
  if (!existsSync(envFile(dir)))
    throw new LocalEnvError(`no local environment in ${dir}: run \`npm run local -- up\` first`);
  return JSON.parse(readFileSync(envFile(dir), 'utf8')) as LocalEnv;
}

/** The processes `up` (and trackProcess) recorded in `dir`, for a caller that watches them. */
export function trackedProcesses(dir: string): readonly Started[] {
  return (JSON.parse(readFileSync(stateFile(dir), 'utf8')) as State).processes;
}

/** Records a process started beside the environment (e.g. a demo's monitors) so `down` stops it too. */
export function trackProcess(dir: string, proc: Started): void {
  const state = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as State;
  state.processes.push(proc);
  writeFileSync(stateFile(dir), JSON.stringify(state, null, 2));
}
