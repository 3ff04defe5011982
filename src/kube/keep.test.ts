import { describe, expect, test } from 'vitest';
import { trimDeployment } from '../diagnose/index.js';
import { type EndpointSpecInput, isSettled, type KubeObject, parseEndpointItem } from '../model/index.js';
import { findDrift, plan } from '../plan/index.js';
import { render } from '../render/index.js';
import { keepOwned, settleOwned } from './keep.js';

// biome-ignore lint/suspicious/noExplicitAny: tests dig into wire-format JSON.
type Any = any;

/** A Deployment as the API server answers a watch: our fields plus its defaults and bookkeeping. */
const liveDeployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'llama',
    namespace: 'gco-inference',
    uid: '76b9aa5d-e97e-4914-8bc6-919030491556',
    resourceVersion: '9928',
    generation: 3,
    creationTimestamp: '2026-11-30T16:32:34Z',
    deletionTimestamp: '2026-11-30T16:40:00Z',
    labels: { app: 'llama', 'gco.io/endpoint': 'llama' },
    annotations: {
      'deployment.kubernetes.io/revision': '2',
      'kubectl.kubernetes.io/last-applied-configuration': '{"a large":"copy"}',
      'inferctl.io/spec-hash': 'abc',
      'example.com/someone-elses': 'x',
    },
    managedFields: [{ manager: 'inferctl', operation: 'Apply', fieldsV1: {} }],
  },
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 600,
    revisionHistoryLimit: 10,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    selector: { matchLabels: { app: 'llama' } },
    template: {
      metadata: { creationTimestamp: null, labels: { app: 'llama' } },
      spec: {
        containers: [
          {
            name: 'inference',
            image: 'vllm/vllm-openai:v0.9.0',
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            ports: [{ containerPort: 8000, protocol: 'TCP' }],
          },
        ],
        initContainers: [{ name: 'model-sync', image: 'aws-cli', imagePullPolicy: 'IfNotPresent' }],
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        serviceAccount: 'gco-service-account',
        serviceAccountName: 'gco-service-account',
        terminationGracePeriodSeconds: 30,
        nodeSelector: { accelerator: 'nvidia' },
      },
    },
  },
  status: {
    replicas: 2,
    readyReplicas: 1,
    updatedReplicas: 2,
    availableReplicas: 1,
    observedGeneration: 3,
    terminatingReplicas: 0,
    unavailableReplicas: 1,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
        lastTransitionTime: '2026-11-30T16:32:34Z',
        lastUpdateTime: '2026-11-30T16:32:34Z',
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: 'ReplicaSet "llama-bf9dddcfc" is progressing.',
        lastTransitionTime: '2026-11-30T16:32:34Z',
        lastUpdateTime: '2026-11-30T16:33:00Z',
      },
    ],
  },
});

