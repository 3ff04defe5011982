import type { Command } from 'commander';
import { shorten } from '../causes.js';
import {
  addWaitOptions,
  type Ctx,
  ctxOf,
  DEFAULT_TIMEOUT,
  parseDuration,
  type WaitFlags,
} from '../context.js';
import { type CliDeps, sigintSignal } from '../deps.js';
import { parsedOrThrow } from '../document.js';
import { CliError } from '../errors.js';
import { formatTable, type OutputFormat, printData } from '../output.js';
import { planLine } from '../rollout.js';
import { type StatusView, statusView } from '../views.js';
import { waitForRollout } from '../wait.js';

async function load(ctx: Ctx, name: string): Promise<StatusView | undefined> {
  const [rec, statuses, heartbeats] = await Promise.all([
    ctx.store.getEndpoint(name),
    ctx.store.listStatus(name),
    ctx.store.listRegions(),
  ]);
  return rec ? statusView(parsedOrThrow(rec), statuses, heartbeats, ctx.deps.now()) : undefined;
}

function replicasLine(v: StatusView): string {
  const a = v.replicas.autoscaling;
  if (v.desired_state === 'stopped')
    return `0 (stopped; ${a ? `autoscaled ${a.min}-${a.max}` : v.replicas.spec} on start)`;
  // While the HPA runs, the spec count is not what runs: show the monitors' desired counts.
  if (a) {
    const now = v.regions.map((r) => `${r.region} ${r.replicas?.desired ?? '-'}`).join(', ');
    return `autoscaled ${a.min}-${a.max}; desired now: ${now}`;
  }
  return String(v.replicas.spec);
}

export function statusTable(v: StatusView): string {
  const head = [
    ['Endpoint', v.name],
    ['State', v.state],
    ['Image', v.image],
    ['Replicas', replicasLine(v)],
    ['Generation', String(v.generation)],
    // Only with a policy, so the table of an endpoint without one reads as it always did.
    ...(v.rollout ? [['Rollout', planLine(v.rollout)]] : []),
    ['Namespace', v.namespace],
    ['Path', v.regions[0]?.path ?? '-'],
    [
      'Labels',
      Object.entries(v.labels)
        .map(([k, val]) => `${k}=${val}`)
        .join(',') || '-',
    ],
  ]
    .map(([k, val]) => `${`${k}:`.padEnd(12)}${val}\n`)
    .join('');
  const regions = formatTable(
    ['REGION', 'STATE', 'MONITOR', 'REPLICAS', 'OBSERVED/GEN', 'CANARY', 'LAST SYNC', 'READY', 'MESSAGE'],
    v.regions.map((r) => [
      r.region,
      r.state,
      r.monitor,
      r.replicas ? `${r.replicas.ready}/${r.replicas.desired}` : '-',
      `${r.observed_generation ?? '-'}/${v.generation}`,
      r.canary ? `${r.canary.ready} ready, ${r.canary.weight}%` : '-',
      r.last_sync ?? '-',
      r.ready ? 'yes' : 'no',
      r.message,
    ]),
  );
  // Every cause in full (the region's MESSAGE shows only the worst, shortened).
  const causes = v.regions.flatMap((r) =>
    r.causes.map((c) => [
      r.region,
      c.track,
      c.reason,
      c.severity,
      String(c.pods),
      c.since,
      shorten(c.message, 400),
    ]),
  );
  const conditions = v.regions.flatMap((r) =>
    r.conditions.map((c) => [r.region, c.type, c.status, c.reason, c.last_transition_time, c.message]),
  );
  return `${head}\n${regions}${
    causes.length > 0
      ? `\n${formatTable(['REGION', 'TRACK', 'CAUSE', 'SEVERITY', 'PODS', 'SINCE', 'MESSAGE'], causes)}`
      : ''
  }${
    conditions.length > 0
      ? `\n${formatTable(['REGION', 'CONDITION', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'], conditions)}`
      : ''
  }`;
}

function render(format: OutputFormat, v: StatusView, watching: boolean): string {
  const out: string[] = [];
  // Watching with -o json prints one compact document per line (JSON lines), for `jq` and friends.
  const w = { write: (s: string) => out.push(s) };
  if (watching && format === 'json') w.write(`${JSON.stringify(v)}\n`);
  else printData(w, format, v, () => statusTable(v));
  return out.join('');
}

/** Follows until interrupted; prints only when what it would print changes (staleness included). */
async function watch(ctx: Ctx, name: string): Promise<void> {
  const signal = ctx.deps.interrupted?.() ?? sigintSignal();
  let last = '';
  while (!signal.aborted) {
    const v = await load(ctx, name);
    if (!v) {
      if (last === '') throw new CliError('NOT_FOUND', `endpoint ${name} not found`);
      ctx.progress(`${name}: purged`);
      return;
    }
    const text = render(ctx.format, v, true);
    if (text !== last) {
      if (last !== '' && ctx.format !== 'json') ctx.deps.stdout.write(ctx.format === 'yaml' ? '---\n' : '\n');
      ctx.deps.stdout.write(text);
      last = text;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ctx.deps.pollMs);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('status')
      .description('show every target region of an endpoint: its state, monitor, replicas, conditions')
      .argument('<name>', 'endpoint name')
      .option('--watch', 'print again whenever something changes, until Ctrl-C'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl status llama3\n  inferctl status llama3 --watch\n  inferctl status llama3 --wait --timeout 15m',
    )
    .action(async (name: string, flags: WaitFlags & { watch?: boolean }, command: Command) => {
      const ctx = ctxOf(command, deps);
      if (flags.dryRun)
        throw new CliError('INVALID_INPUT', '--dry-run: status writes nothing; drop the flag');
      if (flags.wait && flags.watch) throw new CliError('INVALID_INPUT', '--wait and --watch: pick one');
      if (flags.watch) return watch(ctx, name);
      if (flags.wait) {
        const rec = await ctx.store.requireEndpoint(name);
        await waitForRollout(ctx, name, rec.generation, parseDuration(flags.timeout ?? DEFAULT_TIMEOUT));
      }
      const v = await load(ctx, name);
      if (!v) throw new CliError('NOT_FOUND', `endpoint ${name} not found`);
      ctx.deps.stdout.write(render(ctx.format, v, false));
    });
}
