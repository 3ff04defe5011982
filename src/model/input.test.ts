import { describe, expect, test } from 'vitest';
import { didYouMean, InvalidSpecError, labelIssues, parseEndpointFile, parseEndpointItem } from './index.js';

const issuesOf = (doc: unknown): string[] => {
  try {
    parseEndpointFile(doc);
  } catch (err) {
    if (err instanceof InvalidSpecError) return err.issues.map((i) => `${i.path}: ${i.rule}`);
    throw err;
  }
  throw new Error('expected the file to be rejected');
};

describe('did you mean', () => {
  test('suggests the closest key within a third of its length, ignoring case and -/_', () => {
    expect(didYouMean('gpu_cont', ['gpu_count', 'port', 'image'])).toBe('gpu_count');
    expect(didYouMean('GPU-COUNT', ['gpu_count', 'port'])).toBe('gpu_count');
    expect(didYouMean('us-eats-1', ['us-east-1', 'eu-west-1'])).toBe('us-east-1');
    expect(didYouMean('completely', ['gpu_count', 'port'])).toBeUndefined();
  });
});

describe('endpoint files are strict', () => {
  test('an unknown spec field, at any depth, is refused with its path and a suggestion', () => {
    expect(issuesOf({ name: 'a', spec: { image: 'i:1', gpu_cont: 2 } })).toEqual([
      'spec.gpu_cont: unknown field, did you mean gpu_count?',
    ]);
    expect(issuesOf({ spec: { image: 'i:1', autoscaling: { enabled: true, max_replica: 3 } } })).toEqual([
      'spec.autoscaling.max_replica: unknown field, did you mean max_replicas?',
    ]);
    expect(
      issuesOf({ spec: { image: 'i:1', autoscaling: { metrics: [{ type: 'cpu', targt: 70 }] } } }),
    ).toEqual(['spec.autoscaling.metrics[0].targt: unknown field, did you mean target?']);
    expect(issuesOf({ spec: { image: 'i:1', resources: { limit: {} } } })).toEqual([
      'spec.resources.limit: unknown field, did you mean limits?',
    ]);
  });

  test('an unknown top-level field is refused; one far from any key lists the known ones', () => {
    expect(issuesOf({ name: 'a', target_region: ['us-east-1'], spec: { image: 'i:1' } })).toEqual([
      'target_region: unknown field, did you mean target_regions?',
    ]);
    expect(issuesOf({ spec: { image: 'i:1' }, xyzzy: 1 })).toEqual([
      'xyzzy: unknown field; known fields: name, namespace, target_regions, labels, spec',
    ]);
  });

  test('a bare spec is checked as a spec; a whole endpoint needs its spec', () => {
    expect(issuesOf({ image: 'i:1', replcas: 2 })).toEqual([
      'spec.replcas: unknown field, did you mean replicas?',
    ]);
    expect(issuesOf({ name: 'a', target_regions: ['us-east-1'] })).toEqual([
      'spec: must be a mapping, got nothing',
    ]);
    expect(parseEndpointFile({ image: 'i:1', env: { ANY_NAME: 'x' } })).toEqual({
      spec: { image: 'i:1', env: { ANY_NAME: 'x' } },
    });
  });
});

describe('labels', () => {
  test('keys and values follow the Kubernetes rules; inferctl keys are refused', () => {
    expect(labelIssues({ team: 'ml', 'example.com/tier': 'gold', empty: '' })).toEqual([]);
    const rules = (l: unknown) => labelIssues(l).map((i) => `${i.path}: ${i.rule.split(',')[0]}`);
    expect(rules({ 'bad key': 'v' })).toEqual(['labels.bad key: keys must be [DNS-subdomain prefix/]name']);
    expect(rules({ k: 'x'.repeat(64) })).toEqual(['labels.k: values must be ≤ 63 letters']);
    expect(rules({ [`${'a'.repeat(64)}`]: 'v' })).toHaveLength(1);
    expect(rules({ app: 'x' })[0]).toMatch(/^labels.app: is set by inferctl on every object/);
    expect(rules({ 'gco.io/endpoint': 'x' })[0]).toMatch(/^labels.gco.io\/endpoint: is set by inferctl/);
  });

  test('a stored item with an invalid label key is invalid (it would reach every object)', () => {
    const r = parseEndpointItem({ endpoint_name: 'a', spec: { image: 'i:1' }, labels: { 'bad key': 'v' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('labels.bad key: keys must be valid label keys, got "bad key"');
  });
});
