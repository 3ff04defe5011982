// How `local down` (and every teardown) stops what it started: whole process groups, a process
// that ignores SIGTERM included, and nothing else.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startDetached, stillRunning, stopProcesses } from '../../src/local/processes.js';

test('stopProcesses stops every group, its children and a process deaf to SIGTERM, and leaves others alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferctl-processes-'));
  const start = (name: string, script: string) =>
    startDetached(name, 'bash', ['-c', script], join(dir, `${name}.log`));
  // A leader with a child of its own in its group, as moto and tsx have.
  const parent = start('parent', 'sleep 600 & wait');
  // Ignores SIGTERM, as a kube-apiserver does for seconds while its etcd goes away.
  const deaf = start('deaf', 'trap "" TERM; sleep 600 & wait; sleep 600');
  const bystander = start('bystander', 'sleep 600');
  try {
    expect(stillRunning([parent.pid, deaf.pid, bystander.pid])).toEqual([
      parent.pid,
      deaf.pid,
      bystander.pid,
    ]);
    await stopProcesses([parent.pid, deaf.pid], 500);
    expect(stillRunning([parent.pid, deaf.pid])).toEqual([]);
    expect(stillRunning([bystander.pid])).toEqual([bystander.pid]);
  } finally {
    await stopProcesses([parent.pid, deaf.pid, bystander.pid], 500);
  }
});
