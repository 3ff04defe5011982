import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './binaries.js';
import { LOCAL_REGIONS } from './regions.js';

describe('the local regions', () => {
  it('cover every region an example targets, so an example deployed locally finds its monitors', () => {
    const files = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const spec = parse(readFileSync(join(repoRoot, 'examples', file), 'utf8')) as {
        target_regions?: string[];
      };
      expect(spec.target_regions, file).toBeDefined();
      for (const region of spec.target_regions!)
        expect(LOCAL_REGIONS, `${file}: ${region}`).toContain(region);
    }
  });

  it('are the README tour regions: a monitor is started in each of them', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const tour = readme.slice(readme.indexOf('## A 5-minute tour'), readme.indexOf('## How it works'));
    expect(tour).toContain('npm run local -- up ');
    expect(tour).not.toContain('--regions');
    expect(/for r in ([\w\s-]+); do/.exec(tour)?.[1]?.trim().split(/\s+/)).toEqual([...LOCAL_REGIONS]);
  });
});
