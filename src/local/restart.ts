// Stopping and restarting one region's kube-apiserver of a running local environment, for fault
// tests: the same binary, flags, port, certificates and etcd, so clients reconnect to the same URL.
// Additive to `up`/`down`: the restarted process's pid replaces the old one in the state file, so
// `down` still stops everything.
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { LocalEnv } from './env.js';
import {
  isAlive,
  LocalEnvError,
  type Started,
  startDetached,
  stopProcess,
  waitUntilReady,
} from './processes.js';

interface State {
  env: LocalEnv;
  processes: Started[];
}

/** Same file `up` writes (env.ts). */
const stateFile = (dir: string) => join(dir, 'state.json');

function readState(dir: string): State {
  return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as State;
}

/** The apiserver of `region`: `startRegion` logs it to `<dir>/<region>/kube-apiserver.log`. */
function findApiserver(state: State, dir: string, region: string): Started {
  const log = join(dir, region, 'kube-apiserver.log');
  const proc = state.processes.find((p) => p.name === 'kube-apiserver' && p.log === log);
  if (!proc) throw new LocalEnvError(`no kube-apiserver for region ${region} in ${stateFile(dir)}`);
  return proc;
}

function readyz(server: string, token: string, caFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${server}/readyz`,
      { headers: { authorization: `Bearer ${token}` }, ca: readFileSync(caFile), timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

interface StoppedApiserver {
  /** Starts the apiserver again with the same command line; resolves once /readyz answers 200. */
  start(): Promise<Started>;
}

/**
 * Stops `region`'s kube-apiserver (SIGTERM, then SIGKILL) and returns a handle that starts it again
 * with its exact command line (read from /proc, so Linux only). etcd keeps running.
 */
export async function stopApiserver(dir: string, region: string): Promise<StoppedApiserver> {
  const old = findApiserver(readState(dir), dir, region);
  if (!isAlive(old.pid))
    throw new LocalEnvError(`kube-apiserver of ${region} (pid ${old.pid}) is not running`);
  const argv = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const [command, ...args] = argv;
  if (!command) throw new LocalEnvError(`cannot read the command line of pid ${old.pid}`);
  await stopProcess(old.pid);
  return {
    async start() {
      const proc = startDetached('kube-apiserver', command, args, old.log);
      const state = readState(dir);
      state.processes = state.processes.map((p) => (p.pid === old.pid ? proc : p));
      writeFileSync(stateFile(dir), JSON.stringify(state, null, 2));
      const info = state.env.regions[region];
      if (!info) throw new LocalEnvError(`no region ${region} in ${stateFile(dir)}`);
      await waitUntilReady(proc, () => readyz(info.server, info.token, info.caFile), 90_000);
      return proc;
    },
  };
}

interface Frozen {
  /** Lets the process run again (SIGCONT). */
  thaw(): void;
}

function freeze(proc: Started, what: string): Frozen {
  if (!isAlive(proc.pid)) throw new LocalEnvError(`${what} (pid ${proc.pid}) is not running`);
  process.kill(proc.pid, 'SIGSTOP');
  return { thaw: () => process.kill(proc.pid, 'SIGCONT') };
}

/**
 * Freezes `region`'s kube-apiserver (SIGSTOP): its sockets stay open and the kernel still accepts
 * connections, but nothing is answered. What a client sees of a hung server, or of a network path
 * that drops packets without a reset, which stopping the process (connection refused) does not show.
 */
export function freezeApiserver(dir: string, region: string): Frozen {
  return freeze(findApiserver(readState(dir), dir, region), `kube-apiserver of ${region}`);
}

/** Freezes the local DynamoDB server the same way (its data stays in its memory). */
export function freezeDynamo(dir: string): Frozen {
  const proc = readState(dir).processes.find((p) => p.name === 'dynamodb');
  if (!proc) throw new LocalEnvError(`no DynamoDB server in ${stateFile(dir)}`);
  return freeze(proc, 'the DynamoDB server');
}
