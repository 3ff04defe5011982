// Further rounds (--rounds K): the loop with the bench's watches and the convergence, measured
// again in alternation before the final round that the later phases build on. A single loop and a
// single convergence are one sample each of a machine whose speed moved by a factor of two within
// an hour (BENCHMARKS.md, session 13); the ratio of pairs taken a minute apart, and their median,
// say more than any one of them.
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { OWNED_LABEL_SELECTOR } from '../../src/model/index.js';
import { waitCalmLogged } from '../cpu.js';
import { log, pool, round as round2 } from '../stats.js';
import type { Teardown } from '../teardown.js';
import { type Converged, measureConverge } from './converge.js';
import { cleanUp, type LimitLoop, type LimitSweep, measureLimitLoop } from './limit.js';
import type { Bench } from './setup.js';
import { startMonitors, type Watching } from './start.js';

/** One pair: the loop with the bench's watches, then the monitors converging the same fleet. */
export interface RoundResult {
  readonly round: number;
  readonly limit_watched_s: number;
  readonly converge_s: number;
  readonly converge_over_limit_watched: number;
  /** CPU seconds of every measured process in the loop and in the convergence. */
  readonly cpu_limit_watched: number;
  readonly cpu_converge: number;
  /** Of the convergence's CPU: the monitors and the local DynamoDB server. */
  readonly cpu_converge_monitors: number;
  readonly cpu_converge_dynamodb: number;
}

export function roundResult(round: number, loop: LimitLoop, converged: Converged): RoundResult {
  return {
    round,
    limit_watched_s: round2(loop.limitS),
    converge_s: round2(converged.convergeS),
    converge_over_limit_watched: round2(converged.convergeS / loop.limitS),
    cpu_limit_watched: loop.cpu.total ?? Number.NaN,
    cpu_converge: converged.cpu.total ?? Number.NaN,
    cpu_converge_monitors: converged.cpu.monitor ?? 0,
    cpu_converge_dynamodb: converged.cpu.dynamodb ?? 0,
  };
}

/** The median of the rounds' ratios (the mean of the middle two for an even count). */
export function medianRatio(rounds: readonly RoundResult[]): number {
  const r = rounds.map((x) => x.converge_over_limit_watched).sort((a, b) => a - b);
  if (r.length === 0) return Number.NaN;
  const mid = Math.floor(r.length / 2);
  return round2(r.length % 2 ? r[mid]! : (r[mid - 1]! + r[mid]!) / 2);
}

/**
 * One round before the final one: loop, monitors started, convergence under new names; then the
 * monitors stopped, the cluster and the tables emptied, so the next round starts where this one
 * did. `limitS` (the bare loop) only feeds the convergence's log line.
 */
export async function measureRound(
  bench: Bench,
  watching: Watching,
  kindPaths: readonly string[],
  sweep: LimitSweep,
  round: number,
  limitS: number,
  teardown: Teardown,
): Promise<RoundResult> {
  const { regions, opts, clients, tables } = bench;
  await waitCalmLogged(bench.cpu, `round ${round}: the loop`);
  const loop = await measureLimitLoop(bench, kindPaths, sweep, `w${round}-`, watching);
  await startMonitors(bench, watching, teardown, false);
  await waitCalmLogged(bench.cpu, `round ${round}: the convergence`);
  const converged = await measureConverge(bench, watching, limitS, loop.limitS, teardown, `e${round}-`);
  await converged.stopFollowing();
  await Promise.all(watching.monitors.map((m) => m.stop()));
  watching.monitors.length = 0;
  await Promise.all(regions.map((r) => cleanUp(r, kindPaths, opts.pods, 15 * 60_000, OWNED_LABEL_SELECTOR)));
  await pool(converged.names, 16, async (name) => {
    await clients.doc.send(new DeleteCommand({ TableName: tables.endpoints, Key: { endpoint_name: name } }));
    for (const r of regions)
      await clients.doc.send(
        new DeleteCommand({ TableName: tables.status, Key: { endpoint_name: name, region: r.name } }),
      );
  });
  const result = roundResult(round, loop, converged);
  log(
    `round ${round}: ${result.converge_over_limit_watched} × the loop with watches; cluster and tables emptied`,
  );
  return result;
}
