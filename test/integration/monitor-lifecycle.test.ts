// The monitor's process lifecycle and error handling: `--once` for scripts, a SIGTERM that
// finishes in-flight work, releases the lease and exits 0, and an apply the server rejects.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { metric } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const REGION = 'life-1';
const handle = useLocalEnv({ regions: [REGION] });
let ts: TestStore;
const repoRoot = join(import.meta.dirname, '..', '..');

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
});
afterAll(() => ts?.clients.destroy());

/** Runs `inferctl monitor ARGS` to its exit (the SIGTERM path is startMonitor's). */
function runMonitor(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; output: string; stderr: string }> {
  const region = handle.env.regions[REGION]!;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'inferctl.js'), 'monitor', ...args], {
    env: {
      ...process.env,
      NODE_NO_WARNINGS: '1',
      REGION,
      KUBECONFIG: region.kubeconfig,
      DYNAMODB_ENDPOINT: handle.env.dynamodb.endpoint,
      DYNAMODB_REGION: 'us-east-1',
      INFERENCE_ENDPOINTS_TABLE_NAME: ts.tables.endpoints,
      INFERENCE_STATUS_TABLE_NAME: ts.tables.status,
      HOSTNAME: 'once-runner',
      METRICS_PORT: '0',
      HEALTH_PORT: '0',
      LEASE_DURATION_SECONDS: '4',
      RENEW_DEADLINE_SECONDS: '3',
      RETRY_PERIOD_SECONDS: '0.5',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output, stderr })));
}

const runOnce = () => runMonitor(['--once']);

const quickLease = { LEASE_DURATION_SECONDS: '4', RENEW_DEADLINE_SECONDS: '3', RETRY_PERIOD_SECONDS: '0.5' };

/** A monitor of this file's region and tables (startMonitor: a real process, stopped with SIGTERM). */
const monitorHere = (options: { identity?: string; extraEnv?: Record<string, string> } = {}) =>
  startMonitor({
    env: handle.env,
    region: REGION,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    ...options,
  });

const lease = async () =>
  (await cluster(handle.env.regions[REGION]!.kubeconfig).read(
    'Lease',
    'inference-monitor-leader',
  )) as unknown as { spec?: { holderIdentity?: string } } | undefined;

test('--once applies every endpoint in one pass, writes their status, releases the lease and exits 0', async () => {
  for (const name of ['one', 'two']) {
    await ts.store.createEndpoint({
      name,
      spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0' }),
      targetRegions: [REGION],
      namespace: 'gco-inference',
    });
  }
  const { code, output } = await runOnce();
  expect(code, output).toBe(0);
  const c = cluster(handle.env.regions[REGION]!.kubeconfig);
  for (const name of ['one', 'two']) {
    expect(await c.read('Deployment', name)).toBeDefined();
    expect((await ts.store.listStatus(name))[0]).toMatchObject({ region: REGION, observedGeneration: 1 });
  }
  expect((await lease())?.spec?.holderIdentity ?? '').toBe('');
});

test('--once refuses to run while another monitor leads, and says so', async () => {
  const leader = await monitorHere({ extraEnv: quickLease });
  try {
    await waitFor(
      'the monitor to lead',
      async () => ((await lease())?.spec?.holderIdentity === leader.identity ? true : undefined),
      30_000,
    );
    const { code, output } = await runOnce();
    expect(code).toBe(1);
    expect(output).toContain(`another monitor holds the lease (${leader.identity})`);
  } finally {
    await leader.stop();
  }
});

test('SIGTERM: the leader exits 0 within seconds and releases the lease for a successor', async () => {
  const m = await monitorHere();
  await waitFor(
    'the monitor to lead',
    async () => ((await lease())?.spec?.holderIdentity === m.identity ? true : undefined),
    30_000,
  );
  const exited = new Promise<number | null>((resolve) => m.child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  m.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(15_000);
  expect((await lease())?.spec?.holderIdentity ?? '').toBe('');
});

test('an apply the API server rejects gives that endpoint an error status and is retried until it succeeds; others carry on', async () => {
  const c = cluster(handle.env.regions[REGION]!.kubeconfig);
  // An admission policy that refuses every HPA: a real rejection by the API server.
  const vap = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
  const binding = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
  const post = (path: string, body: unknown, query?: Record<string, string>) =>
    c.client.send({
      method: 'POST',
      path,
      body,
      contentType: 'application/json',
      verb: 'create',
      ...(query ? { query } : {}),
    });
  await post(vap, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'deny-hpa' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ['autoscaling'],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['horizontalpodautoscalers'],
          },
        ],
      },
      validations: [
        { expression: 'false', message: 'HorizontalPodAutoscalers are refused here (test policy)' },
      ],
    },
  });
  await post(binding, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'deny-hpa' },
    spec: { policyName: 'deny-hpa', validationActions: ['Deny'] },
  });
  const probeHpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'probe' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' },
      minReplicas: 1,
      maxReplicas: 2,
    },
  };
  // Policies load asynchronously: wait until the server really refuses (a dry run writes nothing).
  await waitFor(
    'the admission policy to take effect',
    () =>
      post('/apis/autoscaling/v2/namespaces/gco-inference/horizontalpodautoscalers', probeHpa, {
        dryRun: 'All',
      }).then(
        () => undefined,
        () => true,
      ),
    30_000,
  );

  const m = await monitorHere();
  try {
    const rec = await ts.store.createEndpoint({
      name: 'scaled',
      spec: parseSpecOrThrow({
        image: 'vllm/vllm-openai:v0.9.0',
        autoscaling: { enabled: true, min_replicas: 1, max_replicas: 4 },
      }),
      targetRegions: [REGION],
      namespace: 'gco-inference',
    });
    const failed = await waitFor(
      'scaled to report an error',
      async () => {
        const s = (await ts.store.listStatus('scaled'))[0];
        return s?.state === 'error' ? s : undefined;
      },
      60_000,
    );
    expect(failed.error).toMatch(
      /HorizontalPodAutoscaler gco-inference\/scaled: .*refused here \(test policy\)/,
    );
    expect(failed.observedGeneration).toBeLessThan(rec.generation);
    const plain = await ts.store.createEndpoint({
      name: 'plain',
      spec: parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0' }),
      targetRegions: [REGION],
      namespace: 'gco-inference',
    });
    await waitFor(
      'plain to be applied',
      async () =>
        (await ts.store.listStatus('plain'))[0]?.observedGeneration === plain.generation ? true : undefined,
      60_000,
    );

    await c.client.send({ method: 'DELETE', path: `${binding}/deny-hpa`, verb: 'delete' });
    const recovered = await waitFor(
      'scaled to recover by retrying',
      async () => {
        const s = (await ts.store.listStatus('scaled'))[0];
        return s && s.state !== 'error' && s.observedGeneration === rec.generation ? s : undefined;
      },
      90_000,
    );
    expect(recovered.error).toBeUndefined();
    expect(await c.read('HorizontalPodAutoscaler', 'scaled')).toBeDefined();
  } finally {
    await m.stop();
  }
});

