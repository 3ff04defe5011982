import type { Command } from 'commander';
import { DEFAULT_NAMESPACE, endpointNameProblem } from '../../model/index.js';
import {
  addWaitOptions,
  ctxOf,
  parseDuration,
  printWriteResult,
  type WaitFlags,
  waitForRollout,
} from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import {
  addSpecOptions,
  applySpecFlags,
  parsePairs,
  readFileInput,
  type SpecFlags,
  validateNamespace,
  validateRegions,
  validateSpec,
} from '../spec-input.js';

export function validateName(name: string): string {
  const problem = endpointNameProblem(name);
  if (problem) throw new CliError('INVALID_INPUT', `endpoint_name: ${problem}, got ${JSON.stringify(name)}`);
  return name;
}

export function register(program: Command, deps: CliDeps): void {
  const cmd = program
    .command('deploy')
    .description('create an endpoint and roll it out to its target regions')
    .argument('[name]', 'endpoint name (or `name` in the file)');
  addWaitOptions(addSpecOptions(cmd))
    .addHelpText(
      'after',
      '\nExample:\n  inferctl deploy llama3 -i vllm/vllm-openai:v0.6.3 -r us-east-1 -r eu-west-1 --gpu-count 1 -e MODEL=meta-llama/Llama-3-8B --wait',
    )
    .action(async (nameArg: string | undefined, flags: SpecFlags & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      const file = flags.file ? readFileInput(flags.file) : {};
      const name = validateName(nameArg ?? file.name ?? '');
      const spec = validateSpec(applySpecFlags(file.spec ?? {}, flags));
      const namespace = validateNamespace(flags.namespace ?? file.namespace ?? DEFAULT_NAMESPACE);
      const labels = { ...(file.labels ?? {}), ...(parsePairs('--label', flags.label) ?? {}) };
      let regions = flags.region ?? file.targetRegions;
      if (!regions || regions.length === 0) {
        const alive = (await ctx.store.listRegions()).filter((r) => r.alive).map((r) => r.region);
        if (alive.length === 0) {
          throw new CliError(
            'INVALID_INPUT',
            'no target region given and no region has a live monitor heartbeat; pass -r REGION (see `inferctl regions`)',
          );
        }
        ctx.progress(`${name}: targeting every region with a live monitor: ${alive.join(', ')}`);
        regions = alive;
      }
      const targetRegions = validateRegions(regions);
      const timeoutMs = flags.wait ? parseDuration(flags.timeout ?? '10m') : 0;
      const rec = await ctx.store.createEndpoint({
        name,
        spec,
        targetRegions,
        namespace,
        labels,
        createdBy: deps.env.USER ?? 'inferctl',
      });
      printWriteResult(ctx, 'created', rec);
      if (flags.wait) await waitForRollout(ctx, name, rec.generation, timeoutMs);
    });
}
