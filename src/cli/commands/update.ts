import type { Command } from 'commander';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { subjectOf } from '../document.js';
import { CliError } from '../errors.js';
import {
  addSpecOptions,
  applySpecFlags,
  mergePairs,
  rawSpec,
  readFileInput,
  type SpecFlags,
  validateLabels,
  validateNamespace,
  validateRegions,
  validateSpec,
  validateWaveRegions,
} from '../spec-input.js';
import { verifyTargets } from '../targets.js';

export function register(program: Command, deps: CliDeps): void {
  const cmd = program
    .command('update')
    .description(
      'change an endpoint: scalar flags replace that field, -e/--label/--node-selector add or replace one key (--unset-* removes one), -r replaces the target regions',
    )
    .argument('<name>', 'endpoint name');
  addWaitOptions(addSpecOptions(cmd))
    .option('--unset-rollout', 'drop the rollout policy: new generations reach every region at once again')
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl update llama3 -e MAX_MODEL_LEN=8192 --gpu-count 2 --wait   # other env vars are kept\n  inferctl update llama3 --unset-env DEBUG --dry-run\n  inferctl update llama3 --wave us-east-1 --wave eu-west-1,ap-northeast-1 --bake-seconds 600 --on-failure revert',
    )
    .action(async (name: string, flags: SpecFlags & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      const file = flags.file ? readFileInput(flags.file) : undefined;
      if (file?.name !== undefined && file.name !== name) {
        throw new CliError('INVALID_INPUT', `name: the file is for ${file.name}, not ${name}`);
      }
      await mutate(ctx, name, 'updated', flags, async (rec) => {
        refuseDeleted(rec, 'update');
        const base = file?.spec ?? rawSpec(rec.raw);
        const spec = validateSpec(applySpecFlags(base, flags));
        const given = flags.region ?? file?.targetRegions;
        const regions = given ? validateRegions(given) : undefined;
        // An item the schema rejects still has its targets as stored: check against those.
        validateWaveRegions(spec, regions ?? subjectOf(rec).target_regions);
        const storedLabels = (rec.parsed.ok ? rec.parsed.value.labels : undefined) ?? {};
        const labels =
          mergePairs('--label', file?.labels ?? storedLabels, flags.label, flags.unsetLabel) ?? file?.labels;
        const namespace = flags.namespace ?? file?.namespace;
        if (namespace !== undefined) validateNamespace(namespace);
        if (regions || namespace) {
          const current = rec.parsed.ok ? rec.parsed.value : undefined;
          await verifyTargets(ctx.store, {
            regions: regions ?? current?.targetRegions ?? [],
            namespace: namespace ?? current?.namespace ?? '',
            alreadyTargeted: current?.targetRegions ?? [],
            ...(flags.allowUnknownRegion ? { allowUnknownRegion: true } : {}),
          });
        }
        return {
          spec,
          ...(regions ? { targetRegions: regions } : {}),
          ...(labels ? { labels: validateLabels(labels) } : {}),
          ...(namespace ? { namespace } : {}),
        };
      });
    });
}
