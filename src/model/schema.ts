// The one schema for an endpoint's spec and its stored item. The CLI validates with it before
// writing; the monitor validates every item it reads and reports a failure as that endpoint's
// error status. Types are inferred from it. Messages name the rule and the offending value; the
// path is added by formatIssue (errors.ts).

import { z } from 'zod';
import { DEFAULT_NAMESPACE, endpointNameProblem, isDns1123Label, isLabelKey, isLabelValue } from './names.js';
import { compareText } from './order.js';
import { compareQuantities, isQuantity, parseQuantity } from './quantity.js';

const ACCELERATORS = ['nvidia', 'neuron'] as const;
const CAPACITY_TYPES = ['spot', 'on-demand'] as const;
export const DESIRED_STATES = ['deploying', 'running', 'stopped', 'deleted'] as const;
const METRIC_TYPES = ['cpu', 'memory'] as const;

const DEFAULT_REQUESTS: Readonly<Record<string, string>> = { cpu: '1', memory: '4Gi' };
const DEFAULT_LIMITS: Readonly<Record<string, string>> = { cpu: '4', memory: '16Gi' };

/** Short, printable rendering of a rejected value for messages. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}…"` : s;
  }
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/**
 * Characters the API server's apply decoder (YAML) refuses — C0/C1 controls other than tab, LF
 * and CR, BOM, U+FFFE/U+FFFF, lone surrogates — or rewrites (NEL, a YAML line break). A value
 * holding one could never be applied, or would show as drift forever.
 */
const NOT_APPLICABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\ufffe\uffff\ud800-\udfff]/u;

const intBetween = (min: number, max: number) => {
  const rule = (i: { input?: unknown }) =>
    `must be an integer between ${min} and ${max}, got ${showValue(i.input)}`;
  return z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }).max(max, { error: rule });
};

const pattern = (re: RegExp, rule: string, max = 1024) =>
  z
    .string()
    .max(max, { error: (i) => `must be at most ${max} characters, got ${String(i.input).length}` })
    .refine((s) => re.test(s), { error: (i) => `${rule}, got ${showValue(i.input)}` });

/**
 * A container image reference: `[registry[:port]/]path[:tag][@digest]`. No whitespace, control
 * characters or shell metacharacters; never starts with `-`.
 */
const imageRef = pattern(
  /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/,
  'must be an image reference (letters, digits and ._-/:@+, starting with a letter or digit)',
  512,
);

const absPath = (what: string) =>
  pattern(
    /^\/[A-Za-z0-9._\-/~%]*$/,
    `must be an absolute ${what} starting with "/" (letters, digits and ._-/~%)`,
    256,
  )
    .refine((s) => !s.split('/').includes('..'), { error: 'must not contain ".." segments' })
    // The API server refuses these in an Ingress path (and they mean nothing in a probe path).
    .refine((s) => !s.includes('//') && !s.split('/').slice(1, -1).includes('.') && !s.endsWith('/.'), {
      error: 'must not contain "//" or "." segments',
    })
    .refine((s) => !/%2f/i.test(s), { error: 'must not contain an encoded "/" (%2F)' });

/**
 * `s3://bucket[/prefix]`. Bucket per the S3 naming rules; the prefix is limited to characters no
 * shell and no `aws s3 sync` option parser would interpret. It is passed to `aws s3 sync` as one
 * argument without a shell, but a strict alphabet keeps it safe wherever it is echoed later.
 */
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[A-Za-z0-9._=+\-/]*)?$/;

