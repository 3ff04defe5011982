// `npm run demo`: three local regions with simulated GPU nodes, the local DynamoDB server, a
// monitor per region (two in us-east-1, to show leader election), the example endpoints deployed
// with the CLI, a canary, and the fleet's status until every region runs them; then a bad rollout
// halted by region waves (an image that crash-loops reaches the first wave only: `--wait` names
// the region and the cause and exits 5, that region goes back to the good generation) and the fix
// going through the waves. Then it stays in the foreground, watching the processes it started,
// until Ctrl-C (SIGINT) or SIGTERM, at any point, tears it all down. `--exit-when-ready` tears
// down as soon as everything runs.
import { spawn } from 'node:child_process';

// The SDK warns on stderr that future releases need Node 22; the demo's output stays readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { aggregatePhase } from '../model/index.js';
import { ensureTables, openStore } from '../store/index.js';
import { repoRoot } from './binaries.js';
import { defaultDir, down, trackedProcesses, trackProcess, up } from './env.js';
import { freePort, startDetached, stillRunning } from './processes.js';
import { LOCAL_REGIONS as REGIONS } from './regions.js';

const cli = join(repoRoot, 'bin', 'inferctl.js');

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: defaultDir },
    'log-dir': { type: 'string' },
    'exit-when-ready': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '300' },
  },
});
const dir = values.dir!;
// Outside `dir`, which the teardown removes: the monitors' logs are what explains a failed run.
const logDir = values['log-dir'] ?? `${dir}-logs`;
const say = (line: string) => process.stderr.write(`${line}\n`);

/** The exit code `--wait` gives for a terminal cause or a halted rollout (docs/cli.md). */
const EXIT_BLOCKED = 5;

function inferctl(
  env: NodeJS.ProcessEnv,
  args: string[],
  { capture = false, exitCode = 0 }: { capture?: boolean; exitCode?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === exitCode
        ? resolve(out)
        : reject(new Error(`inferctl ${args.join(' ')} exited with ${code}, expected ${exitCode}`)),
    );
  });
}

// Ctrl-C reaches every process of the terminal's foreground group: this one, npm above it, a
// running `inferctl`; not the servers and monitors, which were started detached. So this process
// must outlive the signal long enough to stop them. That is why `npm run demo` runs
// `node --import tsx` and not the tsx command: tsx relays a signal to its child and SIGKILLs the
// child if it has not acknowledged the signal within about 60 ms, which on a busy machine cut the
// teardown short and left three kube-apiservers running (session 12).
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    // A second Ctrl-C must not kill the teardown half-way: that is what leaves servers behind.
    if (interrupted.signal.aborted) return say(`${signal}: already stopping, please wait`);
    say(`\n${signal}: stopping`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  });

