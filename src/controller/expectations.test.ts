import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../model/index.js';
import { ApplyExpectations, EXPECTATION_TTL_MS } from './expectations.js';

function obj(kind: string, resourceVersion: string | undefined, image = 'v1'): KubeObject {
  return {
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    metadata: { name: 'llama', namespace: 'ml', ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { image },
  } as KubeObject;
}

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('ApplyExpectations', () => {
  test('without an own write the live objects pass through unchanged', () => {
    const x = new ApplyExpectations();
    const live = [obj('Service', '5')];
    expect(x.overlay('llama', live)).toBe(live);
  });

  test('a created object stands in for the missing cache copy until the watch shows it', () => {
    const x = new ApplyExpectations();
    const created = obj('Deployment', '10');
    x.expect('llama', null, created);
    expect(x.overlay('llama', [obj('Service', '5')])).toEqual([obj('Service', '5'), created]);
    // Still not in the cache on the next pass: still expected.
    expect(x.overlay('llama', [])).toEqual([created]);
    // The watch delivered it (a later version, say the controller's status update): the cache wins.
    const seen = obj('Deployment', '12');
    expect(x.overlay('llama', [seen])).toEqual([seen]);
    // Met: a later disappearance is the cache's to report.
    expect(x.overlay('llama', [])).toEqual([]);
  });

  test('an updated object replaces the stale copy until the watch moves past the version it was planned on', () => {
    const x = new ApplyExpectations();
    const stale = obj('Deployment', '7', 'v1');
    const applied = obj('Deployment', '9', 'v2');
    x.expect('llama', stale, applied);
    expect(x.overlay('llama', [stale])).toEqual([applied]);
    const seen = obj('Deployment', '9', 'v2');
    expect(x.overlay('llama', [seen])).toEqual([seen]);
    expect(x.overlay('llama', [stale])).toEqual([stale]);
  });

  test('an updated object deleted before its event arrived is reported gone', () => {
    const x = new ApplyExpectations();
    x.expect('llama', obj('Deployment', '7'), obj('Deployment', '9'));
    expect(x.overlay('llama', [])).toEqual([]);
  });

  test('a no-op apply (same resourceVersion) expects nothing', () => {
    const x = new ApplyExpectations();
    const same = obj('Deployment', '7');
    x.expect('llama', same, obj('Deployment', '7'));
    const live = [same];
    expect(x.overlay('llama', live)).toBe(live);
  });

  test('an apply in flight stands in with the desired object, then with what the server returned', () => {
    const x = new ApplyExpectations();
    const desired = obj('Deployment', undefined, 'v2');
    const stale = obj('Deployment', '7', 'v1');
    x.expect('llama', stale, desired);
    expect(x.overlay('llama', [stale])).toEqual([desired]);
    const applied = obj('Deployment', '9', 'v2');
    x.expect('llama', stale, applied);
    expect(x.overlay('llama', [stale])).toEqual([applied]);
  });

  test('an apply in flight that turns out a no-op, or fails, is no longer expected', () => {
    const x = new ApplyExpectations();
    const live = obj('Deployment', '7');
    x.expect('llama', live, obj('Deployment', undefined));
    x.expect('llama', live, obj('Deployment', '7'));
    expect(x.overlay('llama', [live])).toEqual([live]);
    x.expect('llama', null, obj('Service', undefined));
    x.forget('llama', { apiVersion: 'v1', kind: 'Service', namespace: 'ml', name: 'llama' });
    expect(x.overlay('llama', [])).toEqual([]);
  });

  test('an expectation the watch never meets expires, so a lost event cannot wedge the object', () => {
    const c = clock();
    const x = new ApplyExpectations(c.now);
    const created = obj('Deployment', '10');
    x.expect('llama', null, created);
    c.advance(EXPECTATION_TTL_MS - 1);
    expect(x.overlay('llama', [])).toEqual([created]);
    c.advance(1);
    expect(x.overlay('llama', [])).toEqual([]);
  });

  test('expectations are per endpoint', () => {
    const x = new ApplyExpectations();
    x.expect('llama', null, obj('Deployment', '10'));
    expect(x.overlay('mistral', [])).toEqual([]);
    expect(x.overlay('llama', [])).toHaveLength(1);
  });
});
