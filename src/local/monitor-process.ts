// Runs `inferctl monitor` as a process of its own, the way production runs it, against local
// servers: the one spawner of the integration tests (test/helpers/monitor.ts), the bench and the
// soak. Its stdout and stderr go to a log file; the lines that matter to a caller (the health port
// it bound, that it leads) are picked out on the way.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TableNames } from '../store/index.js';
import { repoRoot } from './binaries.js';
import { LocalEnvError, waitUntilReady } from './processes.js';

interface MonitorProcessOptions {
  readonly region: string;
  readonly kubeconfig: string;
  readonly dynamodbEndpoint: string;
  readonly tables: TableNames;
  /** Its lease identity (HOSTNAME). */
  readonly identity: string;
  /** Appended to. */
  readonly log: string;
  /** bin/inferctl.js (the sources, through tsx) unless the caller compiled one. */
  readonly entry?: string;
  /** Node options before the entry point (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
  /** Added to, or overriding, the monitor's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface MonitorProcess {
  readonly child: ChildProcess;
  readonly region: string;
  readonly identity: string;
  readonly log: string;
  readonly exited: boolean;
  /** It logged "started leading". */
  readonly leading: boolean;
  /** Throws until the monitor has logged its health port (startMonitor waits for that). */
  healthUrl(): string;
  /** Signals the monitor and waits for its exit; SIGKILL if it is still there after `killAfterMs`. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
}

/** Starts the monitor and returns at once. */
export function spawnMonitor(options: MonitorProcessOptions): MonitorProcess {
  mkdirSync(dirname(options.log), { recursive: true });
  const out = createWriteStream(options.log, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), options.entry ?? join(repoRoot, 'bin', 'inferctl.js'), 'monitor'],
    {
      env: {
        ...process.env,
        NODE_NO_WARNINGS: '1',
        REGION: options.region,
        KUBECONFIG: options.kubeconfig,
        DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
        DYNAMODB_REGION: 'us-east-1',
        INFERENCE_ENDPOINTS_TABLE_NAME: options.tables.endpoints,
        INFERENCE_STATUS_TABLE_NAME: options.tables.status,
        // Region waves render earlier generations from it.
        ...(options.tables.revisions ? { INFERENCE_REVISIONS_TABLE_NAME: options.tables.revisions } : {}),
        HOSTNAME: options.identity,
        MONITOR_IDENTITY: options.identity,
        METRICS_PORT: '0',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let healthPort: number | undefined;
  let leading = false;
  let exited = false;
  // A line may arrive in two chunks: look at the end of the previous chunk too.
  let carry = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out.write(chunk);
    const text = carry + chunk.toString();
    carry = text.slice(-200);
    if (healthPort === undefined) {
      const m = /"healthPort":(\d+)/.exec(text);
      if (m) healthPort = Number(m[1]);
    }
    if (!leading && text.includes('started leading')) leading = true;
  });
  child.stderr?.pipe(out, { end: false });
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.once('close', () => out.end());
  return {
    child,
    region: options.region,
    identity: options.identity,
    log: options.log,
    get exited() {
      return exited;
    },
    get leading() {
      return leading;
    },
    healthUrl() {
      if (healthPort === undefined)
        throw new LocalEnvError(`monitor ${options.identity} has not reported its health port yet`);
      return `http://127.0.0.1:${healthPort}`;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000) {
      if (exited) return;
      child.kill(signal);
      const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await gone;
      clearTimeout(kill);
    },
  };
}

/** Starts the monitor and waits until it serves its health port; fails with its log's tail if it exits. */
export async function startMonitor(
  options: MonitorProcessOptions,
  timeoutMs = 90_000,
): Promise<MonitorProcess> {
  const monitor = spawnMonitor(options);
  const pid = monitor.child.pid;
  if (pid === undefined) throw new LocalEnvError(`monitor ${options.identity}: could not start`);
  try {
    await waitUntilReady(
      { name: `monitor ${options.identity}`, pid, log: options.log },
      async () => {
        monitor.healthUrl();
        return true;
      },
      timeoutMs,
    );
  } catch (err) {
    await monitor.stop('SIGKILL');
    throw err;
  }
  return monitor;
}
