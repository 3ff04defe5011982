// Flags and files → a spec input; the model's schema then validates it before anything is written.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type EndpointSpec, isDns1123Label, parseSpec } from '../model/index.js';
import { CliError } from './errors.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export interface SpecFlags {
  image?: string;
  replicas?: string;
  gpuCount?: string;
  accelerator?: string;
  port?: string;
  healthPath?: string;
  env?: string[];
  modelPath?: string;
  modelSource?: string;
  namespace?: string;
  label?: string[];
  nodeSelector?: string[];
  capacityType?: string;
  minReplicas?: string;
  maxReplicas?: string;
  autoscaleMetric?: string[];
  command?: string[];
  args?: string[];
  file?: string;
  region?: string[];
}

/** The spec flags shared by `deploy` and `update`. */
export function addSpecOptions(cmd: Command): Command {
  return cmd
    .option('-i, --image <image>', 'container image')
    .option(
      '-r, --region <region>',
      'target region (repeatable; default: every region with a live monitor)',
      collect,
    )
    .option('--replicas <n>', 'replica count (default 1)')
    .option('--gpu-count <n>', 'GPUs per replica (default 1)')
    .addOption(new Option('--accelerator <kind>', 'accelerator').choices(['nvidia', 'neuron']))
    .option('--port <n>', 'container port (default 8000)')
    .option('--health-path <path>', 'health check path (default /health)')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect)
    .option('--model-path <path>', 'model path inside the container')
    .option('--model-source <s3uri>', 'model source, s3://bucket/prefix')
    .option('--namespace <ns>', 'Kubernetes namespace (default gco-inference)')
    .option('--label <K=V>', 'endpoint label (repeatable)', collect)
    .option('--node-selector <K=V>', 'node selector entry (repeatable)', collect)
    .addOption(new Option('--capacity-type <type>', 'Karpenter capacity type').choices(['spot', 'on-demand']))
    .option('--min-replicas <n>', 'autoscaling: minimum replicas (enables autoscaling)')
    .option('--max-replicas <n>', 'autoscaling: maximum replicas (enables autoscaling)')
    .option('--autoscale-metric <type:target>', 'autoscaling metric, e.g. cpu:70 (repeatable)', collect)
    .option('--command <arg>', 'container command, one argv element per flag (repeatable)', collect)
    .option('--args <arg>', 'container args, one argv element per flag (repeatable)', collect)
    .option('-f, --file <file.yaml>', 'endpoint or spec from a YAML/JSON file; flags override it');
}

/** Numbers stay numbers; anything else is passed as typed so the schema names it in its message. */
function num(s: string): number | string {
  return /^-?\d+$/.test(s.trim()) ? Number(s) : s;
}

export function parsePairs(
  flag: string,
  values: readonly string[] | undefined,
): Record<string, string> | undefined {
  if (!values) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CliError('INVALID_INPUT', `${flag}: expected KEY=VALUE, got ${JSON.stringify(v)}`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export interface FileInput {
  name?: string;
  spec?: Record<string, unknown>;
  targetRegions?: string[];
  namespace?: string;
  labels?: Record<string, string>;
}

/** A file holds either a whole endpoint ({name, spec, target_regions, namespace, labels}) or a bare spec. */
export function readFileInput(path: string): FileInput {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError('INVALID_INPUT', `${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CliError('INVALID_INPUT', `${path}: expected a mapping with "spec" or a spec`);
  }
  const o = doc as Record<string, unknown>;
  if (!('spec' in o)) return { spec: o };
  const regions = o.target_regions ?? o.regions;
  if (regions !== undefined && (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string'))) {
    throw new CliError('INVALID_INPUT', `target_regions: must be a list of region names`);
  }
  const name = o.name ?? o.endpoint_name;
  const out: FileInput = {};
  if (typeof name === 'string') out.name = name;
  if (o.spec && typeof o.spec === 'object') out.spec = o.spec as Record<string, unknown>;
  else throw new CliError('INVALID_INPUT', 'spec: must be a mapping');
  if (regions) out.targetRegions = regions as string[];
  if (typeof o.namespace === 'string') out.namespace = o.namespace;
  if (o.labels && typeof o.labels === 'object') out.labels = o.labels as Record<string, string>;
  return out;
}

/** Apply the given flags on top of `base` (each given flag replaces that field). */
export function applySpecFlags(base: Record<string, unknown>, f: SpecFlags): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...base };
  if (f.image !== undefined) {
    spec.image = f.image;
    // A new image replaces any per-region override map (DESIGN §4.13).
    delete spec.region_image_uris;
  }
  if (f.replicas !== undefined) spec.replicas = num(f.replicas);
  if (f.gpuCount !== undefined) spec.gpu_count = num(f.gpuCount);
  if (f.accelerator !== undefined) spec.accelerator = f.accelerator;
  if (f.port !== undefined) spec.port = num(f.port);
  if (f.healthPath !== undefined) spec.health_check_path = f.healthPath;
  const env = parsePairs('--env', f.env);
  if (env) spec.env = env;
  if (f.modelPath !== undefined) spec.model_path = f.modelPath;
  if (f.modelSource !== undefined) spec.model_source = f.modelSource;
  const ns = parsePairs('--node-selector', f.nodeSelector);
  if (ns) spec.node_selector = ns;
  if (f.capacityType !== undefined) spec.capacity_type = f.capacityType;
  if (f.command) spec.command = f.command;
  if (f.args) spec.args = f.args;
  if (f.minReplicas !== undefined || f.maxReplicas !== undefined || f.autoscaleMetric) {
    const prev = (spec.autoscaling && typeof spec.autoscaling === 'object' ? spec.autoscaling : {}) as Record<
      string,
      unknown
    >;
    const a: Record<string, unknown> = { ...prev, enabled: true };
    if (f.minReplicas !== undefined) a.min_replicas = num(f.minReplicas);
    if (f.maxReplicas !== undefined) a.max_replicas = num(f.maxReplicas);
    if (f.autoscaleMetric) {
      a.metrics = f.autoscaleMetric.map((m) => {
        const [type, target] = m.split(':');
        if (!type || target === undefined) {
          throw new CliError(
            'INVALID_INPUT',
            `--autoscale-metric: expected TYPE:TARGET like cpu:70, got ${JSON.stringify(m)}`,
          );
        }
        return { type, target: num(target) };
      });
    }
    spec.autoscaling = a;
  }
  return spec;
}

/** Validate with the model's schema; the first issue becomes one `spec.<path>: <rule>` line. */
export function validateSpec(input: Record<string, unknown>): EndpointSpec {
  const r = parseSpec(input);
  if (!r.ok) throw new CliError('INVALID_INPUT', r.error.message, { cause: r.error });
  return r.value;
}

export function validateNamespace(ns: string): string {
  if (!isDns1123Label(ns)) {
    throw new CliError(
      'INVALID_INPUT',
      `namespace: must be a DNS-1123 label (lowercase letters, digits, "-", ≤ 63), got ${JSON.stringify(ns)}`,
    );
  }
  return ns;
}

export function validateRegions(regions: readonly string[]): string[] {
  for (const r of regions) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(r) || r.length > 63) {
      throw new CliError(
        'INVALID_INPUT',
        `target_regions: must be region names like "us-east-1", got ${JSON.stringify(r)}`,
      );
    }
  }
  return [...new Set(regions)].sort();
}

/** Raw stored spec (or {}), as the base for edits, so an invalid stored field can still be fixed. */
export function rawSpec(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = raw.spec;
  return s && typeof s === 'object' && !Array.isArray(s) ? { ...(s as Record<string, unknown>) } : {};
}

export { collect };
