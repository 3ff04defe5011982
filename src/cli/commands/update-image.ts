import type { Command } from 'commander';
import { withImage } from '../../model/index.js';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, specOf, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { validateSpec } from '../spec-input.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('update-image')
      .description('change the image in every region (drops any per-region image map)')
      .argument('<name>', 'endpoint name')
      .requiredOption('-i, --image <image>', 'new container image'),
  )
    .addHelpText('after', '\nExample:\n  inferctl update-image llama3 -i vllm/vllm-openai:v0.7.0 --wait')
    .action(async (name: string, flags: { image: string } & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      await mutate(ctx, name, 'image updated', flags, (rec) => {
        refuseDeleted(rec, 'update the image of');
        return { spec: validateSpec({ ...withImage(specOf(rec), flags.image) }) };
      });
    });
}
