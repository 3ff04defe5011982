// The benchmark at N = 20 (issue 5 allows a smoke run in the suite): keeps `npm run bench` working
// and checks what it reports, not how fast anything was. Real servers, started by the bench itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..');

test('npm run bench at N = 20, two rounds: every measurement taken, and an idle fleet costs no writes and no reads', async () => {
  const out = mkdtempSync(join(tmpdir(), 'inferctl-bench-smoke-'));
  const json = join(out, 'result.json');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'bench', 'run.ts'),
      '--endpoints',
      '20',
      '--regions',
      '1',
      '--changes',
      '5',
      '--diagnoses',
      '5',
      '--idle-seconds',
      '10',
      '--rounds',
      '2',
      '--timeout-minutes',
      '10',
      '--json',
      json,
    ],
    { cwd: repoRoot, env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, stderr.slice(-3000)).toBe(0);

  const r = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown> & {
    change_ms: { samples: number; p50: number; p99: number; max: number };
    idle: Record<string, number>;
    ready_to_running_ms: { samples: number };
    pod_to_status_ms: { samples: number; p50: number; max: number };
    cpu_s: Record<string, Record<string, number>>;
    kube_all_clients: Record<
      string,
      { by_resource: Record<string, number>; watch_events: Record<string, number> }
    >;
    rounds: { round: number; converge_over_limit_watched: number; cpu_converge_monitors: number }[];
    converge_over_limit_watched_median: number;
    calm_before: Record<string, { seconds: number; reached: boolean } | null>;
    converge_writes: {
      status_writes_per_pair: number;
      reapplies: number;
      event_creates_per_endpoint: number;
    };
  };
  for (const key of [
    'endpoints',
    'regions',
    'limit_s',
    'converge_s',
    'converge_over_limit',
    'limit_watched_s',
    'converge_over_limit_watched',
    'limit_ready_s',
    'limit_watched_ready_s',
    'converge_ready_s',
    'status_converge_s',
    'monitor_rss_mb',
  ]) {
    expect(Number.isFinite(r[key]), key).toBe(true);
    expect(r[key] as number, key).toBeGreaterThan(0);
  }
  expect(r.endpoints).toBe(20);
  // Two rounds of loop and convergence, the last one the round every other figure comes from; the
  // first round's fleet was removed, or the last round's would not have converged from empty.
  expect(r.rounds.map((x) => x.round)).toEqual([1, 2]);
  for (const x of r.rounds) {
    expect(x.converge_over_limit_watched).toBeGreaterThan(0);
    expect(x.cpu_converge_monitors).toBeGreaterThan(0);
  }
  expect(r.rounds[1]!.converge_over_limit_watched).toBe(r.converge_over_limit_watched);
  const ratios = r.rounds.map((x) => x.converge_over_limit_watched);
  expect(r.converge_over_limit_watched_median).toBe(Math.round(((ratios[0]! + ratios[1]!) / 2) * 100) / 100);
  expect(Object.keys(r.calm_before).sort()).toEqual(['converge', 'limit', 'limit_watched']);
  for (const c of Object.values(r.calm_before)) expect(c?.seconds).toBeGreaterThanOrEqual(3);
  expect(r.change_ms.samples).toBe(5);
  expect(r.change_ms.p50).toBeLessThanOrEqual(r.change_ms.max);
  expect(r.ready_to_running_ms.samples).toBe(20);
  // Writes while converging, counted by the servers: every pair's status written, applies counted.
  expect(r.converge_writes.status_writes_per_pair).toBeGreaterThanOrEqual(1);
  expect(Number.isInteger(r.converge_writes.reapplies)).toBe(true);
  // A first creation records no Event (ADR 0012); a count of 0 means the phase counted none.
  expect(r.converge_writes.event_creates_per_endpoint).toBe(0);
  // A crash loop patched into a pod's status reached its status item, for every pod broken.
  expect(r.pod_to_status_ms.samples).toBe(5);
  expect(r.pod_to_status_ms.p50).toBeLessThanOrEqual(r.pod_to_status_ms.max);
  // Idle, counted by the API server and the DynamoDB proxy: nothing but leases and heartbeats.
  expect(r.idle.k8s_writes).toBe(0);
  expect(r.idle.k8s_reads).toBe(0);
  expect(r.idle.k8s_watches).toBe(0);
  expect(r.idle.dynamodb_writes).toBe(0);
  expect(r.idle.k8s_lease_requests).toBeGreaterThan(0);
  expect(Object.keys(r.cpu_s)).toEqual([
    'limit',
    'limit_to_ready',
    'limit_watched',
    'converge',
    'converged_to_running',
    'idle',
  ]);
  expect(r.cpu_s.converge?.monitor).toBeGreaterThan(0);
  // Both loops and the convergence apply each of the 20 endpoints' objects once, counted by the
  // API server; while converging, the monitors' and the bench's watches receive the Deployments
  // on top of what the controllers' own watches receive during the bare loop.
  for (const phase of ['limit', 'limit_watched', 'converge'])
    expect(r.kube_all_clients[phase]?.by_resource['APPLY deployments'], phase).toBe(20);
  const deploymentEvents = (phase: string) => r.kube_all_clients[phase]?.watch_events.deployments ?? 0;
  expect(deploymentEvents('converge')).toBeGreaterThan(deploymentEvents('limit'));
}, 720_000);
