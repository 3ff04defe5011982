import type { Command } from 'commander';
import { addWaitOptions, confirmOrYes, ctxOf, mutate, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('delete')
      .description('delete the endpoint in every region; monitors purge the item when all are clean')
      .argument('<name>', 'endpoint name')
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExample:\n  inferctl delete llama3 --yes --wait')
    .action(async (name: string, flags: WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      await confirmOrYes(ctx, flags.yes, `Delete ${name} in every region?`);
      await mutate(ctx, name, 'deleting', flags, (rec) => {
        if (rec.raw.desired_state === 'deleted')
          throw new CliError('CONFLICT', `endpoint ${name} is already being deleted`);
        return { desiredState: 'deleted' };
      });
    });
}
