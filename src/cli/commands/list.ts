import { type Command, Option } from 'commander';
import { aggregatePhase, DESIRED_STATES, type DesiredState, type RegionStatus } from '../../model/index.js';
import { ctxOf, staleRegions } from '../context.js';
import type { CliDeps } from '../deps.js';
import { formatTable, printData } from '../output.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('list')
    .description('list endpoints with their aggregate phase')
    .addOption(
      new Option('--state <state>', 'only endpoints in this desired state').choices([...DESIRED_STATES]),
    )
    .option('-r, --region <region>', 'only endpoints targeting this region')
    .addHelpText('after', '\nExample:\n  inferctl list --state running -r us-east-1 -o json')
    .action(async (flags: { state?: DesiredState; region?: string }, command: Command) => {
      const ctx = ctxOf(command, deps);
      const [list, statuses, stale] = await Promise.all([
        ctx.store.listEndpoints({
          ...(flags.state ? { desiredState: flags.state } : {}),
          ...(flags.region ? { region: flags.region } : {}),
        }),
        ctx.store.listAllStatus(),
        staleRegions(ctx.store),
      ]);
      const byName = new Map<string, RegionStatus[]>();
      for (const s of statuses) byName.set(s.endpointName, [...(byName.get(s.endpointName) ?? []), s]);
      const rows = list.endpoints.map((e) => {
        const agg = aggregatePhase(e, byName.get(e.name) ?? [], { staleRegions: stale });
        const ready = agg.regions.filter((r) => r.ready).length;
        return {
          name: e.name,
          desired_state: e.desiredState,
          phase: agg.phase,
          generation: e.generation,
          image: e.spec.image,
          target_regions: e.targetRegions,
          ready: `${ready}/${agg.regions.length}`,
          message: agg.message,
        };
      });
      for (const f of list.failures) {
        ctx.progress(`warning: stored endpoint ${f.name ?? '(unnamed)'} is invalid: ${f.error.message}`);
      }
      const invalid = list.failures.map((f) => ({ name: f.name ?? '(unnamed)', error: f.error.message }));
      printData(ctx.deps.stdout, ctx.format, { endpoints: rows, invalid }, () =>
        formatTable(
          ['NAME', 'STATE', 'PHASE', 'GEN', 'REGIONS', 'IMAGE', 'READY', 'MESSAGE'],
          [
            ...rows.map((r) => [
              r.name,
              r.desired_state,
              r.phase,
              String(r.generation),
              r.target_regions.join(',') || '-',
              r.image,
              r.ready,
              r.message,
            ]),
            ...invalid.map((i) => [i.name, '?', 'invalid', '-', '-', '-', '-', i.error]),
          ],
        ),
      );
    });
}
