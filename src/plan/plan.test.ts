import { describe, expect, test } from 'vitest';
import {
  ANNOTATION_SPEC_HASH,
  type Endpoint,
  type EndpointSpecInput,
  isSettled,
  type KubeObject,
  parseEndpointItem,
  SETTLED,
} from '../model/index.js';
import { type RenderOptions, render } from '../render/index.js';
import { type Action, plan, planSettled, renderedRefs } from './index.js';

const REGION = 'us-east-1';
const BASE: EndpointSpecInput = { image: 'nvcr.io/nvidia/tritonserver:24.08-py3', env: { A: '1' } };

function endpoint(spec: Partial<EndpointSpecInput> = {}, item: Record<string, unknown> = {}): Endpoint {
  const r = parseEndpointItem({
    endpoint_name: 'llama',
    target_regions: [REGION],
    spec: { ...BASE, ...spec },
    ...item,
  });
  if (!r.ok) throw r.error;
  return r.value;
}

// biome-ignore lint/suspicious/noExplicitAny: tests edit wire-format JSON.
type Any = any;

/** What a watch cache would hold after applying `objs`: our fields plus server defaults and status. */
function live(objs: readonly KubeObject[]): KubeObject[] {
  return objs.map((o) => {
    const copy: Any = structuredClone(o);
    copy.metadata.uid = 'uid-1';
    copy.metadata.resourceVersion = '42';
    copy.metadata.managedFields = [{ manager: 'inferctl' }];
    if (copy.kind === 'Deployment') {
      copy.spec.replicas ??= 1;
      copy.spec.strategy = {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      };
      copy.spec.revisionHistoryLimit = 10;
      const pod = copy.spec.template.spec;
      pod.restartPolicy = 'Always';
      pod.dnsPolicy = 'ClusterFirst';
      pod.terminationGracePeriodSeconds = 30;
      for (const c of pod.containers) {
        c.terminationMessagePath = '/dev/termination-log';
        c.imagePullPolicy = 'IfNotPresent';
        c.ports[0].protocol = 'TCP';
        c.livenessProbe.timeoutSeconds = 1;
        c.livenessProbe.successThreshold = 1;
        c.livenessProbe.httpGet.scheme = 'HTTP';
        // the API server canonicalises quantities
        if (c.resources.limits.cpu === '4') c.resources.limits.cpu = '4000m';
      }
      copy.status = { replicas: 1, readyReplicas: 1 };
    }
    if (copy.kind === 'Service') {
      copy.spec.clusterIP = '10.0.0.12';
      copy.spec.sessionAffinity = 'None';
    }
    return copy as KubeObject;
  });
}

const run = (ep: Endpoint, observed: readonly KubeObject[], options: RenderOptions = {}): Action[] =>
  plan(render(ep, REGION, options), observed, {
    endpointName: 'llama',
    endpoint: ep,
    region: REGION,
    ingressPulled: options.ingressPulled ?? false,
  });
const summary = (actions: readonly Action[]) =>
  actions.map((a) => `${a.verb} ${a.ref.kind}/${a.ref.name} ${a.reason}`);
const changes = (actions: readonly Action[]) => summary(actions.filter((a) => a.verb !== 'none'));

function edit(objs: KubeObject[], kind: string, name: string, f: (o: Any) => void): KubeObject[] {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`no ${kind}/${name}`);
  f(o);
  return objs;
}

