import type { Command } from 'commander';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import { applySpecFlags, rawSpec, validateSpec } from '../spec-input.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('scale')
      .description('set the replica count (refused while autoscaling is on: the HPA owns it)')
      .argument('<name>', 'endpoint name')
      .requiredOption('--replicas <n>', 'replica count'),
  )
    .addHelpText('after', '\nExample:\n  inferctl scale llama3 --replicas 4 --wait')
    .action(async (name: string, flags: { replicas: string } & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      await mutate(ctx, name, 'scaled', flags, (rec) => {
        refuseDeleted(rec, 'scale');
        const spec = validateSpec(applySpecFlags(rawSpec(rec.raw), { replicas: flags.replicas }));
        const a = spec.autoscaling;
        if (a?.enabled) {
          throw new CliError(
            'INVALID_INPUT',
            `scale: ${name} is autoscaled (${a.min_replicas}-${a.max_replicas} replicas) and the HPA owns the count; change the bounds with \`inferctl update ${name} --min-replicas N --max-replicas M\`, or turn autoscaling off with \`inferctl update ${name} --no-autoscaling --replicas ${flags.replicas}\``,
          );
        }
        if (rec.raw.desired_state === 'stopped') ctx.progress(`${name}: stopped; the count applies on start`);
        return { spec };
      });
    });
}