function s3UriProblem(uri: string): string | undefined {
  const m = S3_URI.exec(uri);
  if (!m) {
    return 'bucket: 3-63 of a-z 0-9 . -; prefix: letters, digits and ._=+-/';
  }
  const bucket = m[1] ?? '';
  const prefix = m[2] ?? '';
  if (bucket.includes('..') || bucket.includes('.-') || bucket.includes('-.')) {
    return 'bucket must not contain "..", ".-" or "-."';
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return 'bucket must not look like an IP address';
  if (bucket.startsWith('xn--') || bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3')) {
    return 'bucket uses a reserved prefix or suffix';
  }
  if (prefix.includes('//')) return 'prefix must not contain "//"';
  if (prefix.split('/').some((seg) => seg === '..' || seg === '.'))
    return 'prefix must not contain "." or ".." segments';
  return undefined;
}

const s3Uri = z.string().superRefine((s, ctx) => {
  const problem = s.startsWith('-') ? 'must not start with "-"' : s3UriProblem(s);
  if (problem)
    ctx.addIssue({
      code: 'custom',
      message: `must be s3://bucket[/prefix] (${problem}), got ${showValue(s)}`,
    });
});

/** Arguments reach the process as an argv list (no shell), so only control characters are refused. */
const argString = z
  .string()
  .max(4096, { error: 'must be at most 4096 characters' })
  .refine((s) => !CONTROL_CHARS.test(s) && !NOT_APPLICABLE.test(s), {
    error: (i) => `must not contain control characters (newline, NUL…), got ${showValue(i.input)}`,
  });
const argList = z.array(argString).max(256, { error: 'must have at most 256 items' });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (i) => `must be a string, got ${showValue(i.input)}`,
  })
  .transform((v) => String(v))
  .refine((s) => !NOT_APPLICABLE.test(s), {
    error: 'must not contain NUL or other control characters (tab, newline and CR are fine)',
  });
const envMap = z.record(
  z.string().refine((k) => ENV_NAME.test(k) && k.length <= 256, {
    error: (i) =>
      `names must be letters, digits and "_", not starting with a digit, got ${showValue(i.input)}`,
  }),
  envValue,
);

const quantity = z
  .union([z.string(), z.number()], {
    error: (i) => `must be a quantity like "2" or "4Gi", got ${showValue(i.input)}`,
  })
  .transform((v) => String(v))
  .refine((s) => isQuantity(s), {
    error: (i) => `must be a quantity like "500m", "2" or "4Gi", got ${showValue(i.input)}`,
  })
  .refine((s) => quantityInRange(s), {
    // The API server refuses negative quantities, rounds below 1m up and caps at 2^63-1; a
    // rounded value would read as drift on every pass.
    error: (i) => `must be between 0 and 8Ei in steps of 1m, got ${showValue(i.input)}`,
  });

const MAX_QUANTITY = 2n ** 63n - 1n;
function quantityInRange(s: string): boolean {
  const q = parseQuantity(s);
  return q !== undefined && q.num >= 0n && (q.num * 1000n) % q.den === 0n && q.num <= MAX_QUANTITY * q.den;
}

/** Resources the API server lets a container request without a limit and below it. */
const OVERCOMMITTABLE = new Set(['cpu', 'memory', 'ephemeral-storage']);
const HUGEPAGES = /^hugepages-/;

/** The API server wants hugepages in whole pages: `hugepages-2Mi: 1` is refused, `4Mi` is fine. */
function wholePages(key: string, value: string): boolean {
  const page = parseQuantity(key.slice('hugepages-'.length));
  const q = parseQuantity(value);
  if (!page || !q || page.num <= 0n) return false;
  // q / page is a whole number  ⇔  q.num · page.den is a multiple of page.num · q.den
  return (q.num * page.den) % (page.num * q.den) === 0n;
}

/** Why the API server would refuse a container resource name, or undefined. */
function resourceNameProblem(name: string): string | undefined {
  if (!name.includes('/')) {
    return OVERCOMMITTABLE.has(name) || (HUGEPAGES.test(name) && isQuantity(name.slice('hugepages-'.length)))
      ? undefined
      : 'must be cpu, memory, ephemeral-storage, hugepages-<size> or a vendor.com/name extended resource';
  }
  if (name.includes('kubernetes.io/')) return 'must not use the reserved kubernetes.io/ prefix';
  return isLabelKey(`requests.${name}`) ? undefined : 'must be a valid extended resource name';
}

