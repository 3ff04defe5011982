// npm run bench -- --endpoints N --regions R [--json FILE] [--idle-seconds S] [--changes C] [--no-pods]
//   [--cpu-prof DIR] [--timeout-minutes M] [--dir DIR] [--log-dir DIR] [--tsx]
//
// Brings up R local regions (kube-apiserver + etcd, with controllers, scheduler and simulated
// nodes unless --no-pods) and the local DynamoDB server, starts R `inferctl monitor` processes
// and measures, in one run: the API servers' physical limit for the same objects, convergence,
// change latency, idle cost (counted server-side), monitor memory and ready→running latency.
// Everything is on loopback, bounded in time, and torn down (down(dir)) even on failure.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { KubeCaches, KubeClient, KubeExecutor, type KubeObject } from '../src/kube/index.js';
import { down, type LocalEnv, up } from '../src/local/env.js';
import {
  type Endpoint,
  OWNED_KINDS,
  parseEndpointItem,
  parseSpecOrThrow,
  type RegionStatus,
} from '../src/model/index.js';
import { render } from '../src/render/index.js';
import { ensureTables, openStore } from '../src/store/index.js';
import { CpuMeter, cpuBetween } from './cpu.js';
import { CountingProxy, DYNAMO_WRITES, diffCounts } from './dynamo-proxy.js';
import { diffKube, type KubeCounts, scrape, setUpMonitorIdentity, WRITE_VERBS } from './kube-side.js';
import { enableStatusStream, followStatus } from './status-stream.js';

const repoRoot = join(import.meta.dirname, '..');
const NS = 'gco-inference';
const REGION_NAMES = ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2', 'eu-central-1'];
const IMAGE = 'vllm/vllm-openai:v0.9.0';
// A small model: 100m CPU per pod, so N = 1 000 pods per region fit the simulated nodes (the
// default request of 1 CPU stops at 768 pods, and the bench waits for every pod to be ready).
const SPEC = {
  image: IMAGE,
  replicas: 1,
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
};

