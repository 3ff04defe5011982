import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readFileInput, validateRegions, validateSpec, validateWaveRegions } from './spec-input.js';

const dir = join(import.meta.dirname, '..', '..', 'examples');

// What `deploy -f` / `apply -f` check before writing, short of the store: a file in examples/
// that a reader copies must pass them (strict keys included).
test.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))(
  'examples/%s passes the checks of apply -f',
  (f) => {
    const file = readFileInput(join(dir, f));
    expect(file.name).toBeDefined();
    const spec = validateSpec({ ...file.spec });
    validateWaveRegions(spec, validateRegions(file.targetRegions ?? []));
  },
);

test('an example shows a rollout policy', () => {
  const policies = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileInput(join(dir, f)).spec.rollout);
  expect(policies.some((p) => p !== undefined)).toBe(true);
});
