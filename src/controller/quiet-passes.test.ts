import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../model/index.js';
import { passInputs, QuietPasses } from './quiet-passes.js';

const deployment = (name: string, rv: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'gco-inference', resourceVersion: rv },
});
const service = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'gco-inference' },
});

/** Sources whose values a test replaces, as a watch event, the change feed or a pass would. */
function world() {
  const w = {
    entry: { generation: 1 } as unknown,
    status: { state: 'running' } as unknown,
    objects: [deployment('llama', '1'), service('llama')],
    pods: new Map<string, unknown[]>([['gco-inference/llama', [{ ready: true }]]]),
  };
  const read = passInputs({
    desired: { get: () => w.entry },
    statuses: { get: () => w.status },
    observed: {
      byEndpoint: () => w.objects,
      podsOf: (namespace, name) => w.pods.get(`${namespace}/${name}`) ?? [],
    },
  });
  return { w, read, quiet: new QuietPasses(read) };
}

describe('QuietPasses', () => {
  test('an endpoint never recorded is not quiet', () => {
    expect(world().quiet.unchanged('llama')).toBe(false);
  });

  test('recorded and nothing replaced since: unchanged', () => {
    const { quiet } = world();
    quiet.record('llama');
    expect(quiet.unchanged('llama')).toBe(true);
    expect(quiet.size).toBe(1);
  });

  test.each<[string, (w: ReturnType<typeof world>['w']) => void]>([
    ['a new desired entry (the change feed)', (w) => (w.entry = { generation: 2 })],
    ['a new status (another pass)', (w) => (w.status = { state: 'running' })],
    [
      'a new copy of a cached object (a watch event), same content',
      (w) => (w.objects = [deployment('llama', '1'), w.objects[1]!]),
    ],
    ['an object gone from the cache', (w) => (w.objects = [w.objects[0]!])],
    ['a pod of the Deployment replaced', (w) => w.pods.set('gco-inference/llama', [{ ready: false }])],
    ['a pod added', (w) => w.pods.get('gco-inference/llama')!.push({ ready: true })],
  ])('%s: changed', (_, change) => {
    const { w, quiet } = world();
    quiet.record('llama');
    change(w);
    expect(quiet.unchanged('llama')).toBe(false);
  });

  test('pods of a Deployment that is not the endpoint’s are not read', () => {
    const { w, quiet } = world();
    quiet.record('llama');
    w.pods.set('gco-inference/other', [{ ready: false }]);
    expect(quiet.unchanged('llama')).toBe(true);
  });

  test('forget and clear drop what was recorded', () => {
    const { quiet } = world();
    quiet.record('llama');
    quiet.record('mistral');
    quiet.forget('llama');
    expect(quiet.unchanged('llama')).toBe(false);
    expect(quiet.unchanged('mistral')).toBe(true);
    quiet.clear();
    expect(quiet.unchanged('mistral')).toBe(false);
    expect(quiet.size).toBe(0);
  });
});
