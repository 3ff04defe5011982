import { type Command, Option } from 'commander';
import { AGGREGATE_PHASES, type AggregatePhase, type RegionStatus } from '../../model/index.js';
import { ctxOf } from '../context.js';
import type { CliDeps } from '../deps.js';
import { formatTable, printData } from '../output.js';
import { type ListView, listEntry, statusView } from '../views.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('list')
    .description('list endpoints with their state (the phase computed from every target region)')
    .addOption(new Option('--state <state>', 'only endpoints in this state').choices([...AGGREGATE_PHASES]))
    .option('-r, --region <region>', 'only endpoints targeting this region')
    .addHelpText('after', '\nExample:\n  inferctl list --state running -r us-east-1 -o json')
    .action(async (flags: { state?: AggregatePhase; region?: string }, command: Command) => {
      const ctx = ctxOf(command, deps);
      const [list, statuses, heartbeats] = await Promise.all([
        ctx.store.listEndpoints(flags.region ? { region: flags.region } : {}),
        ctx.store.listAllStatus(),
        ctx.store.listRegions(),
      ]);
      const byName = new Map<string, RegionStatus[]>();
      for (const s of statuses) byName.set(s.endpointName, [...(byName.get(s.endpointName) ?? []), s]);
      const view: ListView = {
        endpoints: list.endpoints
          .map((e) => statusView(e, byName.get(e.name) ?? [], heartbeats, ctx.deps.now()))
          .filter((v) => !flags.state || v.state === flags.state)
          .map(listEntry),
        invalid: list.failures.map((f) => ({ name: f.name ?? null, error: f.error.message })),
      };
      for (const f of view.invalid) {
        ctx.progress(`warning: stored endpoint ${f.name ?? '(unnamed)'} is invalid: ${f.error}`);
      }
      printData(ctx.deps.stdout, ctx.format, view, () =>
        formatTable(
          ['NAME', 'STATE', 'GEN', 'REGIONS', 'IMAGE', 'READY', 'MESSAGE'],
          [
            ...view.endpoints.map((r) => [
              r.name,
              r.state,
              String(r.generation),
              r.target_regions.join(',') || '-',
              r.image,
              `${r.regions_ready}/${r.regions_total}`,
              r.message,
            ]),
            ...view.invalid.map((i) => [i.name ?? '(unnamed)', 'invalid', '-', '-', '-', '-', i.error]),
          ],
        ),
      );
    });
}
