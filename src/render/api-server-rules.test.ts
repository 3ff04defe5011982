// Rules of the real API server that render must respect so that the live object carries exactly
// what we rendered (found by test/integration/property-render.test.ts).
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../model/index.js';
import { type EndpointSpecInput, parseEndpointItem } from '../model/index.js';
import { render } from './index.js';

function deployment(spec: EndpointSpecInput): KubeObject {
  const r = parseEndpointItem({ endpoint_name: 'llama', target_regions: ['r1'], spec });
  if (!r.ok) throw r.error;
  const d = render(r.value, 'r1').find((o) => o.kind === 'Deployment');
  if (!d) throw new Error('no Deployment');
  return d;
}

type Container = { env?: { name: string; value?: string }[] };
const env = (d: KubeObject) =>
  (d.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]?.env;

describe('env values the server would drop', () => {
  test('an empty env value is rendered as a name without value (the server omits `value: ""`)', () => {
    expect(env(deployment({ image: 'img:1', env: { EMPTY: '', FULL: 'x' } }))).toEqual([
      { name: 'EMPTY' },
      { name: 'FULL', value: 'x' },
    ]);
  });
});