test('two monitors on one host (same HOSTNAME, default identity): exactly one leads, and the one that exits leaves the lease to it', async () => {
  // No explicit identity: each takes HOSTNAME plus its own suffix.
  const sameHost = { ...quickLease, HOSTNAME: 'shared-host', MONITOR_IDENTITY: '' };
  const pair: MonitorProcess[] = [];
  try {
    // `identity` names only the log file here: MONITOR_IDENTITY is cleared.
    for (const identity of ['host-twin-a', 'host-twin-b'])
      pair.push(await monitorHere({ identity, extraEnv: sameHost }));
    const leading = async () =>
      Promise.all(pair.map(async (m) => (await metric(m, 'inferctl_leader')) === 1));
    const leaderIndex = await waitFor(
      'one of the two to lead',
      async () => {
        const flags = await leading();
        return flags.filter(Boolean).length === 1 ? flags.indexOf(true) : undefined;
      },
      30_000,
    );
    const leader = pair[leaderIndex]!;
    const other = pair[1 - leaderIndex]!;
    const holder = (await lease())?.spec?.holderIdentity ?? '';
    expect(holder).toMatch(/^shared-host_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Over two lease durations (several renewals), never two leaders.
    const leaderCounts = new Set<number>();
    const until = Date.now() + 8_000;
    await waitFor(
      'two lease durations to pass',
      async () => {
        leaderCounts.add((await leading()).filter(Boolean).length);
        return Date.now() > until ? true : undefined;
      },
      20_000,
    );
    expect([...leaderCounts]).toEqual([1]);

    await other.stop();
    // The exiting standby released nothing: the lease stays the leader's, and the leader renews it.
    type LeaseView = { spec?: { holderIdentity?: string; renewTime?: string } };
    const holders = new Set<string>();
    const renewedBefore = ((await lease()) as LeaseView | undefined)?.spec?.renewTime;
    await waitFor(
      'the leader to renew after the standby exited',
      async () => {
        const now = (await lease()) as LeaseView | undefined;
        holders.add(now?.spec?.holderIdentity ?? '');
        return now?.spec?.renewTime !== renewedBefore ? true : undefined;
      },
      20_000,
    );
    expect([...holders]).toEqual([holder]);
    expect(await metric(leader, 'inferctl_leader')).toBe(1);
  } finally {
    for (const m of pair) await m.stop();
  }
});

test('SIGTERM withdraws the heartbeat: the region stays listed, not alive, with withdrawnAt; it carried namespaces and version', async () => {
  const m = await monitorHere({ extraEnv: quickLease });
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version as string;
  const beat = await waitFor(
    'the monitor to send its heartbeat',
    async () => {
      const r = (await ts.store.listRegions()).find((x) => x.region === REGION);
      return r?.identity === m.identity && r.alive ? r : undefined;
    },
    30_000,
  );
  expect(beat).toMatchObject({ allowedNamespaces: ['gco-inference'], version });
  expect(beat.withdrawnAt).toBeUndefined();
  const exited = new Promise<number | null>((resolve) => m.child.once('exit', (code) => resolve(code)));
  m.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const after = (await ts.store.listRegions()).find((x) => x.region === REGION);
  expect(after).toMatchObject({ region: REGION, identity: m.identity, alive: false });
  expect(after?.withdrawnAt).toEqual(expect.any(String));
});

test('a metrics port already in use: exit 1 with one line naming the port, its flag and its variable', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const { code, stderr } = await runMonitor([], { METRICS_PORT: String(port) });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --metrics-port or METRICS_PORT (0 picks a free one)\n`,
    );
  } finally {
    taken.close();
  }
});
