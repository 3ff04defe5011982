import type { Command } from 'commander';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { rawSpec, validateSpec } from '../spec-input.js';

const num = (s: string): number | string => (/^-?\d+$/.test(s) ? Number(s) : s);

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('canary')
      .description('run a canary image next to the primary and send it a share of the traffic')
      .argument('<name>', 'endpoint name')
      .requiredOption('-i, --image <image>', 'canary image')
      .option('--weight <percent>', 'share of traffic for the canary, 0-100', '10')
      .option('--replicas <n>', 'canary replicas', '1'),
  )
    .addHelpText('after', '\nExample:\n  inferctl canary llama3 -i vllm/vllm-openai:v0.7.0 --weight 20')
    .action(
      async (
        name: string,
        flags: { image: string; weight: string; replicas: string } & WaitFlags,
        command: Command,
      ) => {
        const ctx = ctxOf(command, deps);
        await mutate(ctx, name, 'canary set', flags, (rec) => {
          refuseDeleted(rec, 'canary');
          const spec = validateSpec({
            ...rawSpec(rec.raw),
            canary: { image: flags.image, weight: num(flags.weight), replicas: num(flags.replicas) },
          });
          return { spec };
        });
      },
    );
}
