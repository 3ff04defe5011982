// The README's first command, the way a person runs it: `npm run demo` in the foreground brings up
// three regions, deploys the examples and a canary, waits until every region runs them, shows a
// crash loop diagnosed and fixed, and stays until Ctrl-C; Ctrl-C (SIGINT to the terminal's
// foreground process group) then stops every process it started.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { stillRunning } from '../../src/local/processes.js';
import { waitFor } from '../helpers/wait.js';

const repoRoot = join(import.meta.dirname, '..', '..');

test('npm run demo runs every example everywhere, diagnoses a crash loop and fixes it, stays in the foreground, and Ctrl-C leaves no process behind', async () => {
  const base = mkdtempSync(join(tmpdir(), 'inferctl-demo-'));
  const dir = join(base, 'local');
  const logDir = join(base, 'logs');
  // detached: its own process group, as a shell gives a foreground job, so the test can signal
  // the whole group the way a terminal's Ctrl-C does.
  const child = spawn(
    'npm',
    ['run', '--silent', 'demo', '--', '--dir', dir, '--log-dir', logDir, '--timeout-seconds', '240'],
    { cwd: repoRoot, detached: true, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const unlessExited = <T>(waiting: Promise<T>) =>
    Promise.race([
      waiting,
      exited.then(({ code, signal }) => {
        throw new Error(`the demo exited (${code ?? signal}) too early:\n${stderr.slice(-3000)}`);
      }),
    ]);

  try {
    await unlessExited(
      waitFor(
        'the demo to say it is ready',
        () => stderr.includes('Press Ctrl-C to stop everything.'),
        330_000,
      ),
    );
    expect(stderr).toContain('all endpoints running in every target region');
    expect(stderr).toContain(`monitor logs: ${logDir}`);
    // The last table the demo printed shows every example endpoint running.
    const lastTable = stdout.slice(stdout.lastIndexOf('NAME'));
    for (const name of ['embeddings', 'llama3-8b', 'mistral-neuron', 'qwen-tgi'])
      expect(lastTable).toMatch(new RegExp(`^${name} +running `, 'm'));
    // The diagnosed failure: --wait names the crash loop and gives up (exit 5, which the demo
    // checks); status shows the cause; a good image clears it and the endpoint runs.
    expect(stderr).toMatch(
      /error: broken: us-east-1: CrashLooping \(terminal\), 1 pod since \S+: container "inference" failed with exit code 1/,
    );
    expect(stdout).toMatch(/^us-east-1 .* no +(\S+ replicas ready; )?CrashLooping \(terminal\)/m);
    expect(stderr).toContain('broken: generation 2 ready in every target region');
    expect(stdout.slice(stdout.lastIndexOf('Endpoint:'))).toMatch(/^State: +running$/m);

    const started = (
      JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
        processes: { name: string; pid: number }[];
      }
    ).processes;
    const monitors = started.filter((p) => p.name.startsWith('monitor-'));
    expect(monitors).toHaveLength(4);
    expect(readdirSync(logDir).sort()).toEqual(monitors.map((m) => `${m.name}.log`).sort());

    // Still in the foreground, watching what it started: a monitor that dies is reported.
    const victim = monitors[monitors.length - 1]!;
    process.kill(-victim.pid, 'SIGKILL');
    await unlessExited(
      waitFor(`the demo to report that ${victim.name} exited`, () =>
        stderr.includes(`${victim.name} (pid ${victim.pid}) exited`),
      ),
    );

    process.kill(-child.pid!, 'SIGINT');
    // The demo exits 0; npm, having waited for it, then ends itself by the signal it got, as a
    // shell expects of a job stopped with Ctrl-C.
    expect(await exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(stderr).toContain('tearing down');
    expect(stderr).toContain('stopped.');
    // Every server, simulator and monitor, each with its process group, and the demo's own group.
    expect(stillRunning([...started.map((p) => p.pid), child.pid!])).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(logDir)).toHaveLength(monitors.length);
  } finally {
    // A failed assertion above must not leave the demo's servers behind.
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGINT');
      await exited;
    }
  }
}, 420_000);