describe('keepOwned', () => {
  test("keeps name, labels, generation and deletion; drops the server's bookkeeping, revision counter and kubectl's copy", () => {
    const kept = keepOwned(liveDeployment());
    expect(kept.metadata).toEqual({
      name: 'llama',
      namespace: 'gco-inference',
      resourceVersion: '9928',
      generation: 3,
      deletionTimestamp: '2026-11-30T16:40:00Z',
      labels: { app: 'llama', 'gco.io/endpoint': 'llama' },
      annotations: { 'inferctl.io/spec-hash': 'abc', 'example.com/someone-elses': 'x' },
    });
  });

  test("drops a Deployment's server defaults, keeping what render sets and spec.replicas", () => {
    const spec = (keepOwned(liveDeployment()) as Any).spec;
    expect(spec).toEqual({
      replicas: 2,
      selector: { matchLabels: { app: 'llama' } },
      template: {
        metadata: { labels: { app: 'llama' } },
        spec: {
          containers: [
            {
              name: 'inference',
              image: 'vllm/vllm-openai:v0.9.0',
              ports: [{ containerPort: 8000, protocol: 'TCP' }],
            },
          ],
          initContainers: [{ name: 'model-sync', image: 'aws-cli' }],
          serviceAccountName: 'gco-service-account',
          nodeSelector: { accelerator: 'nvidia' },
        },
      },
    });
  });

  test('keeps the Deployment status fields status and diagnosis read, and only their conditions', () => {
    expect((keepOwned(liveDeployment()) as Any).status).toEqual({
      replicas: 2,
      readyReplicas: 1,
      updatedReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 3,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: 'ReplicaSet "llama-bf9dddcfc" is progressing.',
          lastTransitionTime: '2026-11-30T16:32:34Z',
        },
      ],
    });
  });

  test("drops a Service's allocated addresses, keeps its ports, selector and status", () => {
    const kept = keepOwned({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llama', uid: 'u' },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'llama' },
        ports: [{ port: 80, targetPort: 8000, protocol: 'TCP' }],
        clusterIP: '10.0.0.12',
        clusterIPs: ['10.0.0.12'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
        sessionAffinity: 'None',
      },
      status: { loadBalancer: {} },
    });
    expect(kept).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llama' },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'llama' },
        ports: [{ port: 80, targetPort: 8000, protocol: 'TCP' }],
      },
      status: { loadBalancer: {} },
    });
  });

  test("keeps an Ingress's spec and load balancer status whole", () => {
    const ingress: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'inference-llama' },
      spec: { ingressClassName: 'alb', rules: [] },
      status: { loadBalancer: { ingress: [{ hostname: 'k8s-x.elb.amazonaws.com' }] } },
    };
    expect(keepOwned(ingress)).toEqual(ingress);
  });

  // The rule the trimming relies on: nothing render sets is dropped, so a kept live object never
  // shows drift on a field render owns. A render that starts setting one of the dropped fields
  // fails here.
  test.each<[string, EndpointSpecInput, Record<string, unknown>]>([
    [
      'vLLM with canary, autoscaling, env, an S3 model and args',
      {
        image: 'vllm/vllm-openai:v0.6.3',
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
    ],
    [
      'Triton on Neuron, stopped',
      { image: 'nvcr.io/nvidia/tritonserver:24.08-py3', accelerator: 'neuron', gpu_count: 2 },
      { desired_state: 'stopped' },
    ],
    [
      'four replicas and a disruption budget',
      { image: 'x:1', replicas: 4, disruption: { max_unavailable: 2 } },
      {},
    ],
  ])('drops nothing render sets: %s', (_case, spec, item) => {
    const parsed = parseEndpointItem({
      endpoint_name: 'llama',
      target_regions: ['us-east-1'],
      generation: 1,
      spec,
      ...item,
    });
    if (!parsed.ok) throw parsed.error;
    const objects = render(parsed.value, 'us-east-1', { modelSyncImage: 'amazon/aws-cli:2.17.0' });
    for (const o of objects) {
      expect(keepOwned(o)).toEqual(o);
      expect(findDrift(o, keepOwned(o))).toBeUndefined();
    }
  });
});

describe('settleOwned', () => {
  const withProbe = (): KubeObject => {
    const d = liveDeployment() as Any;
    d.spec.template.spec.containers[0].readinessProbe = {
      httpGet: { path: '/health', port: 8000 },
      periodSeconds: 10,
    };
    return d;
  };

  test('keeps metadata and status whole, and of the spec only what plan, status and diagnosis read', () => {
    const kept = keepOwned(withProbe());
    const settled = settleOwned(kept);
    expect(isSettled(settled)).toBe(true);
    expect(isSettled(kept)).toBe(false);
    expect(settled.metadata).toEqual(kept.metadata);
    expect(settled.status).toEqual(kept.status);
    expect(settled.spec).toEqual({
      replicas: 2,
      template: {
        spec: {
          containers: [
            {
              name: 'inference',
              image: 'vllm/vllm-openai:v0.9.0',
              readinessProbe: { httpGet: { path: '/health', port: 8000 } },
            },
          ],
        },
      },
    });
    expect(trimDeployment(settled as Any)).toEqual(trimDeployment(kept as Any));
  });

  test('keeps no spec of the kinds only the drift check reads the spec of', () => {
    const service: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llama', resourceVersion: '7' },
      spec: { type: 'ClusterIP', selector: { app: 'llama' } },
      status: { loadBalancer: {} },
    };
    const settled = settleOwned(service);
    expect(settled).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llama', resourceVersion: '7' },
      status: { loadBalancer: {} },
    });
    // The mark is not one of the object's fields: neither its keys nor its JSON show it.
    expect(JSON.parse(JSON.stringify(settled))).toEqual(settled);
    expect(Object.keys(settled)).toEqual(['apiVersion', 'kind', 'metadata', 'status']);
  });

  test("plan takes a settled object with the render's hash as up to date, and re-applies one whose hash differs", () => {
    const item = (image: string) => {
      const parsed = parseEndpointItem({
        endpoint_name: 'llama',
        target_regions: ['us-east-1'],
        generation: 1,
        spec: { image },
      });
      if (!parsed.ok) throw parsed.error;
      return parsed.value;
    };
    const objects = render(item('x:1'), 'us-east-1');
    const settled = objects.map((o) => settleOwned(keepOwned(o)));
    const ctx = { endpointName: 'llama', endpoint: item('x:1'), region: 'us-east-1' };
    expect(plan(objects, settled, ctx).map((a) => a.reason)).toEqual(objects.map(() => 'UpToDate'));
    const changed = plan(render(item('x:2'), 'us-east-1'), settled, { ...ctx, endpoint: item('x:2') });
    expect(changed.find((a) => a.ref.kind === 'Deployment')).toMatchObject({
      verb: 'apply',
      reason: 'HashChanged',
    });
  });
});
