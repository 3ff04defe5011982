import { describe, expect, test } from 'vitest';
import { parseEndpointItem } from '../../model/index.js';
import type { EndpointRecord, Revision } from '../../store/index.js';
import { historySchema, historyView } from './history.js';

const item = (generation: number | undefined, image: string) => ({
  endpoint_name: 'llama',
  desired_state: 'deploying',
  target_regions: ['us-east-1'],
  namespace: 'gco-inference',
  spec: { image, replicas: 1, gpu_count: 1, port: 8000 },
  ...(generation !== undefined ? { generation } : {}),
});
const record = (raw: Record<string, unknown>): EndpointRecord => ({
  name: 'llama',
  generation: typeof raw.generation === 'number' ? raw.generation : 0,
  raw,
  parsed: parseEndpointItem(raw),
});
const revision = (generation: number, image: string, over: Partial<Revision> = {}): Revision => ({
  endpointName: 'llama',
  generation,
  spec: item(generation, image).spec,
  targetRegions: ['us-east-1'],
  desiredState: 'deploying',
  writtenAt: '2025-06-01T12:00:00.000Z',
  writtenBy: 'alice',
  summary: `image ${image}`,
  ...over,
});

describe('historyView', () => {
  test('marks the current generation, keeps the order, and has no note when the item matches', () => {
    const view = historyView(record(item(2, 'b')), [revision(2, 'b', { reason: 'fix' }), revision(1, 'a')]);
    expect(historySchema.parse(view)).toEqual(view);
    expect(view.revisions.map((r) => [r.generation, r.current, r.reason])).toEqual([
      [2, true, 'fix'],
      [1, false, null],
    ]);
    expect(view.note).toBeNull();
  });

  test('a legacy item without revisions says why the history is empty', () => {
    expect(historyView(record(item(undefined, 'a')), []).note).toMatch(
      /^no revisions stored for llama: it was written by a tool that keeps none/,
    );
  });

  test('a current generation without its revision is named', () => {
    expect(historyView(record(item(3, 'c')), [revision(2, 'b')]).note).toBe(
      'generation 3 has no revision: it was written by a tool that keeps none',
    );
  });

  test('an item changed without a new generation lists the fields that differ', () => {
    expect(historyView(record(item(2, 'z')), [revision(2, 'b')]).note).toBe(
      `the stored endpoint differs from generation 2's revision (changed by a tool that keeps no revisions): ~ spec.image: "b" → "z"`,
    );
  });
});
