import { describe, expect, test } from 'vitest';
import type { PodView } from '../diagnose/index.js';
import { type Endpoint, type KubeObject, parseSpecOrThrow } from '../model/index.js';
import { render } from '../render/index.js';
import { causesToWrite, diagnoseEndpoint } from './diagnosis.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');

function endpoint(spec: Record<string, unknown> = {}): Endpoint {
  return {
    name: 'llm',
    desiredState: 'running',
    targetRegions: ['us-east-1'],
    namespace: 'gco-inference',
    spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0', replicas: 1, ...spec }),
    ingressPath: '/inference/llm',
    labels: {},
    generation: 1,
  } as Endpoint;
}

/** A pod running `image`, not ready for 5 minutes. */
function unreadyPod(name: string, image: string): PodView {
  const since = NOW - 300_000;
  return {
    name,
    created: since,
    deleting: false,
    phase: 'Running',
    startTime: since,
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', since }],
    initContainers: [],
    containers: [
      {
        name: 'inference',
        image,
        ready: false,
        restartCount: 0,
        state: { kind: 'running', startedAt: since },
      },
    ],
  };
}

const pods = (byDeployment: Record<string, PodView[]>) => ({
  podsOf: (_ns: string, d: string) => byDeployment[d] ?? [],
});

describe('diagnoseEndpoint', () => {
  test("takes each track's image and readiness probe from its Deployment, and keeps the canary apart", () => {
    const ep = endpoint({ canary: { image: 'vllm/vllm-openai:v0.9.1', weight: 10, replicas: 1 } });
    const observed: readonly KubeObject[] = render(ep, 'us-east-1');
    const found = diagnoseEndpoint(
      ep,
      observed,
      pods({ 'llm-canary': [unreadyPod('llm-canary-a', 'vllm/vllm-openai:v0.9.1')] }),
      NOW,
    );
    expect(found.causes).toHaveLength(1);
    expect(found.causes[0]).toMatchObject({ reason: 'ProbeFailing', track: 'canary', severity: 'waiting' });
    expect(found.causes[0]?.message).toContain('GET /inference/llm/health on port 8000');
    // The probe's grace ended long ago: nothing changes with time alone any more.
    expect(found.recheckAt).toBeUndefined();
  });

  test('nothing to say before the Deployment is seen, and nothing for a healthy endpoint', () => {
    const ep = endpoint();
    expect(
      diagnoseEndpoint(ep, [], pods({ llm: [unreadyPod('a', 'vllm/vllm-openai:v0.9.0')] }), NOW),
    ).toEqual({ causes: [] });
    expect(diagnoseEndpoint(ep, render(ep, 'us-east-1'), pods({}), NOW)).toEqual({ causes: [] });
  });

  test('an unready pod within its grace period has no cause yet, and is looked at again when the grace ends', () => {
    const ep = endpoint();
    const young = {
      ...unreadyPod('a', 'vllm/vllm-openai:v0.9.0'),
      conditions: [{ type: 'Ready', status: 'False', since: NOW - 1000 }],
    };
    const found = diagnoseEndpoint(ep, render(ep, 'us-east-1'), pods({ llm: [young] }), NOW);
    expect(found).toEqual({ causes: [], recheckAt: NOW - 1000 + 120_000 });
  });
});

describe('causesToWrite', () => {
  const cause = (pods: number) =>
    ({
      reason: 'Unschedulable',
      severity: 'waiting',
      track: 'primary',
      message: 'm',
      pods,
      since: 's',
    }) as const;

  test('a new cause goes out at once; a count change keeps what was written until the interval ends', () => {
    expect(causesToWrite([], [cause(1)], undefined, NOW)).toEqual({ causes: [cause(1)], fresh: true });
    expect(causesToWrite([cause(1)], [cause(2)], NOW - 10_000, NOW)).toEqual({
      causes: [cause(1)],
      fresh: false,
      recheckAt: NOW + 20_000,
    });
    expect(causesToWrite([cause(1)], [cause(2)], NOW - 30_000, NOW)).toEqual({
      causes: [cause(2)],
      fresh: true,
    });
    expect(causesToWrite([cause(1)], [cause(1)], NOW - 1, NOW)).toEqual({ causes: [cause(1)], fresh: false });
  });
});
