import type { Command } from 'commander';
import type { Store } from '../../store/index.js';
import { addWaitOptions, type Ctx, confirmOrYes, ctxOf, mutate, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import { printData } from '../output.js';

/**
 * The way out when no monitor will ever clean up (a region decommissioned, a monitor gone):
 * remove the item and its status items here. Refused while any target region's monitor is alive,
 * since that monitor would then keep the objects it runs as orphans until its next full scan.
 */
async function purge(ctx: Ctx, store: Store, name: string, flags: WaitFlags): Promise<void> {
  const rec = await store.requireEndpoint(name);
  const targets = rec.parsed.ok ? rec.parsed.value.targetRegions : [];
  const [heartbeats, statuses] = await Promise.all([store.listRegions(), store.listStatus(name)]);
  const alive = heartbeats.filter((h) => h.alive && targets.includes(h.region)).map((h) => h.region);
  if (alive.length > 0) {
    throw new CliError(
      'CONFLICT',
      `delete --force: the monitor in ${alive.join(', ')} is alive and will remove ${name}'s objects there; use \`inferctl delete ${name} --yes --wait\` instead`,
    );
  }
  const regions = statuses.map((s) => s.region);
  const data = { name, result: flags.dryRun ? 'dry-run' : 'purged', status_items: regions };
  if (!flags.dryRun) {
    await confirmOrYes(
      ctx,
      flags.yes,
      `Purge ${name} without cleanup? Objects left in ${targets.join(', ') || 'no region'} stay until removed by hand`,
    );
    const deleted =
      rec.raw.desired_state === 'deleted'
        ? rec
        : await store.updateEndpoint(name, rec.generation, { desiredState: 'deleted' });
    await store.purgeEndpoint(name, deleted.generation);
    for (const region of regions) await store.deleteStatus(name, region);
  }
  printData(
    ctx.deps.stdout,
    ctx.format,
    data,
    () =>
      `${name}: ${flags.dryRun ? 'would be purged (dry run, nothing written)' : 'purged'}; status items${flags.dryRun ? ' to remove' : ' removed'}: ${regions.join(', ') || 'none'}\n`,
  );
}

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('delete')
      .description('delete the endpoint in every region; monitors purge the item when all are clean')
      .argument('<name>', 'endpoint name')
      .option('-y, --yes', 'do not ask for confirmation')
      .option(
        '--force',
        'purge the item and its status now, without cleanup; only when no target region has a live monitor',
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl delete llama3 --yes --wait\n  inferctl delete llama3 --force --yes   # its regions have no live monitor',
    )
    .action(async (name: string, flags: WaitFlags & { force?: boolean }, command: Command) => {
      const ctx = ctxOf(command, deps);
      if (flags.force) return purge(ctx, ctx.store, name, flags);
      if (!flags.dryRun) await confirmOrYes(ctx, flags.yes, `Delete ${name} in every region?`);
      await mutate(ctx, name, 'deleting', flags, async (rec) => {
        if (rec.raw.desired_state === 'deleted') {
          const alive = new Set((await ctx.store.listRegions()).filter((h) => h.alive).map((h) => h.region));
          const targets = rec.parsed.ok ? rec.parsed.value.targetRegions : [];
          const orphaned = targets.filter((r) => !alive.has(r));
          throw new CliError(
            'CONFLICT',
            `endpoint ${name} is already being deleted${orphaned.length > 0 ? `; ${orphaned.join(', ')} ha${orphaned.length > 1 ? 've' : 's'} no live monitor to finish it: \`inferctl delete ${name} --force\` purges it once no target region's monitor is alive` : `; wait with \`inferctl status ${name} --wait\``}`,
          );
        }
        return { desiredState: 'deleted' };
      });
    });
}
