import type { Command } from 'commander';
import { stringify } from 'yaml';
import { DEFAULT_NAMESPACE, type Endpoint, parseEndpointItem } from '../../model/index.js';
import { render } from '../../render/index.js';
import { type Ctx, ctxOf } from '../context.js';
import type { CliDeps } from '../deps.js';
import { parsedOrThrow } from '../document.js';
import { CliError } from '../errors.js';
import { readRollout, waitLine } from '../rollout.js';
import { readFileInput, validateLabels } from '../spec-input.js';
import { validateName } from './deploy.js';

/** An endpoint from a file alone, as it would be stored at generation 1: no table needed. */
function fromFile(path: string, nameArg: string | undefined): Endpoint {
  const file = readFileInput(path);
  const name = validateName(nameArg ?? file.name ?? '');
  const parsed = parseEndpointItem({
    endpoint_name: name,
    spec: file.spec,
    target_regions: file.targetRegions ?? [],
    namespace: file.namespace ?? DEFAULT_NAMESPACE,
    labels: validateLabels(file.labels ?? {}),
    generation: 1,
  });
  if (!parsed.ok)
    throw new CliError('INVALID_INPUT', `${path}: ${parsed.error.message}`, { cause: parsed.error });
  return parsed.value;
}

/**
 * The objects are the endpoint's generation; a region behind a wave gate, or one that halted and
 * reverted, applies another one for now. Said on stderr, so the YAML stays what it was.
 */
async function noteRollout(ctx: Ctx, endpoint: Endpoint, region: string): Promise<void> {
  if (!endpoint.spec.rollout) return;
  const statuses = new Map((await ctx.store.listStatus(endpoint.name)).map((s) => [s.region, s]));
  const { wait, halt } = readRollout(endpoint, region, (r) => statuses.get(r), ctx.deps.now());
  const serving = statuses.get(region)?.observedGeneration;
  const now = serving ? `; it serves generation ${serving} now` : '; nothing runs there yet';
  if (halt?.revertedTo !== undefined)
    ctx.progress(
      `${endpoint.name}: ${region} halted generation ${endpoint.generation} (${halt.reason}) and went back to generation ${halt.revertedTo}: these objects are the halted generation's`,
    );
  else if (wait)
    ctx.progress(
      `${endpoint.name}: ${region} is behind a wave gate (${waitLine(wait, endpoint.generation)}): these are generation ${endpoint.generation}'s objects, applied there when the gate opens${now}`,
    );
}

async function endpointFor(ctx: Ctx, name: string | undefined, file: string | undefined): Promise<Endpoint> {
  if (file) return fromFile(file, name);
  if (!name) throw new CliError('INVALID_INPUT', 'render: give an endpoint name or -f FILE');
  return parsedOrThrow(await ctx.store.requireEndpoint(name));
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command('render')
    .description('print the Kubernetes objects the monitor would apply in a region, as YAML')
    .argument('[name]', 'endpoint name (not needed with -f)')
    .requiredOption('-r, --region <region>', 'region to render for')
    .option('-f, --file <file.yaml>', 'render this file instead of the stored endpoint (no table needed)')
    .option('--model-sync-image <image>', 'image of the model-sync init container')
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl render llama3 -r us-east-1 | kubectl diff -f -\n  inferctl render -f examples/llama3-8b.yaml -r us-east-1',
    )
    .action(
      async (
        nameArg: string | undefined,
        flags: { region: string; file?: string; modelSyncImage?: string },
        command: Command,
      ) => {
        const ctx = ctxOf(command, deps);
        const endpoint = await endpointFor(ctx, nameArg, flags.file);
        const name = endpoint.name;
        if (!endpoint.targetRegions.includes(flags.region)) {
          ctx.progress(`${name}: ${flags.region} is not a target region; nothing would be applied there`);
        } else if (!flags.file) await noteRollout(ctx, endpoint, flags.region);
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
      },
    );
}
