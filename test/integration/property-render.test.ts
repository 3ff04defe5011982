// Property-based: whatever the schema accepts, render() turns into objects the REAL API server
// accepts (server-side dry-run apply), and the server keeps every field we render exactly as we
// sent it (no drift the monitor would "fix" forever). Whatever the schema rejects, the message
// names the field. Issue 6, "Hostile and broken input".
import { CoreV1Api } from '@kubernetes/client-node';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient, KubeExecutor } from '../../src/kube/index.js';
import { type KubeObject, parseEndpointItem, parseSpec } from '../../src/model/index.js';
import { findDrift } from '../../src/plan/index.js';
import { render } from '../../src/render/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { createNamespace, kubeConfigFor } from './kube-support.js';

const REGION = 'prop-1';
const handle = useLocalEnv({ regions: [REGION] });

/** Every namespace a generated item may name; created for real before the properties run. */
const NAMESPACES = ['gco-inference', 'p', `n${'0'.repeat(61)}9`, 'team-a-1'] as const;

// ---------------------------------------------------------------------------------------------
// Generators

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(''));
const str = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: chars(alphabet), minLength, maxLength });

/** A DNS-1035 label of exactly `len` characters (len ≥ 1). */
const dnsOfLength = (len: number) =>
  len === 1
    ? chars(LOWER)
    : fc
        .tuple(chars(LOWER), str(`${LOWER}${DIGITS}-`, len - 2, len - 2), chars(`${LOWER}${DIGITS}`))
        .map(([a, b, c]) => a + b + c);

/** Endpoint names, biased to the limits: 1 and 53 characters (so `{name}-canary` is 60). */
const endpointName = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 53 }).chain(dnsOfLength) },
  { weight: 2, arbitrary: dnsOfLength(53) },
  { weight: 1, arbitrary: dnsOfLength(1) },
);

const IMAGE_ALPHABET = `${LOWER}ABCXYZ${DIGITS}._-/:@+`;
const image = fc.oneof(
  fc.constantFrom(
    'vllm/vllm-openai:v0.6.3',
    'ghcr.io/huggingface/text-generation-inference:2.4.0',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:latest',
    `registry.example.com:5000/team/model@sha256:${'a'.repeat(64)}`,
    'public.ecr.aws/neuron/vllm-neuron:0.1',
  ),
  fc.tuple(chars(`${LOWER}${DIGITS}`), str(IMAGE_ALPHABET, 0, 80)).map(([a, b]) => a + b),
  // the 512-character limit
  fc.tuple(chars(LOWER), str(IMAGE_ALPHABET, 511, 511)).map(([a, b]) => a + b),
);

