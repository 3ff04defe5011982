import type { Command } from 'commander';
import { withImage } from '../../model/index.js';
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
      .command('promote')
      .description("make the canary's image the primary image and remove the canary")
      .argument('<name>', 'endpoint name')
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExample:\n  inferctl promote llama3 --yes --wait')
    .action(async (name: string, flags: WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      if (!flags.dryRun) await confirmOrYes(ctx, flags.yes, `Promote the canary of ${name} to primary?`);
      await mutate(ctx, name, 'canary promoted', flags, (rec) => {
        refuseDeleted(rec, 'promote');
        const spec = specOf(rec);
        if (!spec.canary) throw new CliError('INVALID_INPUT', `endpoint ${name} has no canary to promote`);
        const { canary: _gone, ...rest } = withImage(spec, spec.canary.image);
        return { spec: validateSpec({ ...rest }) };
      });
    });
}
