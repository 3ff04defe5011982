// The hack/ scripts name a missing prerequisite in one line instead of failing somewhere inside.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A PATH with only the basic tools the scripts use, and not the one under test. */
function pathWithout(missing: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'inferctl-path-'));
  for (const tool of ['bash', 'cat', 'sha256sum', 'cut', 'tr', 'dirname', 'date', 'mkdir', 'rm', 'mv']) {
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
