import { describe, expect, test } from 'vitest';
import { type Endpoint, parseSpecOrThrow } from '../model/index.js';
import { render } from '../render/index.js';
import { RenderMemo } from './render-memo.js';

const endpoint = (image: string): Endpoint =>
  ({
    name: 'alpha',
    desiredState: 'running',
    targetRegions: ['us-east-1'],
    namespace: 'gco-inference',
    spec: parseSpecOrThrow({ image }),
    ingressPath: '/inference/alpha',
    labels: {},
    generation: 1,
  }) as Endpoint;

describe('RenderMemo', () => {
  test('renders an unchanged endpoint value once per region and options; a new value renders again', () => {
    let calls = 0;
    const memo = new RenderMemo((e, r, o) => {
      calls++;
      return render(e, r, o);
    });
    const v1 = endpoint('vllm/vllm-openai:v0.9.0');
    const a = memo.render(v1, 'us-east-1', { ingressPulled: false });
    expect(memo.render(v1, 'us-east-1', { ingressPulled: false })).toBe(a);
    expect(calls).toBe(1);
    expect(a).toEqual(render(v1, 'us-east-1', { ingressPulled: false }));

    const pulled = memo.render(v1, 'us-east-1', { ingressPulled: true });
    expect(pulled.some((o) => o.kind === 'Ingress')).toBe(false);
    expect(calls).toBe(2);

    const v2 = endpoint('vllm/vllm-openai:v0.9.1');
    const b = memo.render(v2, 'us-east-1', { ingressPulled: false });
    expect(calls).toBe(3);
    expect(b).not.toBe(a);
  });

  test('shared objects are frozen: a caller that mutated one would throw, not change the next apply', () => {
    const memo = new RenderMemo(render);
    const objects = memo.render(endpoint('vllm/vllm-openai:v0.9.0'), 'us-east-1', {});
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(() => {
      (deployment.metadata as { name: string }).name = 'other';
    }).toThrow(TypeError);
  });
});
