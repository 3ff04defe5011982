// The image runs the bundle (scripts/bundle.mjs → dist/bundle, through bin/inferctl.js). It must
// run the CLI as the sources do, load nothing but its own chunks, and keep the monitor away from
// the chunk that holds @kubernetes/client-node (docs/decisions/0006).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { bundle } from '../scripts/bundle.mjs';
import { moduleLog, monitorRefusingASetting } from '../test/helpers/module-log.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

describe('the bundle the image runs', { timeout: 60_000 }, () => {
  // Laid out as in the image: <root>/package.json and <root>/dist/bundle.
  const root = mkdtempSync(join(tmpdir(), 'inferctl-bundle-'));
  const out = join(root, 'dist', 'bundle');
  let clientNodeChunks: string[] = [];
  let inputs: string[] = [];

  beforeAll(async () => {
    copyFileSync(join(repo, 'package.json'), join(root, 'package.json'));
    const meta = await bundle(out);
    inputs = Object.keys(meta.inputs);
    clientNodeChunks = Object.entries(meta.outputs)
      .filter(([, o]) => Object.keys(o.inputs).some((i) => i.includes('@kubernetes/client-node')))
      .map(([file]) => pathToFileURL(join(repo, file)).href);
  }, 60_000);

  test('holds no simulator, demo or local-environment code', () => {
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs.filter((i) => i.startsWith('src/local/'))).toEqual([]);
  });

  test('prints the package version, as the sources do', async () => {
    const { stdout } = await run(process.execPath, [join(out, 'main.js'), '--version']);
    expect(stdout.trim()).toBe(version);
  });

  test('`monitor` loads only the bundle’s own chunks, and not the one holding client-node', async () => {
    // client-node is in the bundle (the CLI's other commands use it): else this checks nothing.
    expect(clientNodeChunks.length).toBeGreaterThan(0);
    const { register, modules } = moduleLog(mkdtempSync(join(tmpdir(), 'inferctl-bundle-modules-')));
    const failed = await monitorRefusingASetting(join(out, 'main.js'), register);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('RECONCILE_INTERVAL_SECONDS');
    const files = modules()
      .filter((m) => m.startsWith('file:') || m.startsWith('/'))
      .map((m) => (m.startsWith('/') ? pathToFileURL(m).href : m))
      .filter((m) => m !== pathToFileURL(register).href);
    const outUrl = pathToFileURL(out).href;
    expect(files.some((m) => /\/monitor-run-[^/]+\.js$/.test(m))).toBe(true);
    expect(files.filter((m) => !m.startsWith(`${outUrl}/`))).toEqual([]);
    expect(files.filter((m) => clientNodeChunks.includes(m))).toEqual([]);
  });
});
