import type { Command } from 'commander';
import { stringify } from 'yaml';
import { render } from '../../render/index.js';
import { ctxOf, parsedOrThrow } from '../context.js';
import type { CliDeps } from '../deps.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('render')
    .description('print the Kubernetes objects the monitor would apply in a region, as YAML')
    .argument('<name>', 'endpoint name')
    .requiredOption('-r, --region <region>', 'region to render for')
    .option('--model-sync-image <image>', 'image of the model-sync init container')
    .addHelpText('after', '\nExample:\n  inferctl render llama3 -r us-east-1 | kubectl diff -f -')
    .action(async (name: string, flags: { region: string; modelSyncImage?: string }, command: Command) => {
      const ctx = ctxOf(command, deps);
      const endpoint = parsedOrThrow(await ctx.store.requireEndpoint(name));
      if (!endpoint.targetRegions.includes(flags.region)) {
        ctx.progress(`${name}: ${flags.region} is not a target region; nothing would be applied there`);
      }
      const objects = render(
        endpoint,
        flags.region,
        flags.modelSyncImage ? { modelSyncImage: flags.modelSyncImage } : {},
      );
      if (ctx.format === 'json') {
        deps.stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
        return;
      }
      if (objects.length === 0) {
        ctx.progress(`${name}: no objects (${endpoint.desiredState})`);
        return;
      }
      deps.stdout.write(objects.map((o) => stringify(o)).join('---\n'));
    });
}
