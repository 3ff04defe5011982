import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../model/index.js';
import { type Endpoint, type EndpointSpecInput, parseEndpointItem } from '../model/index.js';
import { canonicalJson, hashObject, type RenderOptions, render } from './index.js';

function endpoint(spec: EndpointSpecInput, item: Record<string, unknown> = {}): Endpoint {
  const r = parseEndpointItem({
    endpoint_name: 'llama',
    target_regions: ['us-east-1'],
    generation: 1,
    spec,
    ...item,
  });
  if (!r.ok) throw r.error;
  return r.value;
}

const objs = (spec: EndpointSpecInput, item: Record<string, unknown> = {}, options: RenderOptions = {}) =>
  render(endpoint(spec, item), 'us-east-1', options);
const find = (list: readonly KubeObject[], kind: string, name: string) =>
  list.find((o) => o.kind === kind && o.metadata.name === name);
// biome-ignore lint/suspicious/noExplicitAny: tests dig into wire-format JSON.
type Any = any;
const dep = (list: readonly KubeObject[], name = 'llama'): Any => find(list, 'Deployment', name);
const container = (list: readonly KubeObject[], name = 'llama'): Any =>
  dep(list, name).spec.template.spec.containers[0];
const ing = (list: readonly KubeObject[]): Any => find(list, 'Ingress', 'inference-llama');
const kinds = (list: readonly KubeObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`);

const TRITON = 'nvcr.io/nvidia/tritonserver:24.08-py3';
const VLLM = 'vllm/vllm-openai:v0.6.3';

describe('disruption budget', () => {
  const pdb = (list: readonly KubeObject[]): Any => find(list, 'PodDisruptionBudget', 'llama');
  test.each([
    ['two replicas: one unavailable at a time', { replicas: 2 }, {}, 1],
    ["the spec's count", { replicas: 4, disruption: { max_unavailable: 2 } }, {}, 2],
    ["the spec's percentage", { replicas: 4, disruption: { max_unavailable: '50%' } }, {}, '50%'],
    ['autoscaling from two', { replicas: 1, autoscaling: { enabled: true, min_replicas: 2 } }, {}, 1],
    ['none for one replica', { replicas: 1 }, {}, undefined],
    [
      'none for one replica, even when the spec sets one',
      { disruption: { max_unavailable: 1 } },
      {},
      undefined,
    ],
    ['none for no replica', { replicas: 0 }, {}, undefined],
    [
      'none for autoscaling from one',
      { replicas: 3, autoscaling: { enabled: true, min_replicas: 1 } },
      {},
      undefined,
    ],
    ['none while stopped', { replicas: 3 }, { desired_state: 'stopped' }, undefined],
  ] as const)('%s', (_case, spec, item, maxUnavailable) => {
    expect(pdb(objs({ image: TRITON, ...spec }, item))?.spec.maxUnavailable).toBe(maxUnavailable);
  });

  test('selects the primary pods only, lets unready pods be evicted, and goes before the Ingress', () => {
    const l = objs({ image: TRITON, replicas: 2, canary: { image: VLLM } });
    expect(pdb(l).spec.selector).toEqual({ matchLabels: { app: 'llama' } });
    expect(pdb(l).spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(kinds(l).slice(-2)).toEqual(['PodDisruptionBudget/llama', 'Ingress/inference-llama']);
  });
});

describe('objects rendered', () => {
  test.each([
    [
      'Service, Deployment and Ingress',
      'nothing optional is set',
      {},
      {},
      {},
      ['Service/llama', 'Deployment/llama', 'Ingress/inference-llama'],
    ],
    [
      'an HPA too',
      'autoscaling is enabled',
      { autoscaling: { enabled: true } },
      {},
      {},
      ['Service/llama', 'Deployment/llama', 'HorizontalPodAutoscaler/llama', 'Ingress/inference-llama'],
    ],
    [
      'no HPA',
      'autoscaling is present but disabled',
      { autoscaling: { enabled: false } },
      {},
      {},
      ['Service/llama', 'Deployment/llama', 'Ingress/inference-llama'],
    ],
    [
      'canary Service and Deployment',
      'a canary is set',
      { canary: { image: 'x:2' } },
      {},
      {},
      [
        'Service/llama',
        'Service/llama-canary',
        'Deployment/llama',
        'Deployment/llama-canary',
        'Ingress/inference-llama',
      ],
    ],
    [
      'no Ingress and no HPA',
      'the endpoint is stopped',
      { autoscaling: { enabled: true } },
      { desired_state: 'stopped' },
      {},
      ['Service/llama', 'Deployment/llama'],
    ],
    [
      'no Ingress',
      'the watchdog pulled it',
      {},
      {},
      { ingressPulled: true },
      ['Service/llama', 'Deployment/llama'],
    ],
    ['nothing', 'the endpoint is deleted', {}, { desired_state: 'deleted' }, {}, []],
    ['nothing', 'the region is not a target', {}, { target_regions: ['eu-west-1'] }, {}, []],
  ])('renders %s, when %s', (_what, _when, spec, item, options, expected) => {
    expect(kinds(objs({ image: TRITON, ...spec }, item, options))).toEqual(expected);
  });
});

describe('deployment fields', () => {
  test.each([
    ['replicas from the spec', { replicas: 3 }, {}, (l: readonly KubeObject[]) => dep(l).spec.replicas, 3],
    [
      'no replicas (HPA owns them)',
      { replicas: 3, autoscaling: { enabled: true } },
      {},
      (l: readonly KubeObject[]) => 'replicas' in dep(l).spec,
      false,
    ],
    [
      '0 replicas',
      { replicas: 3, autoscaling: { enabled: true } },
      { desired_state: 'stopped' },
      (l: readonly KubeObject[]) => dep(l).spec.replicas,
      0,
    ],
    ['the image', {}, {}, (l: readonly KubeObject[]) => container(l).image, TRITON],
    [
      'the container port',
      { port: 9000 },
      {},
      (l: readonly KubeObject[]) => container(l).ports,
      [{ containerPort: 9000 }],
    ],
    [
      'env sorted by name',
      { env: { ZED: '1', ALPHA: 'x' } },
      {},
      (l: readonly KubeObject[]) => container(l).env,
      [
        { name: 'ALPHA', value: 'x' },
        { name: 'ZED', value: '1' },
      ],
    ],
    ['no env list', { env: {} }, {}, (l: readonly KubeObject[]) => container(l).env, undefined],
    [
      'command and args as given',
      { command: ['python', '-m', 'srv'], args: ['--x', '$(not-a-shell)'] },
      {},
      (l: readonly KubeObject[]) => [container(l).command, container(l).args],
      [
        ['python', '-m', 'srv'],
        ['--x', '$(not-a-shell)'],
      ],
    ],
    [
      'nvidia GPU requests and limits',
      { gpu_count: 2 },
      {},
      (l: readonly KubeObject[]) => container(l).resources,
      {
        requests: { cpu: '1', memory: '4Gi', 'nvidia.com/gpu': '2' },
        limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '2' },
      },
    ],
    [
      'Neuron requests and limits',
      { accelerator: 'neuron' as const },
      {},
      (l: readonly KubeObject[]) => container(l).resources.limits['aws.amazon.com/neuron'],
      '1',
    ],
    [
      'no accelerator resources',
      { gpu_count: 0 },
      {},
      (l: readonly KubeObject[]) => Object.keys(container(l).resources.limits),
      ['cpu', 'memory'],
    ],
    [
      'custom resources',
      {
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
        gpu_count: 0,
      },
      {},
      (l: readonly KubeObject[]) => container(l).resources,
      { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
    ],
    [
      'the nvidia toleration',
      {},
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.tolerations,
      [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    ],
    [
      'the neuron toleration',
      { accelerator: 'neuron' as const },
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.tolerations[0].key,
      'aws.amazon.com/neuron',
    ],
    [
      'the default GPU node selector',
      {},
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.nodeSelector,
      { 'eks.amazonaws.com/instance-gpu-manufacturer': 'nvidia' },
    ],
    [
      'the default Neuron node selector',
      { accelerator: 'neuron' as const },
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.nodeSelector,
      { accelerator: 'neuron' },
    ],
    [
      'the user node selector instead of the default',
      { node_selector: { pool: 'a100' } },
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.nodeSelector,
      { pool: 'a100' },
    ],
    [
      'the Karpenter capacity type',
      { capacity_type: 'spot' as const },
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.nodeSelector['karpenter.sh/capacity-type'],
      'spot',
    ],
    [
      'no node selector',
      { gpu_count: 0 },
      {},
      (l: readonly KubeObject[]) => dep(l).spec.template.spec.nodeSelector,
      undefined,
    ],
    [
      'probes on the health path',
      { health_check_path: '/v2/health/ready' },
      {},
      (l: readonly KubeObject[]) => [container(l).livenessProbe.httpGet, container(l).readinessProbe.httpGet],
      [
        { path: '/v2/health/ready', port: 8000 },
        { path: '/v2/health/ready', port: 8000 },
      ],
    ],
    [
      'the model volume',
      { model_path: '/models/llama' },
      {},
      (l: readonly KubeObject[]) => [dep(l).spec.template.spec.volumes, container(l).volumeMounts],
      [
        [{ name: 'model-storage', persistentVolumeClaim: { claimName: 'efs-claim' } }],
        [{ name: 'model-storage', mountPath: '/models' }],
      ],
    ],
    ['no model volume', {}, {}, (l: readonly KubeObject[]) => dep(l).spec.template.spec.volumes, undefined],
    [
      'the seed pod labels and selector',
      {},
      {},
      (l: readonly KubeObject[]) => [dep(l).spec.selector, dep(l).spec.template.metadata.labels],
      [{ matchLabels: { app: 'llama' } }, { app: 'llama', 'gco.io/type': 'inference', project: 'gco' }],
    ],
  ])('renders %s, when the spec says so', (_what, spec, item, pick, expected) => {
    expect(pick(objs({ image: TRITON, ...spec }, item))).toEqual(expected);
  });

  test('renders the region image, when region_image_uris has the region', () => {
    expect(
      container(objs({ image: TRITON, region_image_uris: { 'us-east-1': 'regional/triton:1' } })).image,
    ).toBe('regional/triton:1');
  });
});

describe('model sync', () => {
  test('renders aws s3 sync as an argument list without a shell, when model_source is s3', () => {
    const init = dep(
      objs(
        { image: TRITON, model_source: 's3://models-bkt/llama/v1' },
        {},
        { modelSyncImage: 'amazon/aws-cli:2.17.0' },
      ),
    ).spec.template.spec.initContainers;
    expect(init).toEqual([
      {
        name: 'model-sync',
        image: 'amazon/aws-cli:2.17.0',
        command: ['aws', 's3', 'sync', 's3://models-bkt/llama/v1', '/models/llama', '--only-show-errors'],
        volumeMounts: [{ name: 'model-storage', mountPath: '/models' }],
        resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '4', memory: '8Gi' } },
      },
    ]);
    expect(JSON.stringify(init)).not.toMatch(/"sh"|"-c"|bash/);
  });

  test('renders the canary syncing into the primary model directory, when a canary exists', () => {
    const l = objs({ image: TRITON, model_source: 's3://models-bkt/x', canary: { image: 'y:1' } });
    expect(dep(l, 'llama-canary').spec.template.spec.initContainers[0].command[4]).toBe('/models/llama');
  });

  test('renders no init container, when there is no model_source', () => {
    expect(
      dep(objs({ image: TRITON, model_path: '/models/x' })).spec.template.spec.initContainers,
    ).toBeUndefined();
  });
});

describe('root path', () => {
  test.each([
    ['vLLM image, auto', { image: VLLM }, ['--root-path', '/inference/llama'], '/inference/llama/health'],
    [
      'vLLM image behind a registry host, auto',
      { image: '123.dkr.ecr.us-east-1.amazonaws.com/vllm-openai:v1' },
      ['--root-path', '/inference/llama'],
      '/inference/llama/health',
    ],
    [
      'vLLM image with user args, auto',
      { image: VLLM, args: ['--model', '/models/llama'] },
      ['--model', '/models/llama', '--root-path', '/inference/llama'],
      '/inference/llama/health',
    ],
    [
      'vLLM image with a custom command, auto',
      { image: VLLM, command: ['python3', 'serve.py'] },
      undefined,
      '/health',
    ],
    ['vLLM image, disabled', { image: VLLM, server_root_path: false }, undefined, '/health'],
    [
      'TGI image, auto (TGI has no --root-path)',
      { image: 'ghcr.io/huggingface/text-generation-inference:2.4' },
      undefined,
      '/health',
    ],
    ['Triton image, auto', { image: TRITON }, undefined, '/health'],
    [
      'any image, forced on',
      { image: TRITON, server_root_path: true },
      ['--root-path', '/inference/llama'],
      '/inference/llama/health',
    ],
    [
      'forced on with a custom command',
      { image: TRITON, command: ['srv'], server_root_path: true },
      ['--root-path', '/inference/llama'],
      '/inference/llama/health',
    ],
    [
      'root path already in args',
      { image: VLLM, args: ['--root-path=/inference/llama'] },
      ['--root-path=/inference/llama'],
      '/inference/llama/health',
    ],
    ['image named like vllm only by accident', { image: 'myorg/vllmish:1' }, undefined, '/health'],
  ])('renders args and probe path, when %s', (_case, spec, args, probe) => {
    const l = objs(spec);
    expect(container(l).args).toEqual(args);
    expect(container(l).readinessProbe.httpGet.path).toBe(probe);
    expect(ing(l).metadata.annotations['alb.ingress.kubernetes.io/healthcheck-path']).toBe(probe);
  });

  test('renders the canary with the PRIMARY path, when a vLLM canary exists', () => {
    const l = objs({ image: VLLM, canary: { image: 'vllm/vllm-openai:v0.7.0' } });
    expect(container(l, 'llama-canary').args).toEqual(['--root-path', '/inference/llama']);
    expect(container(l, 'llama-canary').readinessProbe.httpGet.path).toBe('/inference/llama/health');
    expect(
      (find(l, 'Service', 'llama-canary') as Any).metadata.annotations[
        'alb.ingress.kubernetes.io/healthcheck-path'
      ],
    ).toBe('/inference/llama/health');
  });

  test('renders per-Service health paths, when primary and canary images differ in root-path support', () => {
    const l = objs({ image: TRITON, canary: { image: VLLM } });
    expect(
      (find(l, 'Service', 'llama') as Any).metadata.annotations['alb.ingress.kubernetes.io/healthcheck-path'],
    ).toBe('/health');
    expect(
      (find(l, 'Service', 'llama-canary') as Any).metadata.annotations[
        'alb.ingress.kubernetes.io/healthcheck-path'
      ],
    ).toBe('/inference/llama/health');
  });
});

describe('ingress and service', () => {
  test('renders a plain backend, when there is no canary', () => {
    const i = ing(objs({ image: TRITON }));
    expect(i.spec).toEqual({
      ingressClassName: 'alb',
      rules: [
        {
          http: {
            paths: [
              {
                path: '/inference/llama',
                pathType: 'Prefix',
                backend: { service: { name: 'llama', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    });
    expect(Object.keys(i.metadata.annotations).some((k: string) => k.includes('actions.'))).toBe(false);
  });

  test.each([
    [10, 90],
    [0, 100],
    [100, 0],
  ])('renders weighted routing canary %i / primary %i, when a canary exists', (canary, primary) => {
    const i = ing(objs({ image: TRITON, canary: { image: 'x:2', weight: canary } }));
    expect(i.spec.rules[0].http.paths[0].backend).toEqual({
      service: { name: 'weighted-routing', port: { name: 'use-annotation' } },
    });
    expect(JSON.parse(i.metadata.annotations['alb.ingress.kubernetes.io/actions.weighted-routing'])).toEqual({
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { serviceName: 'llama', servicePort: 80, weight: primary },
          { serviceName: 'llama-canary', servicePort: 80, weight: canary },
        ],
      },
    });
  });

  test('renders the canary at its own replicas and 0 when stopped', () => {
    expect(
      dep(objs({ image: TRITON, canary: { image: 'x:2', replicas: 2 } }), 'llama-canary').spec.replicas,
    ).toBe(2);
    expect(
      dep(
        objs({ image: TRITON, canary: { image: 'x:2', replicas: 2 } }, { desired_state: 'stopped' }),
        'llama-canary',
      ).spec.replicas,
    ).toBe(0);
  });

  test('renders the Service 80 → port, selecting its own pods', () => {
    const s = find(objs({ image: TRITON, port: 9000 }), 'Service', 'llama') as Any;
    expect(s.spec).toEqual({
      type: 'ClusterIP',
      selector: { app: 'llama' },
      ports: [{ port: 80, targetPort: 9000, protocol: 'TCP' }],
    });
  });

  test('renders the HPA from the autoscaling spec', () => {
    const h = find(
      objs({
        image: TRITON,
        autoscaling: {
          enabled: true,
          min_replicas: 2,
          max_replicas: 5,
          metrics: [{ type: 'memory', target: 80 }],
        },
      }),
      'HorizontalPodAutoscaler',
      'llama',
    ) as Any;
    expect(h.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    });
  });

  test('renders the ingress path from the item', () => {
    expect(
      ing(objs({ image: TRITON }, { ingress_path: '/inference/custom' })).spec.rules[0].http.paths[0].path,
    ).toBe('/inference/custom');
  });
});

describe('labels, hashes and determinism', () => {
  test("copies the endpoint's labels onto every object, ours winning, but not onto pods", () => {
    const l = objs(
      {
        image: TRITON,
        replicas: 2,
        autoscaling: { enabled: true, min_replicas: 2 },
        canary: { image: VLLM },
      },
      {
        labels: {
          team: 'search',
          'cost-center': 'gpu-42',
          'app.kubernetes.io/managed-by': 'someone-else',
          app: 'x',
        },
      },
    );
    expect(kinds(l)).toHaveLength(7);
    for (const o of l) {
      expect(o.metadata.labels, `${o.kind}/${o.metadata.name}`).toMatchObject({
        team: 'search',
        'cost-center': 'gpu-42',
        'app.kubernetes.io/managed-by': 'inferctl',
        app: o.kind === 'Deployment' || o.kind === 'Service' ? o.metadata.name : 'llama',
      });
    }
    expect(dep(l).spec.template.metadata.labels.team).toBeUndefined();
  });

  test('labels every object as ours, in the endpoint namespace', () => {
    for (const o of objs(
      { image: TRITON, canary: { image: 'x:1' }, autoscaling: { enabled: true } },
      { namespace: 'team-a' },
    )) {
      expect(o.metadata.namespace).toBe('team-a');
      expect(o.metadata.labels).toMatchObject({
        project: 'gco',
        'gco.io/type': 'inference',
        'app.kubernetes.io/managed-by': 'inferctl',
        'gco.io/endpoint': 'llama',
      });
      expect(o.metadata.annotations?.['inferctl.io/spec-hash']).toBe(hashObject(o));
    }
  });

  test('is byte-identical for the same input, whatever the key order of maps in the item', () => {
    const a = objs({ image: TRITON, env: { B: '2', A: '1' }, node_selector: { z: '1', a: '2' } });
    const b = objs({ node_selector: { a: '2', z: '1' }, env: { A: '1', B: '2' }, image: TRITON });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  test.each([
    ['env', { env: { A: '2' } }],
    ['args', { args: ['--x'] }],
    ['resources', { resources: { limits: { cpu: '8', memory: '16Gi' } } }],
    ['port', { port: 9000 }],
    ['gpu_count', { gpu_count: 2 }],
    ['health path', { health_check_path: '/ready' }],
    ['node selector', { node_selector: { pool: 'x' } }],
    ['model source', { model_source: 's3://bkt/m' }],
  ])('changes the Deployment hash, when %s changes', (_field, patch) => {
    const base = dep(objs({ image: TRITON, env: { A: '1' } })).metadata.annotations['inferctl.io/spec-hash'];
    const changed = dep(objs({ image: TRITON, env: { A: '1' }, ...patch })).metadata.annotations[
      'inferctl.io/spec-hash'
    ];
    expect(changed).not.toBe(base);
  });

  test('canonicalJson sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, 1] } })).toBe('{"a":{"c":[2,1]},"b":1}');
  });
});

describe('canonical specs', () => {
  test('snapshot: vLLM with canary, autoscaling and an S3 model', () => {
    const l = objs(
      {
        image: VLLM,
        replicas: 2,
        env: { HF_HOME: '/models/cache' },
        model_source: 's3://models-bkt/llama3',
        model_path: '/models/llama',
        args: ['--model', '/models/llama'],
        capacity_type: 'on-demand',
        autoscaling: { enabled: true, min_replicas: 2, max_replicas: 4 },
        canary: { image: 'vllm/vllm-openai:v0.7.0', weight: 25 },
      },
      {},
      { modelSyncImage: 'amazon/aws-cli:2.17.0' },
    );
    expect(l).toMatchSnapshot();
  });

  test('snapshot: Triton on Neuron, stopped, no canary', () => {
    expect(
      objs({ image: TRITON, accelerator: 'neuron', gpu_count: 2 }, { desired_state: 'stopped' }),
    ).toMatchSnapshot();
  });
});