// ------------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv: string[]) {
  const opts = {
    endpoints: 100,
    regions: 1,
    json: '',
    idleSeconds: 120,
    changes: 50,
    pods: true,
    cpuProf: '',
    timeoutMinutes: 0,
    dir: '',
    logDir: '',
    tsx: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: expected a positive integer, got ${v}`);
      return n;
    };
    if (a === '--endpoints') opts.endpoints = int(next());
    else if (a === '--regions') opts.regions = int(next());
    else if (a === '--json') opts.json = next();
    else if (a === '--idle-seconds') opts.idleSeconds = int(next());
    else if (a === '--changes') opts.changes = int(next());
    else if (a === '--no-pods') opts.pods = false;
    else if (a === '--tsx') opts.tsx = true;
    else if (a === '--cpu-prof') opts.cpuProf = next();
    else if (a === '--timeout-minutes') opts.timeoutMinutes = int(next());
    else if (a === '--dir') opts.dir = next();
    else if (a === '--log-dir') opts.logDir = next();
    else if (a === '--') continue;
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.regions > REGION_NAMES.length) throw new Error(`at most ${REGION_NAMES.length} regions`);
  // N=1000 R=3 with pods took ≈ 26 min on a loaded 2-core machine: leave room.
  if (!opts.timeoutMinutes) opts.timeoutMinutes = 30 + Math.ceil((opts.endpoints * opts.regions) / 200);
  return opts;
}

// ------------------------------------------------------------------------------------------------
// Small utilities

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** p50, p99, max (rounded) and the sample count. */
function distribution(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: Math.round(percentile(sorted, 50)),
    p99: Math.round(percentile(sorted, 99)),
    max: Math.round(sorted.at(-1) ?? Number.NaN),
    samples: sorted.length,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
  everyMs = 50,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

const endpointName = (prefix: string, i: number, width: number) =>
  `${prefix}${String(i).padStart(width, '0')}`;

function endpointValue(name: string, regions: readonly string[]): Endpoint {
  const parsed = parseEndpointItem({
    endpoint_name: name,
    desired_state: 'deploying',
    target_regions: [...regions].sort(),
    namespace: NS,
    spec: parseSpecOrThrow(SPEC),
    ingress_path: `/inference/${name}`,
    labels: {},
    generation: 1,
  });
  if (!parsed.ok) throw new Error(`bench endpoint ${name} does not parse: ${JSON.stringify(parsed.error)}`);
  return parsed.value;
}

// ------------------------------------------------------------------------------------------------
// Regions: admin clients and the bench's own watch caches

interface Region {
  readonly name: string;
  readonly kc: KubeConfig;
  readonly client: KubeClient;
  readonly executor: KubeExecutor;
  caches?: KubeCaches;
  readonly monitorKubeconfig: string;
}

function regionClient(name: string, env: LocalEnv, dir: string): Region {
  const kc = new KubeConfig();
  kc.loadFromFile(env.regions[name]!.kubeconfig);
  const client = KubeClient.fromConfig(kc);
  return {
    name,
    kc,
    client,
    executor: new KubeExecutor(client),
    monitorKubeconfig: join(dir, name, 'monitor-kubeconfig.yaml'),
  };
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

const KIND_PATHS = OWNED_KINDS.map(
  (k) => `/${k.apiVersion.includes('/') ? 'apis' : 'api'}/${k.apiVersion}/namespaces/${NS}/${k.plural}`,
);

/** Deletes everything the limit loop created and waits until it (and its pods) are gone. */
async function cleanUp(r: Region, pods: boolean, timeoutMs: number): Promise<void> {
  const deleteAll = async () => {
    for (const path of KIND_PATHS) {
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
    ...KIND_PATHS,
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

// ------------------------------------------------------------------------------------------------
// Monitors

interface Monitor {
  readonly region: string;
  readonly child: ChildProcess;
  readonly log: string;
  exited: boolean;
  leading: boolean;
}

/**
 * Production runs the compiled monitor (Dockerfile: `npm run build`, `node dist/...`), not tsx.
 * Compile to a private directory inside node_modules (so package resolution and `"type":
 * "module"` still come from this checkout) without touching the shared `dist/`.
 */
async function buildMonitor(): Promise<string> {
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

function startMonitor(
  entry: string,
  region: Region,
  tables: { endpoints: string; status: string },
  dynamoEndpoint: string,
  logDir: string,
  cpuProfDir: string,
  pods: boolean,
): Monitor {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `monitor-${region.name}.log`);
  const out = createWriteStream(logPath, { flags: 'a' });
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_NO_WARNINGS: '1',
    REGION: region.name,
    KUBECONFIG: region.monitorKubeconfig,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    DYNAMODB_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    INFERENCE_ENDPOINTS_TABLE_NAME: tables.endpoints,
    INFERENCE_STATUS_TABLE_NAME: tables.status,
    HOSTNAME: `bench-monitor-${region.name}`,
    METRICS_PORT: '0',
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    // Without pods no replica is ever ready, so after the default 300 s the watchdog would pull
    // every Ingress: thousands of deletes, Events and status writes in the middle of the change and
    // idle phases (seen at N = 10 000). That is the watchdog working, not the cost being measured.
    ...(pods ? {} : { INFERENCE_UNHEALTHY_THRESHOLD_SECONDS: String(24 * 3600) }),
  };
  // The V8 flags production runs the monitor with (deploy/base/deployment.yaml), nothing else.
  env.NODE_OPTIONS = productionNodeOptions();
  // Node 20 refuses --cpu-prof in NODE_OPTIONS: pass it on the command line.
  const prof = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...prof, entry, 'monitor'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m: Monitor = { region: region.name, child, log: logPath, exited: false, leading: false };
  child.stdout?.on('data', (chunk: Buffer) => {
    out.write(chunk);
    if (!m.leading && chunk.includes('started leading')) m.leading = true;
  });
  child.stderr?.pipe(out);
  child.on('exit', () => {
    m.exited = true;
  });
  return m;
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

async function stopMonitor(m: Monitor): Promise<void> {
  if (m.exited) return;
  const gone = new Promise<void>((resolve) => m.child.once('exit', () => resolve()));
  m.child.kill('SIGTERM');
  const t = setTimeout(() => m.child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(t);
}

function peakRssMb(pid: number): { hwm: number; rss: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`no ${key} in /proc/${pid}/status`);
    return Number(m[1]) / 1024;
  };
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

// ------------------------------------------------------------------------------------------------
// Main

interface Result {
  endpoints: number;
  regions: number;
  pods: boolean;
  objects_per_region: number;
  limit_s: number;
  limit_concurrency: number;
  limit_sweep: Record<string, number>;
  write_s: number;
  converge_s: number;
  converge_over_limit: number;
  status_converge_s: number;
  /** Requests the monitors made while converging (all regions), counted by the servers. */
  converge_requests: { k8s_by_verb: Record<string, number>; dynamodb_by_operation: Record<string, number> };
  /** From the start of the table write (the bench's UpdateItem request) to the object seen. */
  change_ms: { p50: number; p99: number; max: number; samples: number };
  /** The same, from the write's acknowledgement: without the table's own write latency. */
  change_after_ack_ms: { p50: number; p99: number; max: number; samples: number };
  /**
   * Where a change's time goes, from the monitors' own log lines ("applied", ms resolution):
   * the table write, write → the monitor's apply returned, apply → the bench's watch saw it.
   */
  change_breakdown_ms: Record<'table_write' | 'to_apply' | 'apply_to_seen', { p50: number; p99: number }>;
  idle: {
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
  };
  monitor_rss_mb: number;
  monitor_rss_mb_by_region: Record<string, number>;
  ready_to_running_ms: { p50: number; p99: number; max: number; samples: number } | null;
  /** CPU seconds by process role during each phase (all processes on the machine we started). */
  cpu_s: {
    limit: Record<string, number>;
    converge: Record<string, number>;
    /** From objects converged until every status item is at its generation and (pods) running. */
    converged_to_running: Record<string, number>;
    idle: Record<string, number>;
  };
  date: string;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const regionNames = REGION_NAMES.slice(0, opts.regions);
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'inferctl-bench-'));
  // Monitor logs outlive down(dir), which removes dir.
  const logDir = opts.logDir || `${dir}-logs`;
  const N = opts.endpoints;
  const width = String(N).length;
  const monitors: Monitor[] = [];
  const proxy: { p?: CountingProxy } = {};
  const statusFollower: { f?: { stop: () => Promise<void> } } = {};
  const regions: Region[] = [];
  let closeStore = () => {};
  let tearingDown: Promise<void> | undefined;
  // Every caller waits for the same teardown (a second caller must not exit while down() runs).
  const teardown = () => {
    tearingDown ??= (async () => {
      log('tearing down');
      await Promise.all(monitors.map((m) => stopMonitor(m).catch(() => {})));
      await Promise.all(regions.map((r) => r.caches?.stop().catch(() => {})));
      await statusFollower.f?.stop().catch(() => {});
      await proxy.p?.stop().catch(() => {});
      closeStore();
      await down(dir);
    })();
    return tearingDown;
  };
  const deadline = setTimeout(() => {
    log(`overall time limit of ${opts.timeoutMinutes} min reached: aborting`);
    void teardown().finally(() => process.exit(3));
  }, opts.timeoutMinutes * 60_000);
  deadline.unref();
  process.on('uncaughtException', (err) => {
    log(`uncaught: ${err.stack ?? err.message}`);
    void teardown().finally(() => process.exit(1));
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void teardown().finally(() => process.exit(130)));

  try {
    const entry = opts.tsx ? join(repoRoot, 'bin', 'inferctl.js') : await buildMonitor();
    log(`monitor entry point: ${entry}`);
    log(`bringing up ${opts.regions} region(s)${opts.pods ? ' with simulated nodes' : ''} in ${dir}`);
    const { env } = await up({ regions: regionNames, dir, nodes: opts.pods });
    for (const name of regionNames) regions.push(regionClient(name, env, dir));
    for (const r of regions) await setUpMonitorIdentity(r.client, env.regions[r.name]!, r.monitorKubeconfig);

    const suffix = Date.now().toString(36);
    const tables = { endpoints: `bench-endpoints-${suffix}`, status: `bench-status-${suffix}` };
    const { store, clients } = openStore({ tables, endpoint: env.dynamodb.endpoint, region: 'us-east-1' });
    closeStore = () => clients.destroy();
    await ensureTables(clients.dynamodb, tables);
    const statusStreamArn = await enableStatusStream(clients.dynamodb, tables.status);
    const cpu = new CpuMeter(dir);
    proxy.p = new CountingProxy(env.dynamodb.endpoint);
    const proxyEndpoint = await proxy.p.start();

    // ---- limit ------------------------------------------------------------------------------
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
    await Promise.all(regions.map((r) => cleanUp(r, opts.pods, 15 * 60_000)));
    const perRegion = regions.map((r) => limitObjects('l', N, r.name));
    const cpuBeforeLimit = cpu.snapshot();
    const tLimit = now();
    await Promise.all(regions.map((r, i) => createAll(r, perRegion[i]!, best)));
    const limitS = (now() - tLimit) / 1000;
    const cpuLimit = cpuBetween(cpuBeforeLimit, cpu.snapshot());
    log(`limit: ${perRegion.flat().length} objects in ${limitS.toFixed(2)} s; cleaning up`);
    await Promise.all(regions.map((r) => cleanUp(r, opts.pods, 15 * 60_000)));

    // ---- bench watches and monitors ------------------------------------------------------------
    const readyAt = new Map<string, number>(); // region/name → deployment ready
    const listeners: ((region: string, name: string) => void)[] = [];
    for (const r of regions) {
      const caches = new KubeCaches(r.client, r.kc, { namespaces: [NS] });
      r.caches = caches;
      caches.onChange((name) => {
        for (const l of listeners) l(r.name, name);
        if (!readyAt.has(`${r.name}/${name}`)) {
          const d = caches.get('Deployment', NS, name) as
            | (KubeObject & { spec?: { replicas?: number }; status?: { readyReplicas?: number } })
            | undefined;
          if (d && (d.status?.readyReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (d.spec?.replicas ?? 1) > 0)
            readyAt.set(`${r.name}/${name}`, now());
        }
      });
      caches.start();
    }
    await Promise.all(regions.map((r) => r.caches!.synced()));

    const profDir = opts.cpuProf;
    if (profDir) mkdirSync(profDir, { recursive: true });
    for (const [i, r] of regions.entries())
      monitors.push(startMonitor(entry, r, tables, proxyEndpoint, logDir, i === 0 ? profDir : '', opts.pods));
    for (const m of monitors) if (m.child.pid !== undefined) cpu.add('monitor', m.child.pid);
    await waitUntil('every monitor to lead', 120_000, () => {
      const dead = monitors.find((m) => m.exited);
      if (dead) throw new Error(`monitor in ${dead.region} exited; see ${dead.log}`);
      return monitors.every((m) => m.leading);
    });
    await sleep(2000); // first (empty) resync done

    // ---- converge -------------------------------------------------------------------------------
    const names = Array.from({ length: N }, (_, i) => endpointName('e', i, width));
    const expected = names.map((n) =>
      render(endpointValue(n, regionNames), regionNames[0]!).map((o) => o.kind),
    );
    const generations = new Map<string, number>();
    const latestStatus = new Map<string, RegionStatus>();
    const atGeneration = new Set<string>();
    const runningAt = new Map<string, number>();
    const statusSink: { fn: (s: RegionStatus) => void } = {
      fn: (s) => {
        latestStatus.set(`${s.region}/${s.endpointName}`, s);
        if (s.state === 'running') runningAt.set(`${s.region}/${s.endpointName}`, now());
      },
    };
    statusFollower.f = followStatus(clients.streams, statusStreamArn, (s) => statusSink.fn(s));
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
    const cpuBeforeConverge = cpu.snapshot();
    const dynBeforeConverge = proxy.p.snapshot();
    const kubeBeforeConverge: KubeCounts[] = [];
    for (const r of regions) kubeBeforeConverge.push(await scrape(r.client));
    const tConverge = now();
    await pool(names, 16, async (name) => {
      const rec = await store.createEndpoint({
        name,
        spec: parseSpecOrThrow(SPEC),
        targetRegions: regionNames,
        namespace: NS,
      });
      generations.set(name, rec.generation);
    });
    const writeS = (now() - tConverge) / 1000;
    log(`wrote ${N} endpoints in ${writeS.toFixed(2)} s`);
    for (const r of regions) for (const n of names) checkPair(r.name, n);
    let statusConvergeS = Number.NaN;
    let convergeS = Number.NaN;
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
    statusSink.fn = (s) => {
      const t = now();
      const key = `${s.region}/${s.endpointName}`;
      latestStatus.set(key, s);
      if (s.state === 'running' && !runningAt.has(key)) runningAt.set(key, t);
      checkAtGeneration(s, t);
    };
    for (const s of latestStatus.values()) checkAtGeneration(s, now());
    const statusDone = waitUntil(
      `every status item at its generation${opts.pods ? ' and running' : ''}`,
      convergeTimeout,
      () => !Number.isNaN(statusConvergeS) && (!opts.pods || runningAt.size >= totalPairs),
      100,
    );
    await waitUntil('every object in every region', convergeTimeout, () => pending.size === 0, 100);
    listeners.splice(listeners.indexOf(checkPair), 1);
    convergeS = (allObjectsAt - tConverge) / 1000;
    const cpuConverge = cpuBetween(cpuBeforeConverge, cpu.snapshot());
    // What the monitors asked of each server while converging (server side, as for idle).
    const convergeRequests = { k8s_by_verb: {} as Record<string, number>, dynamodb_by_operation: {} };
    convergeRequests.dynamodb_by_operation = diffCounts(dynBeforeConverge, proxy.p.snapshot()).byOperation;
    for (const [i, r] of regions.entries()) {
      const d = diffKube(kubeBeforeConverge[i]!, await scrape(r.client));
      for (const [k, v] of Object.entries(d.monitor))
        convergeRequests.k8s_by_verb[k] = (convergeRequests.k8s_by_verb[k] ?? 0) + v;
    }
    log(`objects converged in ${convergeS.toFixed(2)} s (${(convergeS / limitS).toFixed(2)} × limit)`);
    const cpuAfterObjects = cpu.snapshot();
    await statusDone;
    const cpuToRunning = cpuBetween(cpuAfterObjects, cpu.snapshot());

    // ---- change latency --------------------------------------------------------------------------
    const latencies: number[] = [];
    const afterAck: number[] = []; // from the write's acknowledgement instead of its start
    const changeLog: { name: string; startWall: number; writeMs: number; seenWall: Map<string, number> }[] =
      [];
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
    const changeBreakdown = breakDownChanges(changeLog, monitors);
    log(`change latency by step, ms: ${JSON.stringify(changeBreakdown)}`);

    // ---- quiet, then idle --------------------------------------------------------------------------
    const writesNow = async () => {
      let w = 0;
      for (const r of regions) {
        const c = (await scrape(r.client)).monitor;
        for (const [v, n] of Object.entries(c)) if (WRITE_VERBS.has(v)) w += n;
      }
      const d = proxy.p!.snapshot();
      for (const [op, n] of Object.entries(d.byOperation)) if (DYNAMO_WRITES.has(op)) w += n;
      return w - d.heartbeats;
    };
    {
      // Let rollouts from the changes finish and status settle: no monitor writes for 10 s (max 3 min).
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
    const kubeBefore: KubeCounts[] = [];
    for (const r of regions) kubeBefore.push(await scrape(r.client));
    const dynBefore = proxy.p.snapshot();
    const cpuBeforeIdle = cpu.snapshot();
    const tIdle = now();
    await sleep(opts.idleSeconds * 1000);
    const dynAfter = proxy.p.snapshot();
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

    // ---- memory --------------------------------------------------------------------------------
    const rssByRegion: Record<string, number> = {};
    for (const m of monitors) {
      if (m.exited || m.child.pid === undefined) throw new Error(`monitor in ${m.region} is not running`);
      rssByRegion[m.region] = Math.round(peakRssMb(m.child.pid).hwm);
    }

    // ---- ready → running ---------------------------------------------------------------------------
    let readyToRunning: Result['ready_to_running_ms'] = null;
    if (opts.pods) {
      const d: number[] = [];
      for (const [key, at] of runningAt) {
        const ready = readyAt.get(key);
        if (ready !== undefined) d.push(Math.max(0, at - ready));
      }
      if (d.length === 0)
        throw new Error('no ready→running samples: pods never became ready in the watch caches');
      readyToRunning = distribution(d);
    }

    const kWrites = Object.entries(kubeDiff)
      .filter(([k]) => WRITE_VERBS.has(k))
      .reduce((a, [, v]) => a + v, 0);
    const kReads = (kubeDiff.get ?? 0) + (kubeDiff.list ?? 0) + (kubeDiff.nonresource ?? 0);
    const result: Result = {
      endpoints: N,
      regions: opts.regions,
      pods: opts.pods,
      objects_per_region: N * objectsPerEndpoint,
      limit_s: round(limitS),
      limit_concurrency: best,
      limit_sweep: sweep,
      write_s: round(writeS),
      converge_s: round(convergeS),
      converge_over_limit: round(convergeS / limitS),
      status_converge_s: round(statusConvergeS),
      converge_requests: convergeRequests,
      change_ms: change,
      change_after_ack_ms: changeAfterAck,
      change_breakdown_ms: changeBreakdown,
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
      monitor_rss_mb: Math.max(...Object.values(rssByRegion)),
      monitor_rss_mb_by_region: rssByRegion,
      ready_to_running_ms: readyToRunning,
      cpu_s: { limit: cpuLimit, converge: cpuConverge, converged_to_running: cpuToRunning, idle: cpuIdle },
      date: new Date().toISOString(),
    };
    for (const [k, v] of Object.entries(result))
      if (typeof v === 'number' && !Number.isFinite(v))
        throw new Error(`measurement ${k} could not be taken`);
    await teardown();
    log(`monitor logs in ${logDir}`);
    if (profDir) log(`CPU profile of the ${regions[0]!.name} monitor in ${profDir}`);
    printTable(result);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await teardown();
    clearTimeout(deadline);
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Splits each change's latency at the monitor's "applied" log line for that Deployment. */
function breakDownChanges(
  changes: readonly { name: string; startWall: number; writeMs: number; seenWall: Map<string, number> }[],
  monitors: readonly Monitor[],
): Result['change_breakdown_ms'] {
  const applied = new Map<string, number[]>(); // region/name → times of "applied Deployment"
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

function printTable(r: Result): void {
  const rows: [string, string][] = [
    [
      'endpoints × regions',
      `${r.endpoints} × ${r.regions} (${r.objects_per_region} objects/region, pods ${r.pods ? 'simulated' : 'off'})`,
    ],
    [
      'limit (tight SSA loop)',
      `${r.limit_s} s at concurrency ${r.limit_concurrency} (sweep obj/s ${JSON.stringify(r.limit_sweep)})`,
    ],
    ['table writes', `${r.write_s} s`],
    ['converge (objects)', `${r.converge_s} s = ${r.converge_over_limit} × limit`],
    ['converge (status items)', `${r.status_converge_s} s`],
    [
      'monitor requests while converging',
      `k8s ${JSON.stringify(r.converge_requests.k8s_by_verb)}; DynamoDB ${JSON.stringify(r.converge_requests.dynamodb_by_operation)}`,
    ],
    [
      'change latency',
      `p50 ${r.change_ms.p50} ms, p99 ${r.change_ms.p99} ms, max ${r.change_ms.max} ms (${r.change_ms.samples} samples)`,
    ],
    [
      'change latency after the write is acknowledged',
      `p50 ${r.change_after_ack_ms.p50} ms, p99 ${r.change_after_ack_ms.p99} ms, max ${r.change_after_ack_ms.max} ms`,
    ],
    [
      'change latency by step (p50/p99)',
      Object.entries(r.change_breakdown_ms)
        .map(([k, v]) => `${k} ${v.p50}/${v.p99} ms`)
        .join(', '),
    ],
    [
      'idle k8s (monitors, server-side)',
      `${r.idle.k8s_writes} writes, ${r.idle.k8s_reads} reads, ${r.idle.k8s_watches} watches, ${r.idle.k8s_lease_requests} lease requests in ${r.idle.seconds} s`,
    ],
    [
      'idle DynamoDB (proxy)',
      `${r.idle.dynamodb_writes} writes (+${r.idle.dynamodb_heartbeats} heartbeats), ${r.idle.dynamodb_reads} reads ${JSON.stringify(r.idle.dynamodb_by_operation)}`,
    ],
    ['monitor peak RSS', `${r.monitor_rss_mb} MB (max of ${JSON.stringify(r.monitor_rss_mb_by_region)})`],
    [
      'ready → running',
      r.ready_to_running_ms
        ? `p50 ${r.ready_to_running_ms.p50} ms, p99 ${r.ready_to_running_ms.p99} ms (${r.ready_to_running_ms.samples} samples; status via a stream on the status table, ≤ 0.25 s resolution)`
        : 'n/a (--no-pods)',
    ],
  ];
  for (const phase of ['limit', 'converge', 'converged_to_running', 'idle'] as const)
    rows.push([
      `CPU s, ${phase}`,
      Object.entries(r.cpu_s[phase])
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v} |`).join('\n')}\n\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(
      `bench FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
