// Shared plumbing for the verbs: the store for this invocation, confirmation, mutation + --wait.
import type { Command } from 'commander';
import type { EndpointSpec } from '../model/index.js';
import type { EndpointChange, EndpointRecord, Store } from '../store/index.js';
import { type CliDeps, type GlobalOptions, storeConfig } from './deps.js';
import { diffLines } from './diff.js';
import { parsedOrThrow, subjectOf, withChange } from './document.js';
import { CliError } from './errors.js';
import { type OutputFormat, printData } from './output.js';
import { waitForRollout } from './wait.js';

export interface Ctx {
  readonly deps: CliDeps;
  readonly global: GlobalOptions;
  readonly store: Store;
  readonly format: OutputFormat;
  progress(line: string): void;
}

export function ctxOf(cmd: Command, deps: CliDeps): Ctx {
  const global = cmd.optsWithGlobals() as GlobalOptions;
  let store: Store | undefined;
  return {
    deps,
    global,
    format: global.output ?? 'table',
    get store() {
      store ??= deps.openStore(storeConfig(deps, global));
      return store;
    },
    progress: (line) => deps.stderr.write(`${line}\n`),
  };
}

/** Destructive verbs: ask on a terminal, otherwise require --yes. */
export async function confirmOrYes(ctx: Ctx, yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!ctx.deps.isTTY)
    throw new CliError(
      'INVALID_INPUT',
      `${question.replace(/\?$/, '')}: refusing without --yes (not a terminal)`,
    );
  if (!(await ctx.deps.confirm(question))) throw new CliError('INVALID_INPUT', 'aborted');
}

export type WriteMode = 'written' | 'unchanged' | 'dry-run';

/** Shown after every write (or dry run): the new generation and the fields that changed. */
export function printWriteResult(
  ctx: Ctx,
  verb: string,
  rec: EndpointRecord,
  changes: readonly string[],
  mode: WriteMode = 'written',
): void {
  const e = rec.parsed.ok ? rec.parsed.value : undefined;
  const data = {
    name: rec.name,
    result: mode === 'written' ? verb : mode,
    generation: rec.generation,
    desired_state: e?.desiredState ?? String(rec.raw.desired_state ?? 'deploying'),
    target_regions: [...(e?.targetRegions ?? [])],
    changes: [...changes],
  };
  printData(ctx.deps.stdout, ctx.format, data, () => {
    const head =
      mode === 'dry-run'
        ? `${rec.name}: would be ${verb} (dry run, nothing written)${changes.length === 0 ? '; no change' : ''}`
        : mode === 'unchanged'
          ? `${rec.name}: unchanged (generation ${rec.generation}); nothing written`
          : `${rec.name}: ${verb} (generation ${rec.generation}, ${data.desired_state}, regions ${data.target_regions.join(',') || '-'})`;
    return [head, ...changes.map((c) => `  ${c}`)].join('\n').concat('\n');
  });
}

export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
  yes?: boolean;
  dryRun?: boolean;
}

export const DEFAULT_TIMEOUT = '10m';

/** --wait, --timeout and --dry-run: every writing verb takes them. */
export function addWaitOptions(cmd: Command): Command {
  return cmd
    .option('--wait', 'wait until every target region reports the new generation in the wanted state')
    .option(
      '--timeout <duration>',
      `with --wait: give up after this long (e.g. 90s, 10m; default ${DEFAULT_TIMEOUT})`,
    )
    .option('--dry-run', 'print what would change and write nothing');
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m)
    throw new CliError(
      'INVALID_INPUT',
      `--timeout: expected a duration like 90s or 10m, got ${JSON.stringify(s)}`,
    );
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

/**
 * Read → change → diff → conditional write at the generation read, then --wait if asked. A change
 * that alters nothing writes nothing (the generation stays); --dry-run prints the diff only.
 */
export async function mutate(
  ctx: Ctx,
  name: string,
  verb: string,
  flags: WaitFlags,
  change: (rec: EndpointRecord) => EndpointChange | Promise<EndpointChange>,
): Promise<void> {
  const timeoutMs = parseDuration(flags.timeout ?? DEFAULT_TIMEOUT);
  const rec = await ctx.store.requireEndpoint(name);
  const patch = await change(rec);
  const before = subjectOf(rec);
  const changes = diffLines(before, withChange(before, patch));
  if (flags.dryRun || changes.length === 0) {
    printWriteResult(ctx, verb, rec, changes, flags.dryRun ? 'dry-run' : 'unchanged');
    return;
  }
  const updated = await ctx.store.updateEndpoint(name, rec.generation, patch);
  printWriteResult(ctx, verb, updated, changes);
  if (flags.wait) await waitForRollout(ctx, name, updated.generation, timeoutMs);
}

/** Refuse spec edits of an endpoint being deleted: it would otherwise look revived. */
export function refuseDeleted(rec: EndpointRecord, verb: string): void {
  if (rec.raw.desired_state === 'deleted') {
    throw new CliError(
      'CONFLICT',
      `endpoint ${rec.name} is being deleted; cannot ${verb} it (wait for the purge, or see \`inferctl delete --force\`)`,
    );
  }
}

export function specOf(rec: EndpointRecord): EndpointSpec {
  return parsedOrThrow(rec).spec;
}
