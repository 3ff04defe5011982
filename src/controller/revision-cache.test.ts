import { describe, expect, test } from 'vitest';
import { parseEndpointItem } from '../model/index.js';
import type { Revision } from '../store/index.js';
import { RevisionCache } from './revision-cache.js';

const current = (() => {
  const r = parseEndpointItem({
    endpoint_name: 'llm',
    namespace: 'team-a',
    labels: { team: 'a' },
    ingress_path: '/custom/llm',
    target_regions: ['a', 'b'],
    generation: 5,
    spec: { image: 'img:5', replicas: 3 },
  });
  if (!r.ok) throw r.error;
  return r.value;
})();

const revision = (generation: number, spec: Record<string, unknown>): Revision => ({
  endpointName: 'llm',
  generation,
  spec,
  targetRegions: ['b', 'a'],
  desiredState: 'running',
  writtenAt: '2026-11-30T12:00:00.000Z',
  writtenBy: 'tester',
  summary: '',
});

describe('RevisionCache', () => {
  test("an earlier generation keeps the item's name, namespace, labels and path, with the revision's spec and targets", async () => {
    const cache = new RevisionCache(async (_n, g) => revision(g, { image: 'img:4', replicas: 2 }));
    const e = await cache.endpointAt(current, 4);
    expect(e).toMatchObject({
      name: 'llm',
      namespace: 'team-a',
      labels: { team: 'a' },
      ingressPath: '/custom/llm',
      targetRegions: ['a', 'b'],
      desiredState: 'running',
      generation: 4,
      spec: { image: 'img:4', replicas: 2 },
    });
  });

  test('reads each generation once, a missing one included; an unusable spec is no revision', async () => {
    const reads: number[] = [];
    const cache = new RevisionCache(async (_n, g) => {
      reads.push(g);
      return g === 3 ? revision(3, { replicas: -1 }) : undefined;
    });
    expect(await cache.endpointAt(current, 2)).toBeUndefined();
    expect(await cache.endpointAt(current, 2)).toBeUndefined();
    expect(await cache.endpointAt(current, 3)).toBeUndefined();
    expect(reads).toEqual([2, 3]);
  });
});
