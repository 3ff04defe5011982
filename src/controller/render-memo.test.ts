import { describe, expect, test } from 'vitest';
import { type Endpoint, parseSpecOrThrow } from '../model/index.js';
import { renderedRefs } from '../plan/index.js';
import { render } from '../render/index.js';
import { RenderMemo } from './render-memo.js';

const endpoint = (image: string, name = 'alpha'): Endpoint =>
  ({
    name,
    desiredState: 'running',
    targetRegions: ['us-east-1'],
    namespace: 'gco-inference',
    spec: parseSpecOrThrow({ image }),
    ingressPath: `/inference/${name}`,
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

  test('keeps the most recently used endpoint values only: the least recent one renders again', () => {
    let calls = 0;
    const memo = new RenderMemo((e, r, o) => {
      calls++;
      return render(e, r, o);
    }, 2);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => endpoint('vllm/vllm-openai:v0.9.0', n)) as [
      Endpoint,
      Endpoint,
      Endpoint,
    ];
    memo.render(a, 'us-east-1', {});
    memo.render(b, 'us-east-1', {});
    memo.render(a, 'us-east-1', {}); // a is now the most recent: b goes when c arrives
    memo.render(c, 'us-east-1', {});
    expect(memo.size).toBe(2);
    expect(calls).toBe(3);
    memo.render(a, 'us-east-1', {});
    expect(calls).toBe(3);
    memo.render(b, 'us-east-1', {});
    expect(calls).toBe(4);
  });

  test('keeps the keys and hashes of a render after its objects are evicted, per region and options', () => {
    const memo = new RenderMemo(render, 1);
    const [a, b] = ['a', 'b'].map((n) => endpoint('vllm/vllm-openai:v0.9.0', n)) as [Endpoint, Endpoint];
    expect(memo.renderedRefs(a, 'us-east-1', { ingressPulled: false })).toBeUndefined();
    const objects = memo.render(a, 'us-east-1', { ingressPulled: false });
    memo.render(b, 'us-east-1', { ingressPulled: false });
    expect(memo.size).toBe(1);
    expect(memo.renderedRefs(a, 'us-east-1', { ingressPulled: false })).toEqual(renderedRefs(objects));
    expect(memo.renderedRefs(a, 'us-east-1', { ingressPulled: true })).toBeUndefined();
    expect(memo.renderedRefs(a, 'eu-west-1', { ingressPulled: false })).toBeUndefined();
  });
});
