// Flags and files → a spec input; the model's schema then validates it before anything is written.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  type EndpointFile,
  type EndpointSpec,
  formatIssue,
  InvalidSpecError,
  isDns1123Label,
  labelIssues,
  parseEndpointFile,
  parseSpec,
  waveRegionIssues,
  withImage,
} from '../model/index.js';
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
  unsetEnv?: string[];
  modelPath?: string;
  modelSource?: string;
  namespace?: string;
  label?: string[];
  unsetLabel?: string[];
  nodeSelector?: string[];
  unsetNodeSelector?: string[];
  autoscaling?: boolean;
  capacityType?: string;
  minReplicas?: string;
  maxReplicas?: string;
  autoscaleMetric?: string[];
  command?: string[];
  args?: string[];
  file?: string;
  region?: string[];
  allowUnknownRegion?: boolean;
  wave?: string[];
  bakeSeconds?: string;
  onFailure?: string;
  progressDeadlineSeconds?: string;
  /** `update` only: drop the rollout policy (every region at once again). */
  unsetRollout?: boolean;
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
    .option('-e, --env <K=V>', 'add or replace one environment variable (repeatable)', collect)
    .option('--unset-env <K>', 'remove one environment variable (repeatable)', collect)
    .option('--model-path <path>', 'model path inside the container')
    .option('--model-source <s3uri>', 'model source, s3://bucket/prefix')
    .option('--namespace <ns>', 'Kubernetes namespace (default gco-inference)')
    .option('--label <K=V>', 'add or replace one label, copied onto every object (repeatable)', collect)
    .option('--unset-label <K>', 'remove one label (repeatable)', collect)
    .option('--node-selector <K=V>', 'add or replace one node selector entry (repeatable)', collect)
    .option('--unset-node-selector <K>', 'remove one node selector entry (repeatable)', collect)
    .addOption(new Option('--capacity-type <type>', 'Karpenter capacity type').choices(['spot', 'on-demand']))
    .option('--min-replicas <n>', 'autoscaling: minimum replicas (enables autoscaling)')
    .option('--max-replicas <n>', 'autoscaling: maximum replicas (enables autoscaling)')
    .option('--autoscale-metric <type:target>', 'autoscaling metric, e.g. cpu:70 (repeatable)', collect)
    .option('--no-autoscaling', 'turn autoscaling off (spec.replicas applies again)')
    .option('--command <arg>', 'container command, one argv element per flag (repeatable)', collect)
    .option('--args <arg>', 'container args, one argv element per flag (repeatable)', collect)
    .option(
      '--wave <regions>',
      'rollout wave: comma-separated regions that get a new generation together; repeat in order (replaces the waves)',
      collect,
    )
    .option(
      '--bake-seconds <n>',
      'rollout: how long a wave stays healthy before the next one starts (default 300)',
    )
    .option(
      '--on-failure <halt|revert>',
      'rollout: on a failed wave, stop there, or also go back (default halt)',
    )
    .option(
      '--progress-deadline-seconds <n>',
      'rollout: a wave region not healthy this long after it started halts the rollout (default 900)',
    )
    .option('-f, --file <file.yaml>', 'endpoint or spec from a YAML/JSON file; flags override it')
    .option('--allow-unknown-region', 'accept target regions no monitor has ever reported from');
}

/** Numbers stay numbers; anything else is passed as typed so the schema names it in its message. */
function num(s: string): number | string {
  return /^-?\d+$/.test(s.trim()) ? Number(s) : s;
}