const ENV_NAME_HEAD = `${LOWER}ABCDEFXYZ_`;
const envName = fc.oneof(
  fc.tuple(chars(ENV_NAME_HEAD), str(`${ENV_NAME_HEAD}${DIGITS}`, 0, 20)).map(([a, b]) => a + b),
  fc.tuple(chars(ENV_NAME_HEAD), str(`${ENV_NAME_HEAD}${DIGITS}`, 255, 255)).map(([a, b]) => a + b),
);
const noNul = (s: string) => s.replaceAll('\u0000', '');
const envValue = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }).map(noNul),
  fc.constantFrom(
    '$(rm -rf /)',
    '`id`',
    "'; DROP TABLE x; --",
    '"quoted"',
    'a\nb\r\nc\t',
    '--flag=1',
    '\u202e',
  ),
  // huge (DynamoDB's 400 KB item limit bounds what can reach us from the table)
  fc.integer({ min: 10_000, max: 60_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: -1e15, max: 1e15 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
);
/** Refused by the server's YAML decoder (or rewritten by it): the schema must refuse them first. */
const undecodable = fc.constantFrom('\ud800', 'a\u0001', '\u0085', '\ufeff', '\uffff', '\u2028');
const envMap = fc.oneof(
  { weight: 1, arbitrary: fc.dictionary(envName, undecodable, { minKeys: 1, maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.dictionary(envName, envValue, { maxKeys: 12 }) },
  // many entries
  {
    weight: 1,
    arbitrary: fc.dictionary(envName, fc.string({ unit: 'grapheme', maxLength: 8 }), {
      minKeys: 100,
      maxKeys: 300,
    }),
  },
);

/** argv strings: anything printable, shell syntax included (never reaches a shell). */
const argString = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom(
      ';',
      '$(curl evil)',
      '`id`',
      '"',
      "'",
      '--',
      '--root-path=/x',
      '-c',
      '&&',
      '|',
      '>/etc/x',
      '..',
    ),
    fc.integer({ min: 4000, max: 4096 }).map((n) => '∑'.repeat(n)),
  )
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the schema refuses control characters in argv
  .map((s) => s.replace(/[\u0000-\u001f\u007f]/g, ''));
const argList = fc.array(argString, { maxLength: 12 });

/** s3://bucket[/prefix], bucket 3–63 characters. */
const s3Source = fc
  .tuple(
    fc
      .integer({ min: 3, max: 63 })
      .chain((n) =>
        fc
          .tuple(chars(`${LOWER}${DIGITS}`), str(`${LOWER}${DIGITS}-`, n - 2, n - 2), chars(LOWER))
          .map(([a, b, c]) => a + b + c),
      ),
    fc.option(str(`${LOWER}ABC${DIGITS}_=+-`, 1, 40), { nil: undefined }),
  )
  .map(([bucket, prefix]) => (prefix === undefined ? `s3://${bucket}` : `s3://${bucket}/${prefix}/`));

const labelName = (min: number, max: number) =>
  fc.oneof(
    chars(`${LOWER}A${DIGITS}`),
    fc
      .tuple(chars(`${LOWER}A${DIGITS}`), str(`${LOWER}AZ${DIGITS}-_.`, min, max), chars(`${LOWER}${DIGITS}`))
      .map(([a, b, c]) => a + b + c),
  );
const labelPrefix = fc.oneof(
  fc.constantFrom('example.com', 'node.kubernetes.io', 'karpenter.k8s.aws'),
  // a 253-character DNS subdomain
  fc.constant(
    Array.from({ length: 4 }, (_, i) => `${String(i)}${'a'.repeat(61)}${String(i)}`)
      .join('.')
      .slice(0, 253),
  ),
);
const labelKey = fc.oneof(
  labelName(0, 20),
  labelName(61, 61),
  fc.tuple(labelPrefix, labelName(0, 20)).map(([p, n]) => `${p}/${n}`),
);
const labelValue = fc.oneof(fc.constant(''), labelName(0, 20), labelName(61, 61));
const nodeSelector = fc.dictionary(labelKey, labelValue, { maxKeys: 32 });

/** Any names and quantities: the schema must refuse what the API server would. */
const resourceName = fc.constantFrom(
  'cpu',
  'memory',
  'ephemeral-storage',
  'hugepages-2Mi',
  'nvidia.com/gpu',
  'aws.amazon.com/neuron',
  'example.com/foo',
  'foo',
  'kubernetes.io/foo',
);
const anyQuantity = fc.constantFrom(
  '1',
  '2',
  '0',
  '-1',
  '500m',
  '1n',
  '1.5',
  '1e3',
  '1e100',
  '8Ei',
  '7Ei',
  '1Gi',
  4,
);
const wildResources = fc.record({
  requests: fc.dictionary(resourceName, anyQuantity, { maxKeys: 3 }),
  limits: fc.dictionary(resourceName, anyQuantity, { maxKeys: 3 }),
});

/** Resource maps: mostly ones the API server takes, some anything-goes. */
const resources = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: wildResources },
  {
    weight: 4,
    arbitrary: fc
      .record({
        cpu: fc.constantFrom(['250m', '500m'], ['1', '2'], ['0.5', '4'], ['100m', '100m'], [1, 64]),
        memory: fc.constantFrom(
          ['1Gi', '2Gi'],
          ['4Gi', '16Gi'],
          ['512Mi', '1Gi'],
          ['1e9', '2e9'],
          ['1', '1Ti'],
        ),
        eph: fc.option(fc.constantFrom(['1Gi', '10Gi'], ['0', '1Ki']), { nil: undefined }),
      })
      .map(({ cpu, memory, eph }) => ({
        requests: { cpu: cpu[0], memory: memory[0], ...(eph ? { 'ephemeral-storage': eph[0] } : {}) },
        limits: { cpu: cpu[1], memory: memory[1], ...(eph ? { 'ephemeral-storage': eph[1] } : {}) },
      })),
  },
);

const goodPath = fc
  .array(str(`${LOWER}A${DIGITS}_-~%`, 1, 12), { maxLength: 5 })
  .map((segs) => `/${segs.join('/')}`);
const ingressPath = fc.oneof(
  { weight: 4, arbitrary: goodPath },
  {
    weight: 4,
    arbitrary: fc
      .array(str(`${LOWER}A${DIGITS}_-~%`, 1, 12), { maxLength: 5 })
      .map((segs) => `/${segs.join('/')}`),
  },
  // what the schema's alphabet allows but an Ingress path may not hold
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(str(`${LOWER}.%2F`, 0, 4), fc.constantFrom('.', '', '%2F', '%2f')), { maxLength: 4 })
      .map((segs) => `/${segs.join('/')}`),
  },
);

