import type { Command } from 'commander';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { applySpecFlags, rawSpec, validateSpec } from '../spec-input.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('scale')
      .description('set the replica count')
      .argument('<name>', 'endpoint name')
      .requiredOption('--replicas <n>', 'replica count'),
  )
    .addHelpText('after', '\nExample:\n  inferctl scale llama3 --replicas 4 --wait')
    .action(async (name: string, flags: { replicas: string } & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      await mutate(ctx, name, 'scaled', flags, (rec) => {
        refuseDeleted(rec, 'scale');
        const spec = validateSpec(applySpecFlags(rawSpec(rec.raw), { replicas: flags.replicas }));
        if (spec.autoscaling?.enabled) {
          ctx.progress(`${name}: autoscaling is on; the HPA owns the running replica count`);
        }
        if (rec.raw.desired_state === 'stopped') ctx.progress(`${name}: stopped; the count applies on start`);
        return { spec };
      });
    });
}
