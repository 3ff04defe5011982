import { describe, expect, test } from 'vitest';
import { WATCHED_KINDS } from './caches.js';
import { resourcePath, UnknownKindError } from './resources.js';

describe('resourcePath', () => {
  test.each([
    [{ kind: 'Deployment', namespace: 'ns', name: 'd' }, true, '/apis/apps/v1/namespaces/ns/deployments/d'],
    [{ kind: 'Service', namespace: 'ns', name: 's' }, true, '/api/v1/namespaces/ns/services/s'],
    [
      { kind: 'Ingress', namespace: 'ns', name: 'i' },
      false,
      '/apis/networking.k8s.io/v1/namespaces/ns/ingresses',
    ],
    [
      { kind: 'HorizontalPodAutoscaler', namespace: 'ns', name: 'h' },
      true,
      '/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers/h',
    ],
    [
      { kind: 'Lease', namespace: 'ns', name: 'l' },
      true,
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l',
    ],
    [
      { apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: 'ns', name: '' },
      false,
      '/apis/events.k8s.io/v1/namespaces/ns/events',
    ],
    [{ apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'p' }, true, '/api/v1/namespaces/ns/pods/p'],
    [
      { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'team-a' },
      true,
      '/api/v1/namespaces/team-a',
    ],
    [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: 'ignored', name: 'r' },
      true,
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/r',
    ],
    [
      { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', namespace: 'ns', name: 'h' },
      true,
      '/apis/autoscaling/v1/namespaces/ns/horizontalpodautoscalers/h',
    ],
  ])('%j (with name: %s) → %s', (ref, withName, path) => {
    expect(resourcePath(ref, withName)).toBe(path);
  });

  test('every watched kind has a path', () => {
    for (const k of WATCHED_KINDS)
      expect(() => resourcePath({ ...k, namespace: 'n', name: '' }, false)).not.toThrow();
  });

  test("a named namespaced object without a namespace gets the context's; a list spans all namespaces", () => {
    expect(resourcePath({ kind: 'Service', namespace: '', name: 's' }, true, 'team-b')).toBe(
      '/api/v1/namespaces/team-b/services/s',
    );
    expect(resourcePath({ kind: 'Service', namespace: '', name: '' }, false, 'team-b')).toBe(
      '/api/v1/services',
    );
  });

  test('names are escaped', () => {
    expect(resourcePath({ kind: 'Service', namespace: 'ns', name: 'a/b' }, true)).toBe(
      '/api/v1/namespaces/ns/services/a%2Fb',
    );
  });

  test('an unknown kind or group is a typed error', () => {
    expect(() => resourcePath({ kind: 'Widget', namespace: 'ns', name: 'w' }, true)).toThrow(
      UnknownKindError,
    );
    const err = (() => {
      try {
        resourcePath({ apiVersion: 'example.com/v1', kind: 'Deployment', namespace: 'ns', name: 'w' }, true);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownKindError);
    expect(err).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Deployment' });
  });

  test('a request for one object needs its name', () => {
    expect(() => resourcePath({ kind: 'Service', namespace: 'ns', name: '' }, true)).toThrow(
      /name is required/,
    );
  });
});
