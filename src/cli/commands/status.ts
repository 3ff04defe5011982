import type { Command } from 'commander';
import { aggregatePhase, ConditionType, conditionOf } from '../../model/index.js';
import {
  addWaitOptions,
  type Ctx,
  ctxOf,
  parseDuration,
  viewOf,
  type WaitFlags,
  waitForRollout,
} from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import { formatTable, printData } from '../output.js';

async function show(ctx: Ctx, name: string): Promise<void> {
  const view = await viewOf(ctx, name);
  if (!view) throw new CliError('NOT_FOUND', `endpoint ${name} not found`);
  const { endpoint, statuses, aggregate } = view;
  const byRegion = new Map(statuses.map((s) => [s.region, s]));
  const rows = aggregate.regions.map((r) => {
    const s = byRegion.get(r.region);
    return {
      region: r.region,
      state: r.state,
      replicas: s ? `${s.replicasReady}/${s.replicasDesired}` : '-',
      generation: `${s ? s.observedGeneration : '-'}/${endpoint.generation}`,
      canary: s?.canaryWeight !== undefined ? `${s.canaryReady ?? 0} ready, ${s.canaryWeight}%` : '-',
      last_sync: s?.lastSync || '-',
      error: s?.error ?? '',
      ready: r.ready,
      message: r.message,
    };
  });
  const data = {
    name: endpoint.name,
    desired_state: endpoint.desiredState,
    phase: aggregate.phase,
    generation: endpoint.generation,
    image: endpoint.spec.image,
    replicas: endpoint.spec.replicas,
    namespace: endpoint.namespace,
    message: aggregate.message,
    regions: rows,
  };
  printData(ctx.deps.stdout, ctx.format, data, () => {
    const head = [
      ['Endpoint', endpoint.name],
      ['State', `${endpoint.desiredState} (phase ${aggregate.phase})`],
      ['Image', endpoint.spec.image],
      ['Replicas', String(endpoint.spec.replicas)],
      ['Generation', String(endpoint.generation)],
      ['Namespace', endpoint.namespace],
    ]
      .map(([k, v]) => `${`${k}:`.padEnd(12)}${v}\n`)
      .join('')
      .concat('\n');
    return (
      head +
      formatTable(
        ['REGION', 'STATE', 'REPLICAS', 'OBSERVED/GEN', 'CANARY', 'LAST SYNC', 'READY', 'MESSAGE'],
        rows.map((r) => [
          r.region,
          r.state,
          r.replicas,
          r.generation,
          r.canary,
          r.last_sync,
          r.ready ? 'True' : 'False',
          r.message,
        ]),
      )
    );
  });
}

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('status')
      .description('show every target region of an endpoint and its aggregate phase')
      .argument('<name>', 'endpoint name')
      .option('--watch', 'print again whenever something changes (until interrupted or --timeout)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl status llama3\n  inferctl status llama3 --wait --timeout 15m',
    )
    .action(async (name: string, flags: WaitFlags & { watch?: boolean }, command: Command) => {
      const ctx = ctxOf(command, deps);
      if (flags.wait) {
        const rec = await ctx.store.requireEndpoint(name);
        await waitForRollout(ctx, name, rec.generation, parseDuration(flags.timeout ?? '10m'));
        await show(ctx, name);
        return;
      }
      if (!flags.watch) return show(ctx, name);
      const deadline = ctx.deps.now().getTime() + parseDuration(flags.timeout ?? '10m');
      let last = '';
      for (;;) {
        const view = await viewOf(ctx, name);
        if (!view) {
          ctx.progress(`${name}: gone`);
          return;
        }
        const key = JSON.stringify([view.endpoint, view.statuses.map((s) => ({ ...s, lastSync: '' }))]);
        if (key !== last) {
          last = key;
          await show(ctx, name);
        }
        if (ctx.deps.now().getTime() >= deadline) return;
        await new Promise((r) => setTimeout(r, ctx.deps.pollMs));
      }
    });
}

export { aggregatePhase, ConditionType, conditionOf };