async function main(): Promise<void> {
  const started = Date.now();
  say(
    'inferctl demo: starting three local regions (kube-apiserver, etcd, controllers, simulated GPU nodes) and DynamoDB',
  );
  const { env, envPath } = await up({ regions: REGIONS, dir, nodes: true });
  interrupted.signal.throwIfAborted();
  const cliEnv = {
    DYNAMODB_ENDPOINT: env.dynamodb.endpoint,
    DYNAMODB_REGION: 'us-east-1',
    INFERCTL_POLL_MS: '1000',
  };
  await inferctl(cliEnv, ['init']);

  const monitors: { region: string; identity: string; health: number }[] = [];
  mkdirSync(logDir, { recursive: true });
  for (const region of REGIONS) {
    const replicas = region === 'us-east-1' ? 2 : 1;
    for (let i = 1; i <= replicas; i++) {
      const identity = `monitor-${region}-${i}`;
      const health = await freePort();
      const metrics = await freePort();
      const proc = startDetached(
        identity,
        process.execPath,
        [cli, 'monitor'],
        join(logDir, `${identity}.log`),
        {
          NODE_NO_WARNINGS: '1',
          REGION: region,
          CLUSTER_NAME: `demo-${region}`,
          KUBECONFIG: env.regions[region]!.kubeconfig,
          ...cliEnv,
          HOSTNAME: identity,
          HEALTH_PORT: String(health),
          METRICS_PORT: String(metrics),
          HEARTBEAT_INTERVAL_SECONDS: '10',
          MODEL_SYNC_IMAGE: 'amazon/aws-cli:2.22.0',
        },
      );
      trackProcess(dir, proc);
      monitors.push({ region, identity, health: metrics });
    }
  }
  say(
    `monitors: ${monitors.map((m) => `${m.identity} (metrics http://127.0.0.1:${m.health}/metrics)`).join(', ')}`,
  );
  say(`monitor logs: ${logDir}/<monitor>.log (kept after the demo stops)`);

  const { store, clients } = openStore({
    tables: { endpoints: 'gco-inference-endpoints', status: 'gco-inference-endpoint-status' },
    endpoint: env.dynamodb.endpoint,
    region: 'us-east-1',
  });
  try {
    await ensureTables(clients.dynamodb, store.tables);
    const deadline = Date.now() + Number(values['timeout-seconds']) * 1000;
    const until = async (what: string, check: () => Promise<boolean>) => {
      while (!(await check())) {
        if (Date.now() > deadline)
          throw new Error(`demo: timed out waiting for ${what}; monitor logs are in ${logDir}`);
        await sleep(500, undefined, { signal: interrupted.signal });
      }
    };
    await until(
      'every region to heartbeat',
      async () => (await store.listRegions()).filter((r) => r.alive).length === REGIONS.length,
    );
    await inferctl(cliEnv, ['regions']);

    const examples = readdirSync(join(repoRoot, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    for (const file of examples) await inferctl(cliEnv, ['deploy', '-f', join(repoRoot, 'examples', file)]);
    await inferctl(cliEnv, ['canary', 'llama3-8b', '-i', 'vllm/vllm-openai:v0.9.1', '--weight', '10']);

    say('\nwaiting until every endpoint runs in every target region (the table below refreshes):');
    let last = '';
    await until('every endpoint to run everywhere', async () => {
      const { endpoints } = await store.listEndpoints();
      const statuses = await store.listAllStatus();
      const everyoneRuns =
        endpoints.length === examples.length &&
        endpoints.every(
          (e) =>
            aggregatePhase(
              e,
              statuses.filter((s) => s.endpointName === e.name),
            ).phase === 'running',
        );
      // The table is read after the check, so the last one printed shows at least what the check
      // saw: read before it, a status written in between ended the wait under a table that still
      // said "deploying".
      const table = await inferctl(cliEnv, ['list'], { capture: true });
      if (table !== last) {
        process.stdout.write(`\n${new Date().toISOString()}\n${table}`);
        last = table;
      }
      return everyoneRuns;
    });
    await inferctl(cliEnv, ['status', 'llama3-8b']);
    say(
      `\nall endpoints running in every target region, ${((Date.now() - started) / 1000).toFixed(0)} s after start.`,
    );
    await haltedRollout(cliEnv);
  } finally {
    clients.destroy();
  }

  if (values['exit-when-ready']) return;
  say(`
Try next (in another terminal):
  export DYNAMODB_ENDPOINT=${env.dynamodb.endpoint} DYNAMODB_REGION=us-east-1
  alias inferctl=${cli}
  inferctl list
  inferctl status llama3-8b --watch
  inferctl scale llama3-8b --replicas 3
  inferctl canary qwen-tgi -i ghcr.io/huggingface/text-generation-inference:3.3.5 --weight 20
  inferctl promote llama3-8b --yes        # the canary's image becomes the primary's
  inferctl rollback qwen-tgi --yes        # drop the canary, plain routing again
  inferctl stop embeddings --yes && inferctl start embeddings
  inferctl render llama3-8b -r eu-west-1  # exactly what the monitor applies there
  inferctl delete mistral-neuron --yes
  inferctl history chat                   # every generation, the halted one included
  inferctl update chat --bake-seconds 30 --wait   # watch the waves again
Kubeconfigs: ${envPath}; monitor logs: ${logDir}
Press Ctrl-C to stop everything.`);
  await watchUntilInterrupted();
}

/**
 * Region waves (examples/staged-rollout.yaml: us-east-1, then eu-west-1 and ap-northeast-1; a
 * 10 s bake; on failure revert). An image that crash-loops (the simulated kubelet's
 * `simulate-crashloop` marker) halts the rollout in us-east-1 once the crash loop is terminal (3
 * restarts, about 15 s): `--wait` prints the cause, names the halt and exits 5; us-east-1 goes back
 * to generation 1 and the later waves never run the bad image. A good image then goes through the
 * waves, `--wait` printing each gate.
 */
async function haltedRollout(cliEnv: NodeJS.ProcessEnv): Promise<void> {
  const run = async (args: string[], exitCode = 0) => {
    say(`\n$ inferctl ${args.join(' ')}`);
    await inferctl(cliEnv, args, { exitCode });
  };
  say('\na bad rollout, halted: chat rolls out in waves; an image that crash-loops reaches us-east-1 only');
  await run(
    ['update-image', 'chat', '-i', 'vllm/vllm-openai:simulate-crashloop', '--wait', '--timeout', '3m'],
    EXIT_BLOCKED,
  );
  await run(['status', 'chat']);
  say('\nthe fix: a good image, through the waves (a new generation resumes a halted rollout)');
  await run(['update-image', 'chat', '-i', 'vllm/vllm-openai:v0.9.1', '--wait', '--timeout', '3m']);
  await run(['status', 'chat']);
}

/**
 * Stays in the foreground until Ctrl-C. The pending timer is what keeps Node running: a promise
 * that only signal listeners settle holds nothing open, and Node would exit at once, leaving the
 * detached servers behind. Meanwhile it says so when a process it started dies.
 */
async function watchUntilInterrupted(): Promise<void> {
  const reported = new Set<number>();
  while (!interrupted.signal.aborted) {
    const processes = trackedProcesses(dir);
    const running = new Set(stillRunning(processes.map((p) => p.pid)));
    for (const p of processes)
      if (!running.has(p.pid) && !reported.has(p.pid)) {
        reported.add(p.pid);
        say(`${p.name} (pid ${p.pid}) exited; its log: ${p.log}`);
      }
    await sleep(2000, undefined, { signal: interrupted.signal }).catch(() => {});
  }
}

main()
  .catch((err: unknown) => {
    // Interrupted while starting: the teardown below is the answer, not an error of its own.
    if (interrupted.signal.aborted) process.exitCode = 130;
    else {
      say(`demo: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  })
  .finally(async () => {
    say('tearing down…');
    await down(dir);
    say(`stopped. Monitor logs: ${logDir}`);
  });
