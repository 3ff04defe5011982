// The README's first command, the way a person runs it: `npm run demo` in the foreground brings up
// three regions, deploys the examples and a canary, waits until every region runs them, shows a
// bad rollout halted by region waves and a good one going through them, and stays until Ctrl-C;
// Ctrl-C (SIGINT to the terminal's foreground process group) then stops every process it started.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { stillRunning } from '../../src/local/processes.js';
import { waitFor } from '../helpers/wait.js';

const repoRoot = join(import.meta.dirname, '..', '..');

test('npm run demo runs every example everywhere, halts a crash-looping rollout in its first wave and rolls a good one through the waves, stays in the foreground, and Ctrl-C leaves no process behind', async () => {
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
        // Under a loaded machine the whole demo (fleet, canary, the halted and the good rollout)
        // took six minutes; the first run also builds the servers, which the suite does before.
        600_000,
      ),
    );
    expect(stderr).toContain('all endpoints running in every target region');
    expect(stderr).toContain(`monitor logs: ${logDir}`);
    // The last table the demo printed shows every example endpoint running.
    const lastTable = stdout.slice(stdout.lastIndexOf('NAME'));
    for (const name of ['chat', 'embeddings', 'llama3-8b', 'mistral-neuron', 'qwen-tgi'])
      expect(lastTable).toMatch(new RegExp(`^${name} +running `, 'm'));
    // The halted rollout: --wait prints the cause, then names the halt and gives up (exit 5, which
    // the demo checks); us-east-1 went back to generation 1, and the later waves never ran 2.
    expect(stderr).toMatch(
      /chat us-east-1: CrashLooping( \(terminal\))?, 1 pod since \S+: container "inference" failed/,
    );
    expect(stderr).toMatch(
      /error: chat: rollout of generation 2 halted in us-east-1: CrashLooping: .*\(reverted to generation 1\)/,
    );
    const first = stdout.indexOf('Endpoint:   chat');
    const halted = stdout.slice(first, stdout.indexOf('Endpoint:   chat', first + 1));
    expect(halted).toMatch(/^State: +halted$/m);
    expect(halted).toMatch(
      /^Rollout: +us-east-1 → eu-west-1, ap-northeast-1; bake 10 s; on failure revert;/m,
    );
    expect(halted).toMatch(/^us-east-1 .* halted here: CrashLooping: .*; reverted to generation 1$/m);
    for (const region of ['eu-west-1', 'ap-northeast-1'])
      expect(halted).toMatch(
        new RegExp(
          `^${region} .* serving generation 1, 1/1 replicas ready; halted: us-east-1 CrashLooping$`,
          'm',
        ),
      );
    // The fix goes through the waves: the later regions wait for us-east-1's bake, then all run it.
    expect(stderr).toContain('chat eu-west-1: waiting for us-east-1 (baking, ');
    expect(stderr).toContain('chat: generation 3 ready in every target region');
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
}, 720_000);
