import type { Command } from 'commander';
import { addWaitOptions, confirmOrYes, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('stop')
      .description('scale the endpoint to zero in every region (its replica count is kept for start)')
      .argument('<name>', 'endpoint name')
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExample:\n  inferctl stop llama3 --yes')
    .action(async (name: string, flags: WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      if (!flags.dryRun) await confirmOrYes(ctx, flags.yes, `Stop ${name} in every region?`);
      await mutate(ctx, name, 'stopped', flags, (rec) => {
        refuseDeleted(rec, 'stop');
        if (rec.raw.desired_state === 'stopped')
          throw new CliError('CONFLICT', `endpoint ${name} is already stopped`);
        return { desiredState: 'stopped' };
      });
    });
}
