// Every file in the repository that is written by code rather than by hand, and its generator.
//
//   npm run generate   # rewrite them all
//   npm run verify     # exit 1, naming each stale file, if any differs from what its generator
//                      # renders now (part of `npm test`)
//
// Only deterministic outputs belong here: the same tree always renders the same bytes. (The
// benchmark figure bench/results/cost-by-n.png is drawn from measurements with matplotlib; it is
// not regenerated.)
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { outputJsonSchema } from '../src/cli/views.js';
import { REPO_ROOT, renderDeployRbac } from './gen-deploy-rbac.js';

interface Generated {
  /** Relative to the repository root. */
  readonly path: string;
  /** What the file is rendered from, for the stale message. */
  readonly source: string;
  readonly render: () => string;
}

export const GENERATED: readonly Generated[] = [
  { path: 'deploy/base/rbac.yaml', source: 'src/kube/permissions.ts', render: () => renderDeployRbac() },
  {
    path: 'docs/cli-output.schema.json',
    source: 'src/cli/views.ts',
    render: () => `${JSON.stringify(outputJsonSchema(), null, 2)}\n`,
  },
];

/** The generated files under `root` whose content differs from what their generator renders. */
export function staleFiles(root: string = REPO_ROOT): Generated[] {
  return GENERATED.filter((g) => {
    try {
      return readFileSync(join(root, g.path), 'utf8') !== g.render();
    } catch {
      return true; // missing
    }
  });
}

function main(mode: string | undefined): void {
  if (mode === '--check') {
    const stale = staleFiles();
    for (const g of stale)
      process.stderr.write(`${g.path} is stale (generated from ${g.source}): run npm run generate\n`);
    if (stale.length > 0) process.exitCode = 1;
    else process.stderr.write(`${GENERATED.length} generated file(s) up to date\n`);
    return;
  }
  if (mode !== undefined) throw new Error(`unknown argument ${mode}; expected nothing or --check`);
  for (const g of GENERATED) {
    writeFileSync(join(REPO_ROOT, g.path), g.render());
    process.stderr.write(`wrote ${g.path}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  main(process.argv[2]);
