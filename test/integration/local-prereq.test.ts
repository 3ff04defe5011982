// The hack/ scripts name a missing prerequisite in one line instead of failing somewhere inside,
// and take turns when two runs install the same cache entry.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { waitFor } from '../helpers/wait.js';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A PATH with only the basic tools the scripts use, and not the one under test. */
function pathWithout(missing: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'inferctl-path-'));
  for (const tool of [
    'bash',
    'cat',
    'sha256sum',
    'cut',
    'tr',
    'dirname',
    'date',
    'mkdir',
    'rm',
    'mv',
    'sed',
    'flock',
  ]) {
    if (tool === missing) continue;
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

test.each([
  ['build-kube.sh', 'go', "inferctl: missing prerequisite 'go': install Go 1.26 or newer"],
  ['install-dynamodb.sh', 'python3', "inferctl: missing prerequisite 'python3': install Python 3.9 or newer"],
])('hack/%s without %s fails with one line saying what to install', (script, tool, message) => {
  const r = spawnSync(join(pathWithout(tool), 'bash'), [join(repoRoot, 'hack', script)], {
    encoding: 'utf8',
    env: {
      PATH: pathWithout(tool),
      HOME: process.env.HOME ?? '/root',
      INFERCTL_CACHE: mkdtempSync(join(tmpdir(), 'inferctl-cache-')),
    },
  });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(message);
});

test('a second install of the same cache entry waits for the first and then uses what it installed', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'inferctl-cache-'));
  const pinned = (name: string) => readFileSync(join(repoRoot, 'hack', 'dynamodb', name), 'utf8').trim();
  const key = `moto-${pinned('moto.version')}-cheroot-${pinned('cheroot.version')}`;
  const entry = join(cache, key);
  // The first run, mid-install: it holds the entry's lock, and the entry has no stamp yet.
  const first = spawn('flock', [join(cache, `${key}.lock`), 'cat'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await waitFor(
    'the first run to hold the lock',
    () => spawnSync('flock', ['-n', join(cache, `${key}.lock`), 'true']).status === 1,
  );
  const second = spawn('bash', [join(repoRoot, 'hack', 'install-dynamodb.sh')], {
    env: { ...process.env, INFERCTL_CACHE: cache },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  second.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  second.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => second.on('exit', resolve));
  await waitFor('the second run to say it waits', () => stderr.includes('another run is installing'));
  expect(second.exitCode).toBeNull();
  // The first run completes the entry and releases the lock.
  mkdirSync(join(entry, 'venv', 'bin'), { recursive: true });
  writeFileSync(join(entry, 'venv', 'bin', 'moto_server'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(entry, '.complete'), 'installed by the first run\n');
  first.stdin.end();
  expect(await exited).toBe(0);
  expect(stdout.trim()).toBe(join(entry, 'venv', 'bin', 'moto_server'));
  expect(stderr).not.toContain('installing the local DynamoDB server');
});
