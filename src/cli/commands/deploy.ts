import type { Command } from 'commander';
import { DEFAULT_NAMESPACE, type EndpointFile, endpointNameProblem } from '../../model/index.js';
import type { Store } from '../../store/index.js';
import {
  addWaitOptions,
  ctxOf,
  DEFAULT_TIMEOUT,
  parseDuration,
  printWriteResult,
  revisionNote,
  type WaitFlags,
  warnUnrecorded,
} from '../context.js';
import type { CliDeps } from '../deps.js';
import { diffLines } from '../diff.js';
import type { EndpointDocument } from '../document.js';
import { CliError } from '../errors.js';
import { printData } from '../output.js';
import {
  addSpecOptions,
  applySpecFlags,
  mergePairs,
  readFileInput,
  type SpecFlags,
  validateLabels,
  validateNamespace,
  validateRegions,
  validateSpec,
  validateWaveRegions,
} from '../spec-input.js';
import { verifyTargets } from '../targets.js';
import { waitForRollout } from '../wait.js';

export function validateName(name: string): string {
  const problem = endpointNameProblem(name);
  if (problem) throw new CliError('INVALID_INPUT', `endpoint_name: ${problem}, got ${JSON.stringify(name)}`);
  return name;
}

/** Without -r or target_regions: every region with a live monitor, and none is an error. */
async function defaultRegions(
  store: Store,
  progress: (line: string) => void,
  name: string,
): Promise<string[]> {
  const alive = (await store.listRegions()).filter((r) => r.alive).map((r) => r.region);
  if (alive.length === 0) {
    throw new CliError(
      'INVALID_INPUT',
      'no target region given and no region has a live monitor heartbeat; pass -r REGION (see `inferctl regions`)',
    );
  }
  progress(`${name}: targeting every region with a live monitor: ${alive.join(', ')}`);
  return alive;
}

/**
 * A new endpoint from a file and flags, checked completely (schema, labels, regions, the
 * monitors' namespaces) before anything is written; then created, or with --dry-run only shown.
 */
export async function createFrom(
  ctx: ReturnType<typeof ctxOf>,
  nameArg: string | undefined,
  file: EndpointFile | undefined,
  flags: SpecFlags & WaitFlags,
): Promise<void> {
  if (nameArg && file?.name && file.name !== nameArg) {
    throw new CliError(
      'INVALID_INPUT',
      `name: the file is for ${file.name}, not ${nameArg}; drop one of them`,
    );
  }
  const name = validateName(nameArg ?? file?.name ?? '');
  const spec = validateSpec(applySpecFlags(file?.spec ?? {}, flags));
  const namespace = validateNamespace(flags.namespace ?? file?.namespace ?? DEFAULT_NAMESPACE);
  const labels = validateLabels(
    mergePairs('--label', file?.labels, flags.label, flags.unsetLabel) ?? file?.labels ?? {},
  );
  const timeoutMs = parseDuration(flags.timeout ?? DEFAULT_TIMEOUT);
  const given = flags.region ?? file?.targetRegions;
  const targetRegions = validateRegions(
    given && given.length > 0 ? given : await defaultRegions(ctx.store, ctx.progress, name),
  );
  validateWaveRegions(spec, targetRegions);
  await verifyTargets(ctx.store, {
    regions: targetRegions,
    namespace,
    ...(flags.allowUnknownRegion ? { allowUnknownRegion: true } : {}),
  });
  const doc: EndpointDocument = { name, namespace, target_regions: targetRegions, labels, spec };
  if (flags.dryRun) {
    const changes = diffLines({}, { ...doc, desired_state: 'deploying' });
    printData(ctx.deps.stdout, ctx.format, { name, result: 'dry-run', changes }, () =>
      [`${name}: would be created (dry run, nothing written)`, ...changes.map((l) => `  ${l}`)]
        .join('\n')
        .concat('\n'),
    );
    return;
  }
  const rec = await ctx.store.createEndpoint(
    { name, spec, targetRegions, namespace, labels, createdBy: ctx.deps.env.USER ?? 'inferctl' },
    revisionNote(ctx, flags, `created: image ${spec.image}, replicas ${spec.replicas ?? 1}`),
  );
  warnUnrecorded(ctx, rec);
  printWriteResult(ctx, 'created', rec, []);
  if (flags.wait) await waitForRollout(ctx, name, rec.generation, timeoutMs);
}

export function register(program: Command, deps: CliDeps): void {
  const cmd = program
    .command('deploy')
    .description('create an endpoint and roll it out to its target regions')
    .argument('[name]', 'endpoint name (or `name` in the file)');
  addWaitOptions(addSpecOptions(cmd))
    .addHelpText(
      'after',
      '\nExample:\n  inferctl deploy llama3 -i vllm/vllm-openai:v0.6.3 -r us-east-1 -r eu-west-1 --gpu-count 1 -e MODEL=meta-llama/Llama-3-8B --wait\n  inferctl deploy -f examples/staged-rollout.yaml --wait   # region waves: us-east-1, a bake, then the others',
    )
    .action(async (nameArg: string | undefined, flags: SpecFlags & WaitFlags, command: Command) => {
      const ctx = ctxOf(command, deps);
      await createFrom(ctx, nameArg, flags.file ? readFileInput(flags.file) : undefined, flags);
    });
}
