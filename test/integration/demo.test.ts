// The README's first command, end to end: `npm run demo` brings up three regions, deploys the
// examples and a canary, waits until every region runs them, and (with --exit-when-ready) tears
// everything down again.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..');

test('the demo reaches "every endpoint running in every target region" and cleans up after itself', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'inferctl-demo-')), 'local');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src', 'local', 'demo.ts'),
      '--dir',
      dir,
      '--exit-when-ready',
      '--timeout-seconds',
      '240',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, stderr.slice(-3000)).toBe(0);
  expect(stderr).toContain('all endpoints running in every target region');
  // The last table the demo printed shows every example endpoint running.
  const lastTable = stdout.slice(stdout.lastIndexOf('NAME'));
  for (const name of ['embeddings', 'llama3-8b', 'mistral-neuron', 'qwen-tgi']) {
    expect(lastTable).toMatch(new RegExp(`${name}\\s+\\S+\\s+running`));
  }
  expect(stderr).toContain('stopped.');
  expect(existsSync(dir)).toBe(false);
}, 360_000);
