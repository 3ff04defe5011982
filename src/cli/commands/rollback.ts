import type { Command } from 'commander';
import {
  addWaitOptions,
  confirmOrYes,
  ctxOf,
  mutate,
  refuseDeleted,
  specOf,
  type WaitFlags,
} from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import { validateSpec } from '../spec-input.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('rollback')
      .description('remove the canary; all traffic goes back to the primary')
      .argument('<name>', 'endpoint name')
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExample:\n  inferctl rollback llama3 --yes')
    .action(async (name: string, flags: WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      if (!flags.dryRun) await confirmOrYes(ctx, flags.yes, `Remove the canary of ${name}?`);
      await mutate(ctx, name, 'canary removed', flags, (rec) => {
        refuseDeleted(rec, 'roll back');
        const { canary, ...rest } = specOf(rec);
        if (!canary) throw new CliError('INVALID_INPUT', `endpoint ${name} has no canary to roll back`);
        return { spec: validateSpec({ ...rest }) };
      });
    });
}
