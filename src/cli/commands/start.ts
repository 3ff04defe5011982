import type { Command } from 'commander';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('start')
      .description('start a stopped endpoint at its previous replica count')
      .argument('<name>', 'endpoint name'),
  )
    .addHelpText('after', '\nExample:\n  inferctl start llama3 --wait')
    .action(async (name: string, flags: WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      await mutate(ctx, name, 'started', flags, (rec) => {
        refuseDeleted(rec, 'start');
        if (rec.raw.desired_state !== 'stopped') {
          throw new CliError(
            'CONFLICT',
            `endpoint ${name} is not stopped (${String(rec.raw.desired_state ?? 'deploying')})`,
          );
        }
        // spec.replicas was never touched by stop: the monitor scales back to it.
        return { desiredState: 'running' };
      });
    });
}
