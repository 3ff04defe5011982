// Runs `inferctl monitor` as a separate process, the way production runs it, against a region of
// the test's local environment; stops it (SIGTERM, or SIGKILL for crash tests) afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEnv } from '../../src/local/env.js';
import type { TableNames } from '../../src/store/index.js';
import { waitFor } from './wait.js';

const repoRoot = join(import.meta.dirname, '..', '..');

export interface MonitorProcess {
  readonly child: ChildProcess;
  readonly identity: string;
  readonly log: string;
  readonly healthUrl: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface MonitorOptions {
  readonly env: LocalEnv;
  readonly region: string;
  readonly tables: TableNames;
  readonly logDir: string;
  readonly identity?: string;
  readonly extraEnv?: Record<string, string>;
}

let counter = 0;

export async function startMonitor(options: MonitorOptions): Promise<MonitorProcess> {
  const identity = options.identity ?? `monitor-${options.region}-${++counter}`;
  mkdirSync(options.logDir, { recursive: true });
  const log = join(options.logDir, `${identity}.log`);
  const out = createWriteStream(log, { flags: 'a' });
  const region = options.env.regions[options.region];
  if (!region) throw new Error(`no region ${options.region} in the local env`);
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'inferctl.js'), 'monitor'], {
    env: {
      ...process.env,
      NODE_NO_WARNINGS: '1',
      REGION: options.region,
      KUBECONFIG: region.kubeconfig,
      DYNAMODB_ENDPOINT: options.env.dynamodb.endpoint,
      DYNAMODB_REGION: 'us-east-1',
      INFERENCE_ENDPOINTS_TABLE_NAME: options.tables.endpoints,
      INFERENCE_STATUS_TABLE_NAME: options.tables.status,
      HOSTNAME: identity,
      MONITOR_IDENTITY: identity,
      METRICS_PORT: '0',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'debug',
      ...options.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let port: number | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    out.write(chunk);
    const m = /"healthPort":(\d+)/.exec(chunk.toString());
    if (m && port === undefined) port = Number(m[1]);
  });
  child.stderr?.pipe(out);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  await waitFor(
    async () => {
      if (exited) throw new Error(`monitor ${identity} exited during start-up; see ${log}`);
      return port;
    },
    // Generous: on a loaded 2-core machine, transpiling the sources alone can take a while.
    90_000,
    `monitor ${identity} to serve its health port`,
  );
  return {
    child,
    identity,
    log,
    healthUrl: () => `http://127.0.0.1:${port}`,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      await gone;
      out.end();
    },
  };
}