const bounded = (min: number, max: number) => fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max }));

const autoscaling = fc
  .record({
    enabled: fc.boolean(),
    a: bounded(1, 1000),
    b: bounded(1, 1000),
    metrics: fc.array(fc.record({ type: fc.constantFrom('cpu', 'memory'), target: bounded(1, 1000) }), {
      minLength: 1,
      maxLength: 8,
    }),
  })
  .map(({ enabled, a, b, metrics }) => ({
    enabled,
    min_replicas: Math.min(a, b),
    max_replicas: Math.max(a, b),
    metrics,
  }));

/** A count or a percentage, biased to the limits. */
const disruption = fc.record(
  {
    max_unavailable: fc.oneof(
      bounded(1, 1000),
      bounded(1, 100).map((p) => `${p}%`),
    ),
  },
  { requiredKeys: [] },
);

const canary = fc.record(
  { image, weight: bounded(0, 100), replicas: bounded(0, 1000) },
  { requiredKeys: ['image'] },
);

const rawSpec = fc.record(
  {
    image,
    replicas: bounded(0, 1000),
    gpu_count: bounded(0, 64),
    accelerator: fc.constantFrom('nvidia', 'neuron'),
    port: bounded(1, 65535),
    health_check_path: goodPath,
    env: envMap,
    resources,
    model_path: goodPath,
    model_source: s3Source,
    command: argList,
    args: argList,
    node_selector: nodeSelector,
    capacity_type: fc.constantFrom('spot', 'on-demand'),
    autoscaling,
    disruption,
    canary,
    region_image_uris: fc.dictionary(fc.constantFrom(REGION, 'other-1'), image, { maxKeys: 2 }),
    server_root_path: fc.constantFrom('auto', true, false),
  },
  { requiredKeys: ['image'] },
);

const rawItem = fc.record(
  {
    endpoint_name: endpointName,
    desired_state: fc.constantFrom('deploying', 'running', 'stopped'),
    target_regions: fc.constant([REGION]),
    namespace: fc.constantFrom(...NAMESPACES),
    spec: rawSpec,
    // Copied onto every object's metadata.labels.
    labels: fc.dictionary(labelKey, labelValue, { maxKeys: 8 }),
    ingress_path: ingressPath,
    generation: fc.oneof(fc.constant(0), fc.constant(Number.MAX_SAFE_INTEGER), fc.nat()),
  },
  { requiredKeys: ['endpoint_name', 'target_regions', 'spec'] },
);

// ---------------------------------------------------------------------------------------------

const RUNS = 200;
const TIME_LIMIT_MS = 60_000;
/**
 * CI runs a fixed seed, so a submission's result does not depend on the draw; anywhere else each
 * run draws a new one (printed by fast-check on failure), which is how new counterexamples are
 * found. Set PROPERTY_SEED to replay one.
 */
const SEED = process.env.PROPERTY_SEED
  ? Number(process.env.PROPERTY_SEED)
  : process.env.CI
    ? 20261126
    : undefined;
const seeded = SEED === undefined ? {} : { seed: SEED };

describe('render → real API server (server-side dry-run apply)', () => {
  let exec: KubeExecutor;
  beforeAll(async () => {
    const kc = kubeConfigFor(handle, REGION);
    // The local environment may already have created the default namespace.
    const existing = new Set(
      ((await kc.makeApiClient(CoreV1Api).listNamespace()).items ?? []).map((n) => n.metadata?.name),
    );
    for (const ns of NAMESPACES) if (!existing.has(ns)) await createNamespace(kc, ns);
    exec = new KubeExecutor(KubeClient.fromConfig(kc));
  });

  it('accepts every object rendered from any item the schema accepts, and keeps what we rendered', async () => {
    let accepted = 0;
    let objects = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(rawItem, async (raw) => {
        const parsed = parseEndpointItem(raw);
        if (!parsed.ok) {
          rejected++;
          return;
        }
        accepted++;
        const rendered = render(parsed.value, REGION);
        for (const obj of rendered) {
          objects++;
          let live: KubeObject | undefined;
          try {
            live = (await exec.dryRunApply(obj)).object;
          } catch (err) {
            const why = err instanceof KubeApiError ? `${err.statusCode} ${err.message}` : String(err);
            throw new Error(`${obj.kind}/${obj.metadata.name} refused by the API server: ${why}`);
          }
          // The server's copy carries every field we render, unchanged: otherwise the monitor
          // would see drift on every pass and re-apply forever.
          expect(live, `${obj.kind}/${obj.metadata.name}`).toBeDefined();
          expect(findDrift(obj, live ?? obj), `${obj.kind} drift`).toBeUndefined();
        }
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false, ...seeded },
    );
    // The generators aim at valid input; most of it must get through, or the property is vacuous.
    expect(accepted).toBeGreaterThan(rejected);
    expect(accepted).toBeGreaterThanOrEqual(50);
    expect(objects).toBeGreaterThan(accepted * 2);
  }, 150_000);
});

