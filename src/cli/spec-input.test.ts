import { describe, expect, test } from 'vitest';
import { applySpecFlags, mergePairs, validateSpec, validateWaveRegions } from './spec-input.js';

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

describe('rollout flags', () => {
  const stored = {
    image: 'i:1',
    rollout: { waves: [['a'], ['b']], bake_seconds: 300, on_failure: 'halt', progress_deadline_seconds: 900 },
  };

  test('--wave in order replaces the waves; the other flags replace one field and keep the rest', () => {
    expect(applySpecFlags(stored, { wave: ['b', 'a, c'], onFailure: 'revert' }).rollout).toEqual({
      waves: [['b'], ['a', 'c']],
      bake_seconds: 300,
      on_failure: 'revert',
      progress_deadline_seconds: 900,
    });
    expect(applySpecFlags({ image: 'i:1' }, { wave: ['a'], bakeSeconds: '5' }).rollout).toEqual({
      waves: [['a']],
      bake_seconds: 5,
    });
  });

  test('values reach the schema as typed, so its message names the field', () => {
    const spec = applySpecFlags(stored, { bakeSeconds: 'soon', onFailure: 'retry' });
    expect(() => validateSpec(spec)).toThrow(/^spec\.rollout\.bake_seconds: must be an integer/);
    expect(() => validateSpec(applySpecFlags(stored, { onFailure: 'retry' }))).toThrow(
      'spec.rollout.on_failure: must be one of halt|revert, got "retry"',
    );
  });

  test('--unset-rollout drops the policy and refuses to be combined with a rollout flag', () => {
    expect(applySpecFlags(stored, { unsetRollout: true })).toEqual({ image: 'i:1' });
    expect(() => applySpecFlags(stored, { unsetRollout: true, wave: ['a'] })).toThrow(
      /^--unset-rollout: cannot be combined with --wave/,
    );
  });

  test('a policy field without waves, or an empty region in a wave, is refused naming the flag', () => {
    expect(() => applySpecFlags({ image: 'i:1' }, { onFailure: 'revert' })).toThrow(
      /^--on-failure: the endpoint has no rollout policy to change; name its waves too/,
    );
    expect(() => applySpecFlags({ image: 'i:1' }, { wave: ['a,,b'] })).toThrow(
      '--wave: expected comma-separated region names like us-east-1,eu-west-1, got "a,,b"',
    );
  });

  test('every wave region must be a target the write leaves, named by its place', () => {
    const spec = validateSpec(applySpecFlags(stored, {}));
    expect(() => validateWaveRegions(spec, ['a', 'b'])).not.toThrow();
    expect(() => validateWaveRegions(spec, ['a', 'c'])).toThrow(
      'spec.rollout.waves[1][0]: must be one of target_regions (a, c), got "b"',
    );
  });
});