describe('plan: applies', () => {
  test('applies everything as Missing, Services first and the Ingress last, when nothing exists', () => {
    expect(summary(run(endpoint({ canary: { image: 'x:2' }, autoscaling: { enabled: true } }), []))).toEqual([
      'apply Service/llama Missing',
      'apply Service/llama-canary Missing',
      'apply Deployment/llama Missing',
      'apply Deployment/llama-canary Missing',
      'apply HorizontalPodAutoscaler/llama Missing',
      'apply Ingress/inference-llama Missing',
    ]);
  });

  test('carries the rendered object on each apply', () => {
    const actions = run(endpoint(), []);
    for (const a of actions) expect(a.object?.metadata.name).toBe(a.ref.name);
  });

  test('does nothing, when live objects match including server-defaulted fields and canonical quantities', () => {
    const ep = endpoint({ canary: { image: 'x:2' } });
    const actions = run(ep, live(render(ep, REGION)));
    expect(changes(actions)).toEqual([]);
    expect(actions.every((a) => a.reason === 'UpToDate')).toBe(true);
  });

  test.each([
    ['env', { env: { A: '2' } }],
    ['image', { image: 'nvcr.io/nvidia/tritonserver:24.09-py3' }],
    ['replicas', { replicas: 0 }],
    ['gpu count', { gpu_count: 2 }],
    ['args', { args: ['--verbose'] }],
  ])('applies the Deployment with HashChanged, when the spec %s changes', (_field, patch) => {
    const before = live(render(endpoint(), REGION));
    expect(changes(run(endpoint(patch), before))).toEqual(['apply Deployment/llama HashChanged']);
  });

  test.each([
    [
      'env value edited',
      (o: Any) => {
        o.spec.template.spec.containers[0].env[0].value = 'hacked';
      },
      'spec.template.spec.containers[name=inference].env[name=A].value',
    ],
    [
      'env var removed',
      (o: Any) => {
        o.spec.template.spec.containers[0].env = [];
      },
      'spec.template.spec.containers[name=inference].env[name=A]',
    ],
    [
      'image edited',
      (o: Any) => {
        o.spec.template.spec.containers[0].image = 'evil:1';
      },
      'spec.template.spec.containers[name=inference].image',
    ],
    [
      'replicas scaled by hand',
      (o: Any) => {
        o.spec.replicas = 5;
      },
      'spec.replicas',
    ],
    [
      'memory limit changed',
      (o: Any) => {
        o.spec.template.spec.containers[0].resources.limits.memory = '8Gi';
      },
      'spec.template.spec.containers[name=inference].resources.limits.memory',
    ],
    [
      'toleration removed',
      (o: Any) => {
        o.spec.template.spec.tolerations = [];
      },
      'spec.template.spec.tolerations',
    ],
    [
      'our label removed',
      (o: Any) => {
        delete o.metadata.labels['gco.io/endpoint'];
      },
      'metadata.labels.gco.io/endpoint',
    ],
  ])(
    'applies the Deployment with Drifted, when %s (the hash annotation is unchanged)',
    (_case, mutate, path) => {
      const ep = endpoint();
      const observed = edit(live(render(ep, REGION)), 'Deployment', 'llama', mutate);
      const actions = run(ep, observed).filter((a) => a.verb === 'apply');
      expect(actions.map((a) => [a.ref.name, a.reason, a.detail])).toEqual([['llama', 'Drifted', path]]);
    },
  );

  test.each([
    [
      '4Gi written as 4096Mi',
      (o: Any) => {
        o.spec.template.spec.containers[0].resources.requests.memory = '4096Mi';
      },
    ],
    [
      'cpu 1 written as 1000m',
      (o: Any) => {
        o.spec.template.spec.containers[0].resources.requests.cpu = '1000m';
      },
    ],
    [
      'a sidecar injected by a webhook',
      (o: Any) => {
        o.spec.template.spec.containers.push({ name: 'istio-proxy', image: 'proxy' });
      },
    ],
    [
      'another manager added an annotation',
      (o: Any) => {
        o.metadata.annotations['deployment.kubernetes.io/revision'] = '3';
      },
    ],
  ])('finds no drift, when %s', (_case, mutate) => {
    const ep = endpoint();
    const observed = edit(live(render(ep, REGION)), 'Deployment', 'llama', mutate);
    expect(changes(run(ep, observed))).toEqual([]);
  });

  test('ignores replicas set by the HPA, when autoscaling is on', () => {
    const ep = endpoint({ autoscaling: { enabled: true, min_replicas: 1, max_replicas: 8 } });
    const observed = edit(live(render(ep, REGION)), 'Deployment', 'llama', (o) => {
      o.spec.replicas = 7;
    });
    expect(changes(run(ep, observed))).toEqual([]);
  });

  test('scales a stopped Deployment back up, when the endpoint is started again (seed bug §4.12)', () => {
    const stopped = endpoint({}, { desired_state: 'stopped' });
    const observed = live(render(stopped, REGION));
    expect((observed.find((o) => o.kind === 'Deployment') as Any).spec.replicas).toBe(0);
    expect(changes(run(endpoint({}, { desired_state: 'running' }), observed))).toEqual([
      'apply Deployment/llama HashChanged',
      'apply Ingress/inference-llama Missing',
    ]);
  });

  test('waits for an object being deleted instead of applying it', () => {
    const ep = endpoint();
    const observed = edit(live(render(ep, REGION)), 'Service', 'llama', (o) => {
      o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
    });
    expect(summary(run(ep, observed)).filter((s) => s.includes('Service'))).toEqual([
      'none Service/llama Terminating',
    ]);
  });
});

