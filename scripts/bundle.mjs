// Bundles the CLI (and so the monitor) into dist/bundle: what the image runs (bin/inferctl.js).
// Why (BENCHMARKS.md, issue 15): Node keeps every loaded module's source text, module record and
// wrapper; one tree-shaken, minified graph per entry instead of ~1 000 files loads only the code
// the monitor reaches (the AWS SDK's XML builder, which DynamoDB's JSON protocol never uses, goes)
// and costs about 8 MB less RSS at start, with no CPU traded. Chunks split at the CLI's dynamic
// imports, so `inferctl list` still never loads the monitor and the monitor never loads
// @kubernetes/client-node (docs/decisions/0006) unless a kubeconfig needs it.
//
//   node scripts/bundle.mjs [OUTDIR]     (default dist/bundle)
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes the bundle into `outdir` (replacing it); resolves with esbuild's metafile. */
export async function bundle(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Whitespace and syntax only: identifiers keep their names, so a stack trace in a log still
    // reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // Two levels below the root, like src/cli: package.json is found at ../../package.json.
    outbase: join(root, 'src', 'cli'),
    // CommonJS packages inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __inferctlRequire } from 'node:module'; const require = __inferctlRequire(import.meta.url);",
    },
    logLevel: 'warning',
    legalComments: 'none',
    metafile: true,
  });
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await bundle(resolve(process.argv[2] ?? join(root, 'dist', 'bundle')));