const resourceName = z.string().refine((k) => isLabelKey(k), {
  error: (i) => `resource names must look like "cpu" or "vendor.com/name", got ${showValue(i.input)}`,
});
const quantityMap = z.record(resourceName, quantity);

const resources = z
  .object({
    requests: quantityMap.default({ ...DEFAULT_REQUESTS }),
    limits: quantityMap.default({ ...DEFAULT_LIMITS }),
  })
  .superRefine((r, ctx) => {
    for (const part of ['requests', 'limits'] as const) {
      for (const [key, q] of Object.entries(r[part]).sort(([a], [b]) => compareText(a, b))) {
        const problem = resourceNameProblem(key);
        if (problem)
          ctx.addIssue({ code: 'custom', path: [part, key], message: `${problem}, got ${showValue(key)}` });
        else if (HUGEPAGES.test(key) && !wholePages(key, q)) {
          ctx.addIssue({
            code: 'custom',
            path: [part, key],
            message: `must be a whole number of ${key.slice('hugepages-'.length)} pages, got ${showValue(q)}`,
          });
        } else if (!OVERCOMMITTABLE.has(key) && !HUGEPAGES.test(key) && !Number.isInteger(Number(q))) {
          ctx.addIssue({
            code: 'custom',
            path: [part, key],
            message: `must be a whole number (extended resource), got ${showValue(q)}`,
          });
        }
      }
    }
    const cpuOrMemory = ['cpu', 'memory'].some((k) => k in r.requests || k in r.limits);
    const hugepages = [...Object.keys(r.requests), ...Object.keys(r.limits)].find((k) => HUGEPAGES.test(k));
    if (hugepages && !cpuOrMemory) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', hugepages],
        message: 'needs a cpu or memory request or limit',
      });
    }
    for (const [key, req] of Object.entries(r.requests).sort(([a], [b]) => compareText(a, b))) {
      const lim = r.limits[key];
      if (!OVERCOMMITTABLE.has(key) && (lim === undefined || compareQuantities(req, lim) !== 0)) {
        // GPUs, Neuron devices, hugepages… cannot be overcommitted: the limit must be set and equal.
        ctx.addIssue({
          code: 'custom',
          path: ['requests', key],
          message: `must equal limits.${key} (${lim ?? 'not set'}): ${key} cannot be overcommitted, got ${showValue(req)}`,
        });
        continue;
      }
      if (lim !== undefined && (compareQuantities(req, lim) ?? 0) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', key],
          message: `must not exceed limits.${key} (${lim}), got ${showValue(req)}`,
        });
      }
    }
  })
  .prefault({});

const nodeSelector = z
  .record(
    z
      .string()
      .refine(isLabelKey, { error: (i) => `keys must be valid label keys, got ${showValue(i.input)}` }),
    z
      .string()
      .refine(isLabelValue, { error: (i) => `values must be valid label values, got ${showValue(i.input)}` }),
  )
  .refine((m) => Object.keys(m).length <= 32, { error: 'must have at most 32 entries' });

const metric = z.object({
  type: z
    .enum(METRIC_TYPES, { error: (i) => `must be one of cpu|memory, got ${showValue(i.input)}` })
    .default('cpu'),
  target: intBetween(1, 1000).default(70),
});

const autoscaling = z
  .object({
    enabled: z.boolean({ error: (i) => `must be true or false, got ${showValue(i.input)}` }).default(false),
    min_replicas: intBetween(1, 1000).default(1),
    max_replicas: intBetween(1, 1000).default(10),
    metrics: z
      .array(metric)
      .min(1, { error: 'must list at least one metric' })
      .max(8, { error: 'must list at most 8 metrics' })
      .default([{ type: 'cpu', target: 70 }]),
  })
  .superRefine((a, ctx) => {
    if (a.min_replicas > a.max_replicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_replicas'],
        message: `must not exceed max_replicas (${a.max_replicas}), got ${a.min_replicas}`,
      });
    }
  });