describe('plan: deletes', () => {
  test('deletes the canary and re-applies plain routing first, when the canary is removed (seed bug §4.5)', () => {
    const withCanary = live(render(endpoint({ canary: { image: 'x:2' } }), REGION));
    expect(changes(run(endpoint(), withCanary))).toEqual([
      'apply Ingress/inference-llama CanaryRemoved',
      'delete Deployment/llama-canary CanaryRemoved',
      'delete Service/llama-canary CanaryRemoved',
    ]);
  });

  test('deletes the HPA and applies replicas, when autoscaling is turned off (seed bug §4.6)', () => {
    const observed = live(render(endpoint({ autoscaling: { enabled: true } }), REGION));
    expect(changes(run(endpoint(), observed))).toEqual([
      'apply Deployment/llama HashChanged',
      'delete HorizontalPodAutoscaler/llama HpaDisabled',
    ]);
  });

  test('deletes the Ingress first, when the watchdog trips', () => {
    const ep = endpoint();
    expect(changes(run(ep, live(render(ep, REGION)), { ingressPulled: true }))).toEqual([
      'delete Ingress/inference-llama WatchdogTripped',
    ]);
  });

  test('scales to 0 and removes Ingress and HPA, when the endpoint is stopped', () => {
    const observed = live(render(endpoint({ autoscaling: { enabled: true } }), REGION));
    expect(
      changes(run(endpoint({ autoscaling: { enabled: true } }, { desired_state: 'stopped' }), observed)),
    ).toEqual([
      'delete Ingress/inference-llama EndpointStopped',
      'apply Deployment/llama HashChanged',
      'delete HorizontalPodAutoscaler/llama EndpointStopped',
    ]);
  });

  test.each([
    ['EndpointDeleted', { desired_state: 'deleted' }],
    ['RegionRemoved', { target_regions: ['eu-west-1'] }],
  ])('deletes everything with %s, Ingress first and Services last', (reason, item) => {
    const observed = live(
      render(endpoint({ canary: { image: 'x:2' }, autoscaling: { enabled: true } }), REGION),
    );
    expect(changes(run(endpoint({ canary: { image: 'x:2' } }, item), observed))).toEqual([
      `delete Ingress/inference-llama ${reason}`,
      `delete HorizontalPodAutoscaler/llama ${reason}`,
      `delete Deployment/llama ${reason}`,
      `delete Deployment/llama-canary ${reason}`,
      `delete Service/llama ${reason}`,
      `delete Service/llama-canary ${reason}`,
    ]);
  });

  test('deletes seed-created objects it is adopting, but never objects it does not own', () => {
    const seedCanary: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'llama-canary',
        namespace: 'gco-inference',
        labels: { app: 'llama-canary', project: 'gco', 'gco.io/type': 'inference' },
      },
    };
    const foreign: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'other', namespace: 'gco-inference', labels: { app: 'other' } },
    };
    const otherEndpoint: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'x',
        namespace: 'gco-inference',
        labels: { 'app.kubernetes.io/managed-by': 'inferctl', 'gco.io/endpoint': 'x' },
      },
    };
    const ep = endpoint();
    expect(changes(run(ep, [...live(render(ep, REGION)), seedCanary, foreign, otherEndpoint]))).toEqual([
      'delete Deployment/llama-canary CanaryRemoved',
    ]);
  });

  test('deletes as Orphan, when the endpoint item is gone', () => {
    const observed = live(render(endpoint(), REGION));
    const actions = plan([], observed, { endpointName: 'llama', endpoint: undefined, region: REGION });
    expect(new Set(actions.map((a) => a.reason))).toEqual(new Set(['Orphan']));
    expect(actions[0]?.ref.kind).toBe('Ingress');
  });
});

