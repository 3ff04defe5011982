// CPU seconds by role (etcd, kube-apiserver, controllers, simulator, DynamoDB server, monitors,
// the bench itself), read from /proc between phases: on a 2-core machine every process competes
// for the same cores, so "where the time goes" is a question about all of them, not the monitor.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, sleep } from './stats.js';

type CpuSnapshot = Record<string, number>;

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of one process (all its threads), in seconds; 0 once it has exited. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

export class CpuMeter {
  private readonly extra: { role: string; pid: number }[] = [];

  /** `dir` is the local environment's directory (its state.json lists the servers it started). */
  constructor(private readonly dir: string) {}

  add(role: string, pid: number): void {
    this.extra.push({ role, pid });
  }

  snapshot(): CpuSnapshot {
    const out: CpuSnapshot = {};
    const add = (role: string, s: number) => {
      out[role] = (out[role] ?? 0) + s;
    };
    const state = JSON.parse(readFileSync(join(this.dir, 'state.json'), 'utf8')) as {
      processes: { name: string; pid: number }[];
    };
    for (const p of state.processes) add(p.name, processCpuSeconds(p.pid));
    for (const p of this.extra) add(p.role, processCpuSeconds(p.pid));
    const self = process.cpuUsage();
    add('bench', (self.user + self.system) / 1e6);
    return out;
  }
}

/** CPU seconds spent per role between two snapshots, with a total, rounded to 0.1 s. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [role, s] of Object.entries(after)) {
    const d = s - (before[role] ?? 0);
    total += d;
    out[role] = Math.round(d * 10) / 10;
  }
  out.total = Math.round(total * 10) / 10;
  return out;
}

export interface Calm {
  /** How long the wait took, and the CPU every measured process spent meanwhile. */
  readonly seconds: number;
  readonly cpu: Record<string, number>;
  /** False when the deadline came first (the phase then starts on a busy machine). */
  readonly reached: boolean;
}

/**
 * Waits until every process the bench measures, together, has used less than `maxCores` of the
 * machine for `forMs` in a row (sampled each second), or `timeoutMs` passed. A phase that starts
 * while the previous one's aftermath still runs (the garbage collector removing ReplicaSets,
 * EndpointSlices and their watch events after a cleanup, monitors finishing their start) pays for
 * work that is not its own; on two shared cores that is the difference between two phases, not
 * noise around one.
 */
export async function waitCalm(
  meter: CpuMeter,
  { maxCores = 0.3, forMs = 3000, timeoutMs = 120_000 } = {},
): Promise<Calm> {
  const start = meter.snapshot();
  const t0 = performance.now();
  const samples: { t: number; total: number }[] = [{ t: t0, total: sum(start) }];
  let reached = false;
  while (performance.now() - t0 < timeoutMs) {
    await sleep(1000);
    const t = performance.now();
    const total = sum(meter.snapshot());
    samples.push({ t, total });
    const first = samples.find((s) => t - s.t <= forMs + 500);
    if (!first || t - first.t < forMs - 500) continue;
    if ((total - first.total) / ((t - first.t) / 1000) < maxCores) {
      reached = true;
      break;
    }
  }
  return {
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    cpu: cpuBetween(start, meter.snapshot()),
    reached,
  };
}

/** waitCalm, with a log line saying how it went and what the bench measures next. */
export async function waitCalmLogged(meter: CpuMeter, next: string): Promise<Calm> {
  const c = await waitCalm(meter);
  log(
    `${c.reached ? 'calm' : 'still busy'} after ${c.seconds} s (${c.cpu.total} CPU-s spent meanwhile); measuring ${next}`,
  );
  return c;
}

const sum = (s: CpuSnapshot) => Object.values(s).reduce((a, b) => a + b, 0);