/** `max_unavailable`: a count (≥ 1) or a percentage (1%–100%) of the endpoint's replicas. */
const maxUnavailable = z.union(
  [
    intBetween(1, 1000),
    z.string().regex(/^(100|[1-9][0-9]?)%$/, {
      error: (i) => `must be a percentage from 1% to 100%, got ${showValue(i.input)}`,
    }),
  ],
  { error: (i) => `must be a count from 1 to 1000 or a percentage like "25%", got ${showValue(i.input)}` },
);

/** The PodDisruptionBudget (rendered only while two or more replicas run). */
const disruption = z.object({ max_unavailable: maxUnavailable.default(1) });

const canary = z.object({
  image: imageRef,
  weight: intBetween(0, 100).default(10),
  replicas: intBetween(0, 1000).default(1),
});

export const ON_FAILURE = ['halt', 'revert'] as const;

/**
 * Region waves (docs/rollout.md): a new generation reaches wave k only after every region of the
 * earlier waves has served it healthy for `bake_seconds`. Regions must be target regions (checked
 * on the whole item, below); target regions named in no wave form a last wave.
 */
const rollout = z
  .object({
    waves: z
      .array(
        z
          .array(z.string(), { error: (i) => `must be a list of regions, got ${showValue(i.input)}` })
          .min(1, { error: 'must not be an empty wave' }),
        { error: (i) => `must be a list of waves (lists of regions), got ${showValue(i.input)}` },
      )
      .min(1, { error: 'must list at least one wave' })
      .max(16, { error: 'must list at most 16 waves' }),
    bake_seconds: intBetween(0, 86_400).default(300),
    on_failure: z
      .enum(ON_FAILURE, { error: (i) => `must be one of halt|revert, got ${showValue(i.input)}` })
      .default('halt'),
    /** A region of a wave not healthy this long after it started the new generation halts the rollout. */
    progress_deadline_seconds: intBetween(30, 86_400).default(900),
  })
  .superRefine((r, ctx) => {
    const seen = new Map<string, number>();
    for (const [w, wave] of r.waves.entries()) {
      for (const [i, region] of wave.entries()) {
        const earlier = seen.get(region);
        if (earlier === undefined) seen.set(region, w);
        else
          ctx.addIssue({
            code: 'custom',
            path: ['waves', w, i],
            message: `must name each region once, but ${region} is also in wave ${earlier + 1}`,
          });
      }
    }
  });

/**
 * Whether the server is told `--root-path {ingress path}` (and probed under that prefix).
 *
 * - `true` / `false`: the spec says so; `true` appends the flag even with a custom `command`.
 * - `'auto'` (default): only for vLLM images and only without a custom `command`. vLLM's OpenAI
 *   server accepts `--root-path`. Hugging Face TGI does not: its launcher's argument list (clap,
 *   `launcher/src/main.rs`) has no root-path option in the 1.x–3.x versions we checked, so clap
 *   would exit on the unknown flag. The seed passed it to TGI images anyway; we don't. A TGI
 *   endpoint is served at `/` and the ALB forwards the prefixed path, so put a path-rewriting
 *   proxy in front or set `server_root_path: false` knowingly.
 */
const serverRootPath = z
  .union([z.literal('auto'), z.boolean()], {
    error: (i) => `must be true, false or "auto", got ${showValue(i.input)}`,
  })
  .default('auto');

export const EndpointSpecSchema = z.object({
  image: imageRef,
  replicas: intBetween(0, 1000).default(1),
  gpu_count: intBetween(0, 64).default(1),
  accelerator: z
    .enum(ACCELERATORS, { error: (i) => `must be one of nvidia|neuron, got ${showValue(i.input)}` })
    .default('nvidia'),
  port: intBetween(1, 65535).default(8000),
  health_check_path: absPath('path').default('/health'),
  env: envMap.default({}),
  resources,
  model_path: absPath('path').optional(),
  model_source: s3Uri.optional(),
  command: argList.optional(),
  args: argList.optional(),
  node_selector: nodeSelector.optional(),
  capacity_type: z
    .enum(CAPACITY_TYPES, { error: (i) => `must be one of spot|on-demand, got ${showValue(i.input)}` })
    .optional(),
  autoscaling: autoscaling.optional(),
  disruption: disruption.optional(),
  canary: canary.optional(),
  rollout: rollout.optional(),
  /** Per-region image override written by the seed's CLI; preferred over `image` when present. */
  region_image_uris: z.record(z.string(), imageRef).optional(),
  server_root_path: serverRootPath,
});

