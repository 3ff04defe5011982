import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A server process started by `local up`, tracked by pid so `down` can stop it. */
export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
}

export class LocalEnvError extends Error {
  override readonly name = 'LocalEnvError';
}

/** Asks the kernel for a free loopback port. Callers retry on EADDRINUSE races. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new LocalEnvError('could not allocate a loopback port'));
      });
    });
  });
}

/** Starts a detached child whose stdout and stderr go to `log`; it outlives this process. */
export function startDetached(
  name: string,
  command: string,
  args: readonly string[],
  log: string,
  env?: NodeJS.ProcessEnv,
): Started {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...env },
    });
    if (child.pid === undefined) throw new LocalEnvError(`${name}: could not start ${command}`);
    child.unref();
    return { name, pid: child.pid, log };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function logTail(path: string, lines = 25): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Polls `ready` until it returns true. Fails early, with the tail of the process's log,
 * if the process dies; fails with the same tail at the deadline.
 */
export async function waitUntilReady(
  proc: Started,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    if (!isAlive(proc.pid)) {
      throw new LocalEnvError(
        `${proc.name} exited during start-up; last lines of ${proc.log}:\n${logTail(proc.log)}`,
      );
    }
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new LocalEnvError(
    `${proc.name} was not ready after ${timeoutMs} ms; last lines of ${proc.log}:\n${logTail(proc.log)}`,
  );
}

/** SIGTERM, then SIGKILL after a grace period; waits until the process is gone. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal); // detached children lead their own process group
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) {
    signalGroup('SIGKILL');
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
  }
}
