#!/usr/bin/env node
// In a checkout (src/ present) the TypeScript sources run through tsx, so what runs is always
// what is in the tree, never a stale build; set INFERCTL_DIST=1 to run the build in dist/
// instead. An image or package that ships only dist/ runs that.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Node 22.1+ keeps compiled bytecode of the modules it loads on disk, so a warm `inferctl list`
// spends less of its start parsing the AWS SDK; Node 20 has no such cache and skips this.
module.enableCompileCache?.();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'src', 'cli', 'main.ts');
// The bundle (scripts/bundle.mjs) when the build made one: it loads less code (BENCHMARKS.md).
const bundled = join(root, 'dist', 'bundle', 'main.js');
const compiled = existsSync(bundled) ? bundled : join(root, 'dist', 'cli', 'main.js');
if (existsSync(sources) && process.env.INFERCTL_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(sources).href);
} else {
  await import(pathToFileURL(compiled).href);
}