export type EndpointSpec = z.output<typeof EndpointSpecSchema>;
/** What a user may write: every defaulted field optional. */
export type EndpointSpecInput = z.input<typeof EndpointSpecSchema>;
export type DesiredState = (typeof DESIRED_STATES)[number];

export const SPEC_KEYS: readonly string[] = Object.keys(EndpointSpecSchema.shape).sort();

const endpointName = z.string().superRefine((s, ctx) => {
  const problem = endpointNameProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem}, got ${showValue(s)}` });
});

const namespace = z.string().refine(isDns1123Label, {
  error: (i) => `must be a DNS-1123 label (lowercase letters, digits, "-", ≤ 63), got ${showValue(i.input)}`,
});

const regionName = z.string().refine((s) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && s.length <= 63, {
  error: (i) => `must be a region name like "us-east-1", got ${showValue(i.input)}`,
});

/** DynamoDB string sets arrive as a Set; lists as arrays. Either way: sorted and unique. */
const regionList = z
  .union([z.array(regionName), z.set(regionName)], {
    error: (i) => `must be a list of regions, got ${showValue(i.input)}`,
  })
  .transform((v) => [...new Set(v)].sort());

const timestamp = z.string().max(64).optional();

/** The stored endpoint item (snake_case, as the seed wrote it). Unknown keys are dropped. */
export const EndpointItemSchema = z
  .object({
    endpoint_name: endpointName,
    desired_state: z
      .enum(DESIRED_STATES, {
        error: (i) => `must be one of deploying|running|stopped|deleted, got ${showValue(i.input)}`,
      })
      .default('deploying'),
    target_regions: regionList.default([]),
    namespace: namespace.default(DEFAULT_NAMESPACE),
    spec: EndpointSpecSchema,
    ingress_path: absPath('URL path').optional(),
    // Copied onto every rendered object, so they must be valid Kubernetes labels.
    labels: z
      .record(
        z
          .string()
          .refine(isLabelKey, { error: (i) => `keys must be valid label keys, got ${showValue(i.input)}` }),
        z.string().refine(isLabelValue, {
          error: (i) => `values must be valid label values, got ${showValue(i.input)}`,
        }),
      )
      .default({}),
    created_by: z.string().max(256).optional(),
    created_at: timestamp,
    updated_at: timestamp,
    generation: intBetween(0, Number.MAX_SAFE_INTEGER).default(0),
    // A legacy `region_status` map embedded by the Python monitor is ignored (dropped as unknown).
  })
  .superRefine((item, ctx) => {
    for (const issue of waveRegionIssues(item.spec, item.target_regions))
      ctx.addIssue({ code: 'custom', path: ['spec', 'rollout', 'waves', ...issue.at], message: issue.rule });
  });

/**
 * A wave region that is not a target would gate nothing and never report: a typo, refused. The
 * CLI checks it too, before writing, once it knows the targets a write will leave.
 */
export function waveRegionIssues(
  spec: Pick<EndpointSpec, 'rollout'>,
  targetRegions: readonly string[],
): { readonly at: [number, number]; readonly rule: string }[] {
  return (spec.rollout?.waves ?? []).flatMap((wave, w) =>
    wave.flatMap((region, i) =>
      targetRegions.includes(region)
        ? []
        : [
            {
              at: [w, i] as [number, number],
              rule: `must be one of target_regions (${targetRegions.join(', ') || 'none'}), got ${showValue(region)}`,
            },
          ],
    ),
  );
}
