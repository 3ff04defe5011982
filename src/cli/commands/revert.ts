import type { Command } from 'commander';
import { addWaitOptions, confirmOrYes, ctxOf, mutate, refuseDeleted, type WaitFlags } from '../context.js';
import type { CliDeps } from '../deps.js';
import { CliError } from '../errors.js';
import { validateSpec } from '../spec-input.js';
import { summarize } from '../summary.js';

function parseGeneration(s: string): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1)
    throw new CliError(
      'INVALID_INPUT',
      `--to-generation: expected a positive integer, got ${JSON.stringify(s)}`,
    );
  return Number(s);
}

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    program
      .command('revert')
      .description(
        "write a new generation whose spec and target regions are an earlier generation's (default: the previous one); `rollback` only drops the canary",
      )
      .argument('<name>', 'endpoint name')
      .option('--to-generation <G>', 'the generation to restore (see `inferctl history NAME`)')
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl revert llama3 --dry-run\n  inferctl revert llama3 --to-generation 4 --reason "v0.7 OOMs" --yes --wait',
    )
    .action(async (name: string, flags: { toGeneration?: string } & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      const wanted = flags.toGeneration !== undefined ? parseGeneration(flags.toGeneration) : undefined;
      if (!flags.dryRun)
        await confirmOrYes(
          ctx,
          flags.yes,
          `Revert ${name} to ${wanted !== undefined ? `generation ${wanted}` : 'its previous generation'}?`,
        );
      let target = 0;
      await mutate(
        ctx,
        name,
        'reverted',
        flags,
        async (rec) => {
          refuseDeleted(rec, 'revert');
          target = wanted ?? rec.generation - 1;
          if (target >= rec.generation)
            throw new CliError(
              'INVALID_INPUT',
              `--to-generation: must be below the current generation ${rec.generation}, got ${target}`,
            );
          if (target < 1)
            throw new CliError('NOT_FOUND', `endpoint ${name} has no generation before ${rec.generation}`);
          const revision = await ctx.store.getRevision(name, target);
          if (!revision) {
            const kept = (await ctx.store.listRevisions(name, rec.generation)).map((r) => r.generation);
            throw new CliError(
              'NOT_FOUND',
              `generation ${target} of ${name} has no stored revision (${kept.length > 0 ? `kept: ${Math.min(...kept)}-${Math.max(...kept)}` : 'none kept'}; see \`inferctl history ${name}\`)`,
            );
          }
          // Revisions are history: the rules may have tightened since, so the spec is checked again.
          let spec: ReturnType<typeof validateSpec>;
          try {
            spec = validateSpec({ ...revision.spec });
          } catch (err) {
            throw new CliError(
              'INVALID_INPUT',
              `generation ${target}'s spec is not valid today: ${(err as Error).message}`,
              { cause: err },
            );
          }
          return { spec, targetRegions: revision.targetRegions };
        },
        (changes) => `revert to generation ${target}: ${summarize(changes)}`,
      );
    });
}
