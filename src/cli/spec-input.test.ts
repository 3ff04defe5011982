import { describe, expect, test } from 'vitest';
import { applySpecFlags, mergePairs } from './spec-input.js';

describe('edits merge', () => {
  test('-e adds or replaces one key and keeps the rest; --unset-env removes one', () => {
    expect(mergePairs('--env', { HF_TOKEN: 't', A: '1' }, ['B=2', 'A=3'], ['HF_TOKEN'])).toEqual({
      A: '3',
      B: '2',
    });
    expect(mergePairs('--env', { A: '1' }, undefined, undefined)).toBeUndefined();
    expect(() => mergePairs('--label', {}, ['novalue'], undefined)).toThrow(
      '--label: expected KEY=VALUE, got "novalue"',
    );
  });

  test('map flags merge into the base spec; removing the last node selector entry drops the field', () => {
    const base = { image: 'i:1', env: { HF_TOKEN: 't' }, node_selector: { pool: 'gpu' } };
    expect(applySpecFlags(base, { env: ['B=2'], unsetNodeSelector: ['pool'] })).toEqual({
      image: 'i:1',
      env: { HF_TOKEN: 't', B: '2' },
    });
  });

  test('a new image drops the per-region image map (the model rule); --no-autoscaling removes autoscaling', () => {
    const base = {
      image: 'i:1',
      region_image_uris: { 'eu-west-1': 'eu/i:1' },
      autoscaling: { enabled: true },
    };
    expect(applySpecFlags(base, { image: 'i:2', autoscaling: false })).toEqual({ image: 'i:2' });
    expect(() => applySpecFlags(base, { autoscaling: false, maxReplicas: '3' })).toThrow(
      /cannot be combined/,
    );
  });
});