function parsePairs(flag: string, values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CliError('INVALID_INPUT', `${flag}: expected KEY=VALUE, got ${JSON.stringify(v)}`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** A file holds either a whole endpoint ({name, namespace, target_regions, labels, spec}) or a bare spec. */
export function readFileInput(path: string): EndpointFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      'INVALID_INPUT',
      `${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError('INVALID_INPUT', `${path}: ${yamlProblem(err)}`, { cause: err });
  }
  try {
    return parseEndpointFile(doc);
  } catch (err) {
    if (err instanceof InvalidSpecError)
      throw new CliError('INVALID_INPUT', `${path}: ${allIssues(err)}`, { cause: err });
    throw err;
  }
}

/** Every issue, not just the first: a file with three typos should need one round trip. */
function allIssues(err: InvalidSpecError): string {
  return err.issues.map(formatIssue).join('; ');
}

/**
 * The yaml library's message ends in `at line L, column C:` followed by a source excerpt; one
 * line must carry both the position and the offending text.
 */
function yamlProblem(err: unknown): string {
  const e = err as Error & { linePos?: readonly { line: number; col: number }[] };
  const [head = '', ...rest] = e.message.split('\n');
  const what = head.replace(/ at line \d+, column \d+:?$/, '');
  const excerpt = rest.map((l) => l.trim()).find((l) => l !== '' && !/^\^+$/.test(l));
  const pos = e.linePos?.[0];
  return `line ${pos?.line ?? '?'}, column ${pos?.col ?? '?'}: ${what}${excerpt ? ` (near ${JSON.stringify(excerpt)})` : ''}; fix the YAML there`;
}

/** Add or replace the `set` pairs, then remove the `unset` keys; undefined when neither is given. */
export function mergePairs(
  flag: string,
  base: unknown,
  set: readonly string[] | undefined,
  unset: readonly string[] | undefined,
): Record<string, string> | undefined {
  if (!set && !unset) return undefined;
  const out: Record<string, string> = {
    ...(base && typeof base === 'object' && !Array.isArray(base) ? (base as Record<string, string>) : {}),
    ...parsePairs(flag, set),
  };
  for (const k of unset ?? []) delete out[k];
  return out;
}

/** Apply the given flags on top of `base`: scalar flags replace, map flags merge (see mergePairs). */
export function applySpecFlags(
  base: Readonly<Record<string, unknown>>,
  f: SpecFlags,
): Record<string, unknown> {
  // A new image replaces any per-region override map (DESIGN §4.13); withImage is that rule.
  let spec: Record<string, unknown> =
    f.image !== undefined ? { ...withImage(base as EndpointSpec, f.image) } : { ...base };
  if (f.replicas !== undefined) spec.replicas = num(f.replicas);
  if (f.gpuCount !== undefined) spec.gpu_count = num(f.gpuCount);
  if (f.accelerator !== undefined) spec.accelerator = f.accelerator;
  if (f.port !== undefined) spec.port = num(f.port);
  if (f.healthPath !== undefined) spec.health_check_path = f.healthPath;
  const env = mergePairs('--env', spec.env, f.env, f.unsetEnv);
  if (env) spec.env = env;
  if (f.modelPath !== undefined) spec.model_path = f.modelPath;
  if (f.modelSource !== undefined) spec.model_source = f.modelSource;
  const ns = mergePairs('--node-selector', spec.node_selector, f.nodeSelector, f.unsetNodeSelector);
  if (ns) {
    const { node_selector: _old, ...rest } = spec;
    spec = Object.keys(ns).length > 0 ? { ...rest, node_selector: ns } : rest;
  }
  if (f.capacityType !== undefined) spec.capacity_type = f.capacityType;
  if (f.command) spec.command = f.command;
  if (f.args) spec.args = f.args;
  const rollout = rolloutFromFlags(spec.rollout, f);
  if (rollout === null) {
    const { rollout: _off, ...rest } = spec;
    spec = rest;
  } else if (rollout) spec.rollout = rollout;
  if (f.autoscaling === false) {
    if (f.minReplicas !== undefined || f.maxReplicas !== undefined || f.autoscaleMetric) {
      throw new CliError(
        'INVALID_INPUT',
        '--no-autoscaling: cannot be combined with --min-replicas, --max-replicas or --autoscale-metric; pick one',
      );
    }
    const { autoscaling: _off, ...rest } = spec;
    return rest;
  }
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

/**
 * The rollout flags on top of the stored policy: `--wave` replaces the waves (all of them, in the
 * order given), the others replace one field each. Undefined when no flag touches the policy;
 * null for `--unset-rollout`. The schema checks the values, so its messages name the field.
 */
function rolloutFromFlags(base: unknown, f: SpecFlags): Record<string, unknown> | null | undefined {
  const fields = {
    ...(f.bakeSeconds !== undefined ? { bake_seconds: num(f.bakeSeconds) } : {}),
    ...(f.onFailure !== undefined ? { on_failure: f.onFailure } : {}),
    ...(f.progressDeadlineSeconds !== undefined
      ? { progress_deadline_seconds: num(f.progressDeadlineSeconds) }
      : {}),
  };
  const touched = f.wave !== undefined || Object.keys(fields).length > 0;
  if (f.unsetRollout) {
    if (touched)
      throw new CliError(
        'INVALID_INPUT',
        '--unset-rollout: cannot be combined with --wave, --bake-seconds, --on-failure or --progress-deadline-seconds; pick one',
      );
    return null;
  }
  if (!touched) return undefined;
  const prev =
    base && typeof base === 'object' && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
  const waves = f.wave?.map(parseWave) ?? prev.waves;
  if (waves === undefined) {
    const flag = Object.keys(fields).map((k) => `--${k.replaceAll('_', '-')}`)[0];
    throw new CliError(
      'INVALID_INPUT',
      `${flag}: the endpoint has no rollout policy to change; name its waves too (--wave REGIONS, repeatable)`,
    );
  }
  return { ...prev, ...fields, waves };
}

function parseWave(value: string): string[] {
  const regions = value.split(',').map((r) => r.trim());
  if (regions.some((r) => r === ''))
    throw new CliError(
      'INVALID_INPUT',
      `--wave: expected comma-separated region names like us-east-1,eu-west-1, got ${JSON.stringify(value)}`,
    );
  return regions;
}

/** Every wave region must be one the write leaves targeted (the item schema's rule, checked first). */
export function validateWaveRegions(spec: EndpointSpec, targetRegions: readonly string[]): void {
  const issues = waveRegionIssues(spec, targetRegions).map((i) => ({
    path: `spec.rollout.waves[${i.at[0]}][${i.at[1]}]`,
    rule: i.rule,
  }));
  if (issues.length > 0) throw new CliError('INVALID_INPUT', issues.map(formatIssue).join('; '));
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

export function validateLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const issues = labelIssues(labels);
  if (issues.length > 0) {
    throw new CliError('INVALID_INPUT', `${issues.map(formatIssue).join('; ')}`);
  }
  return { ...labels };
}

/** Raw stored spec (or {}), as the base for edits, so an invalid stored field can still be fixed. */
export function rawSpec(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = raw.spec;
  return s && typeof s === 'object' && !Array.isArray(s) ? { ...(s as Record<string, unknown>) } : {};
}

export { collect };
