import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
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

/**
 * Which of `pids` still run, themselves or any process of the group they lead. A detached child
 * leads its own group, and what it starts (moto's workers, tsx's node) stays in that group.
 * Zombies do not count: they are gone, only not yet reaped by whoever adopted them.
 */
export function stillRunning(pids: readonly number[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc: ask the kernel (a zombie counts as running here).
    return pids.filter((pid) => isAlive(-pid) || isAlive(pid));
  }
  const wanted = new Set(pids);
  const found = new Set<number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue;
    if (wanted.has(Number(entry))) found.add(Number(entry));
    if (wanted.has(Number(pgrp))) found.add(Number(pgrp));
  }
  return pids.filter((pid) => found.has(pid));
}

function logTail(path: string, lines = 25): string {
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

/**
 * Stops detached children and everything they started: SIGTERM to every process group at once,
 * SIGKILL to the groups still there after `graceMs`. Waits until every group is gone. All at once
 * because the local servers hold only throwaway data: stopping them one after another, each with
 * its own grace period, made `down` take a minute.
 */
export async function stopProcesses(pids: readonly number[], graceMs = 3000): Promise<void> {
  const signalGroup = (pid: number, signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal); // not a group leader (started without `detached`)
      } catch {
        /* already gone */
      }
    }
  };
  const running = () => stillRunning(pids);
  const waitGone = async (until: number) => {
    while (running().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  };
  for (const pid of running()) signalGroup(pid, 'SIGTERM');
  await waitGone(Date.now() + graceMs);
  for (const pid of running()) signalGroup(pid, 'SIGKILL');
  await waitGone(Date.now() + 5000);
  const left = running();
  if (left.length > 0)
    throw new LocalEnvError(`process group(s) ${left.join(', ')} survived SIGKILL; stop them by hand`);
}

export function stopProcess(pid: number, graceMs?: number): Promise<void> {
  return stopProcesses([pid], graceMs);
}