describe('plan: replica hand-off', () => {
  test('hands the live replica count off just before the apply that stops setting it', () => {
    const before = endpoint({ replicas: 3 });
    const after = endpoint({ autoscaling: { enabled: true, min_replicas: 2, max_replicas: 5 } });
    const observed = edit(live(render(before, REGION)), 'Deployment', 'llama', (o) => {
      o.spec.replicas = 3;
    });
    const actions = run(after, observed);
    expect(changes(actions)).toEqual([
      'handOff Deployment/llama AutoscalerTakesReplicas',
      'apply Deployment/llama HashChanged',
      'apply HorizontalPodAutoscaler/llama Missing',
    ]);
    expect(actions.find((a) => a.verb === 'handOff')?.replicas).toBe(3);
  });

  test('hands nothing off while we set the count ourselves, or when nothing exists yet', () => {
    const ep = endpoint({ replicas: 2 });
    expect(run(ep, []).some((a) => a.verb === 'handOff')).toBe(false);
    const drifted = edit(live(render(ep, REGION)), 'Deployment', 'llama', (o) => {
      o.spec.replicas = 5;
    });
    expect(changes(run(ep, drifted))).toEqual(['apply Deployment/llama Drifted']);
  });
});

/** As the watch cache marks an object plan found up to date (kube/keep.ts settleOwned, ADR 0014). */
const settleOwned = (o: KubeObject): KubeObject => Object.defineProperty({ ...o }, SETTLED, { value: true });

describe('planSettled: the plan of a settled endpoint, without its render', () => {
  const ep = endpoint({ canary: { image: 'x:2' }, autoscaling: { enabled: true } });
  const rendered = render(ep, REGION);
  const refs = renderedRefs(rendered);
  /** The watch cache after a pass found every object up to date (ADR 0014). */
  const settled = () => live(rendered).map(settleOwned);
  const context = { endpointName: 'llama', endpoint: ep, region: REGION, ingressPulled: false };

  test('every rendered object live, settled and at the rendered hash: the same all-UpToDate plan as plan()', () => {
    const observed = settled();
    const quick = planSettled(refs, observed);
    expect(quick).toBeDefined();
    expect(quick).toEqual(
      plan(rendered, observed, context).map(({ verb, ref, reason }) => ({ verb, ref, reason })),
    );
    // In any order the cache lists them.
    expect(planSettled(refs, [...observed].reverse())).toEqual(quick);
  });

  test.each<[string, (objs: KubeObject[]) => KubeObject[]]>([
    ['an object missing', (objs) => objs.filter((o) => o.kind !== 'Service' || o.metadata.name !== 'llama')],
    [
      'an object not settled (a new version from the watch, not checked for drift yet)',
      (objs) => {
        const fresh = live(rendered).find((o) => o.kind === 'Deployment' && o.metadata.name === 'llama')!;
        return objs.map((o) => (o.kind === 'Deployment' && o.metadata.name === 'llama' ? fresh : o));
      },
    ],
    [
      'another hash (a render of another spec)',
      (objs) =>
        objs.map((o) =>
          o.kind === 'Service' && o.metadata.name === 'llama'
            ? settleOwned({
                ...o,
                metadata: {
                  ...o.metadata,
                  annotations: { ...o.metadata.annotations, [ANNOTATION_SPEC_HASH]: 'x' },
                },
              })
            : o,
        ),
    ],
    [
      'an object being deleted',
      (objs) =>
        objs.map((o) =>
          o.kind === 'Ingress'
            ? settleOwned({ ...o, metadata: { ...o.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } })
            : o,
        ),
    ],
    [
      'one more observed object (an owned one plan would delete)',
      (objs) => [
        ...objs,
        settleOwned({
          ...objs.find((o) => o.kind === 'Service')!,
          metadata: { ...objs[0]!.metadata, name: 'llama-old' },
        }),
      ],
    ],
    ['the same object twice and another missing', (objs) => [...objs.slice(1), objs[1]!]],
  ])('undefined, so the pass renders and plans, when %s', (_what, change) => {
    const observed = change(settled());
    expect(planSettled(refs, observed)).toBeUndefined();
    // …and plan, on the render, indeed decides something other than all UpToDate, or the object
    // was not settled (plan then checks it for drift).
    const actions = plan(rendered, observed, context);
    const allUpToDate = actions.length === refs.length && actions.every((a) => a.reason === 'UpToDate');
    expect(allUpToDate && observed.every(isSettled)).toBe(false);
  });
});
