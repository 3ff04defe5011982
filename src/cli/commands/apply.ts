import type { Command } from 'commander';
import { DEFAULT_NAMESPACE } from '../../model/index.js';
import { addWaitOptions, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { subjectOf } from '../document.js';
import { CliError } from '../errors.js';
import {
  readFileInput,
  validateLabels,
  validateNamespace,
  validateRegions,
  validateSpec,
  validateWaveRegions,
} from '../spec-input.js';
import { verifyTargets } from '../targets.js';
import { createFrom, validateName } from './deploy.js';

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('apply')
      .description(
        'create or update an endpoint from a file, declaratively; an unchanged file writes nothing',
      )
      .requiredOption(
        '-f, --file <file.yaml>',
        'the endpoint, in the form `inferctl get NAME -o yaml` prints',
      )
      .option('--allow-unknown-region', 'accept target regions no monitor has ever reported from'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl apply -f examples/llama3-8b.yaml --wait\n  inferctl get llama3 -o yaml > llama3.yaml && $EDITOR llama3.yaml && inferctl apply -f llama3.yaml --dry-run',
    )
    .action(async (flags: { file: string; allowUnknownRegion?: boolean } & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      const file = readFileInput(flags.file);
      if (file.name === undefined) {
        throw new CliError(
          'INVALID_INPUT',
          `${flags.file}: name: is required (apply needs the whole endpoint, not a bare spec)`,
        );
      }
      const name = validateName(file.name);
      if (!(await ctx.store.getEndpoint(name))) return createFrom(ctx, undefined, file, flags);
      // The file is the whole truth, except target_regions: absent, the stored targets stay.
      const spec = validateSpec({ ...file.spec });
      const namespace = validateNamespace(file.namespace ?? DEFAULT_NAMESPACE);
      const labels = validateLabels(file.labels ?? {});
      const regions = file.targetRegions ? validateRegions(file.targetRegions) : undefined;
      await mutate(ctx, name, 'configured', flags, async (rec) => {
        refuseDeleted(rec, 'apply');
        const current = rec.parsed.ok ? rec.parsed.value : undefined;
        // An item the schema rejects still has its targets as stored: check against those.
        validateWaveRegions(spec, regions ?? subjectOf(rec).target_regions);
        await verifyTargets(ctx.store, {
          regions: regions ?? current?.targetRegions ?? [],
          namespace,
          alreadyTargeted: current?.targetRegions ?? [],
          ...(flags.allowUnknownRegion ? { allowUnknownRegion: true } : {}),
        });
        return { spec, namespace, labels, ...(regions ? { targetRegions: regions } : {}) };
      });
    });
}