// ---------------------------------------------------------------------------------------------
// Rejections name the field

interface Mutation {
  /** Path the error must name (`spec.` + field path as formatIssue prints it). */
  readonly path: string;
  /** Top-level spec fields to overwrite. */
  readonly patch: Record<string, unknown>;
}

const set = (path: string, field: string) => (v: unknown) => ({ path, patch: { [field]: v } });
const ok = (n: number, v: string) => Array.from({ length: n }, () => v);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(-1, 1001, 1.5, '3', Number.NaN, true).map(set('spec.replicas', 'replicas')),
  fc
    .constantFrom('', ' vllm', 'a;b', '-rf', '$(id)', 'img\n', 'ｖｌｌｍ', 'a'.repeat(513), 42)
    .map(set('spec.image', 'image')),
  fc.constantFrom(0, 65536, -80, '8000x').map(set('spec.port', 'port')),
  fc.constantFrom(-1, 65, 0.5).map(set('spec.gpu_count', 'gpu_count')),
  fc.constantFrom('amd', 'NVIDIA', '').map(set('spec.accelerator', 'accelerator')),
  fc
    .constantFrom('health', '/a/../b', '/a b', '/a;b', '')
    .map(set('spec.health_check_path', 'health_check_path')),
  fc
    .constantFrom('1BAD', 'A-B', 'A B', 'A;B', '')
    .map((k) => ({ path: `spec.env.${k}`, patch: { env: { OK: '1', [k]: 'v' } } })),
  fc
    .constantFrom<unknown>('a\u0000b', [1], { a: 1 })
    .map((v) => ({ path: 'spec.env.X', patch: { env: { X: v } } })),
  fc
    .constantFrom(
      'http://b/x',
      's3://B/x',
      's3://bk/$(id)',
      's3://bk/a;b',
      's3://bk/../x',
      '--s3://bk',
      's3://b',
    )
    .map(set('spec.model_source', 'model_source')),
  fc
    .tuple(fc.nat({ max: 3 }), fc.constantFrom('a\nb', 'x\u0000', '\r', '\u007f'))
    .map(([i, bad]) => ({ path: `spec.command[${i}]`, patch: { command: [...ok(i, 'ok'), bad] } })),
  fc
    .tuple(fc.nat({ max: 3 }), fc.constantFrom('a\nb', 'x\u0000'))
    .map(([i, bad]) => ({ path: `spec.args[${i}]`, patch: { args: [...ok(i, '--ok'), bad] } })),
  fc
    .constantFrom('bad key', '-x', 'a/b/c', 'k'.repeat(64))
    .map((k) => ({ path: `spec.node_selector.${k}`, patch: { node_selector: { [k]: 'v' } } })),
  fc
    .constantFrom(101, -1)
    .map((v) => ({ path: 'spec.canary.weight', patch: { canary: { image: 'x:1', weight: v } } })),
  fc.integer({ min: 2, max: 1000 }).map((v) => ({
    path: 'spec.autoscaling.min_replicas',
    patch: { autoscaling: { enabled: true, min_replicas: v, max_replicas: v - 1 } },
  })),
  fc
    .constantFrom<unknown>(0, 1001, '0%', '101%', '50', true)
    .map((v) => ({ path: 'spec.disruption.max_unavailable', patch: { disruption: { max_unavailable: v } } })),
  fc
    .constantFrom('lots', '1.2.3', '', '1 Gi')
    .map((v) => ({ path: 'spec.resources.requests.cpu', patch: { resources: { requests: { cpu: v } } } })),
);

describe('schema rejections name the field', () => {
  it('reports `spec.<path>: <rule>` for the broken field of any otherwise valid spec', () => {
    fc.assert(
      fc.property(rawSpec, mutation, (raw, m) => {
        const r = parseSpec({ ...raw, ...m.patch });
        expect(r.ok, `${m.path} should be rejected`).toBe(false);
        if (r.ok) return;
        expect(r.error.message).toMatch(/^spec\.\S.*: \S/);
        const paths = r.error.issues.map((i) => i.path);
        expect(paths).toContain(m.path);
        const issue = r.error.issues.find((i) => i.path === m.path);
        expect(issue?.rule).toMatch(/^(must|is required|names|keys|values|resource)/);
      }),
      { numRuns: 300, ...seeded },
    );
  });
});
