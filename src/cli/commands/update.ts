import type { Command } from 'commander';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import {
  addSpecOptions,
  applySpecFlags,
  parsePairs,
  rawSpec,
  readFileInput,
  type SpecFlags,
  validateNamespace,
  validateRegions,
  validateSpec,
} from '../spec-input.js';

export function register(program: Command, deps: CliDeps): void {
  const cmd = program
    .command('update')
    .description('change an endpoint: each given flag replaces that field; -r replaces the target regions')
    .argument('<name>', 'endpoint name');
  addWaitOptions(addSpecOptions(cmd))
    .addHelpText('after', '\nExample:\n  inferctl update llama3 -e MAX_MODEL_LEN=8192 --gpu-count 2 --wait')
    .action(async (name: string, flags: SpecFlags & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      const file = flags.file ? readFileInput(flags.file) : undefined;
      if (file?.name !== undefined && file.name !== name) {
        throw new CliError('INVALID_INPUT', `name: the file is for ${file.name}, not ${name}`);
      }
      await mutate(ctx, name, 'updated', flags, (rec) => {
        refuseDeleted(rec, 'update');
        const base = file?.spec ?? rawSpec(rec.raw);
        const spec = validateSpec(applySpecFlags(base, flags));
        const regions = flags.region ?? file?.targetRegions;
        const labels = parsePairs('--label', flags.label) ?? file?.labels;
        const namespace = flags.namespace ?? file?.namespace;
        return {
          spec,
          ...(regions ? { targetRegions: validateRegions(regions) } : {}),
          ...(labels ? { labels } : {}),
          ...(namespace ? { namespace: validateNamespace(namespace) } : {}),
        };
      });
    });
}
