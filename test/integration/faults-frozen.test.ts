// Fault: a server freezes (SIGSTOP) — the region's kube-apiserver, then the DynamoDB server:
// connections stay open and nothing is answered, as with a hung server or a network path that
// drops packets without a reset. Stopping the process (faults-apiserver, faults-store) refuses
// connections at once; this is the case that needs request timeouts (K8S_API_TIMEOUT,
// DYNAMODB_TIMEOUT_SECONDS), or a request waits for as long as the freeze lasts.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KubeClient, KubeTransportError, openKubeAccess, planKubeconfigFile } from '../../src/kube/index.js';
import { freezeApiserver, freezeDynamo } from '../../src/local/restart.js';
import { openStore, StoreUnavailableError } from '../../src/store/index.js';
import { metricSum, readyz, waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const handle = useLocalEnv({ regions: [A] });
let ts: TestStore;
let monitor: MonitorProcess;

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  monitor = await startMonitor({
    env: handle.env,
    region: A,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    extraEnv: {
      K8S_API_TIMEOUT: '2',
      DYNAMODB_TIMEOUT_SECONDS: '1',
      LEASE_DURATION_SECONDS: '6',
      RENEW_DEADLINE_SECONDS: '4',
      RETRY_PERIOD_SECONDS: '1',
    },
  });
}, 60_000);

afterAll(async () => {
  await monitor?.stop();
  ts?.clients.destroy();
});

test('a request to a frozen API server fails after the request timeout, naming it, instead of waiting', async () => {
  const access = await openKubeAccess(planKubeconfigFile(handle.env.regions[A]!.kubeconfig), {
    requestTimeoutMs: 1000,
  });
  const client = new KubeClient(access);
  const path = '/api/v1/namespaces/default';
  // Answered, and its connection kept alive: the frozen server's socket stays open.
  await client.send({ method: 'GET', path, verb: 'get' });
  const frozen = freezeApiserver(handle.dir, A);
  try {
    const err = await client.send({ method: 'GET', path, verb: 'get' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeTransportError);
    expect(String((err as Error).cause)).toMatch(/no answer within 1000 ms \(K8S_API_TIMEOUT\)/);
  } finally {
    frozen.thaw();
    client.close();
  }
});

test('the monitor: its lease renewals time out while the API server is frozen, and it leads again once it answers', async () => {
  await waitLeader(monitor);
  const failed = () => metricSum(monitor, 'inferctl_kube_requests_total', 'result="error"');
  const before = await failed();
  const frozen = freezeApiserver(handle.dir, A);
  try {
    // Without a bound, the renewal would still be waiting for its answer and count nothing.
    await waitFor(
      'a request of the monitor to fail for want of an answer',
      async () => (await failed()) > before,
      20_000,
    );
  } finally {
    frozen.thaw();
  }
  await waitLeader(monitor);
});

test('a call to a frozen DynamoDB server fails as the store being unavailable, instead of waiting', async () => {
  const { store, clients } = openStore({
    tables: ts.tables,
    endpoint: handle.env.dynamodb.endpoint,
    region: 'us-east-1',
    requestTimeoutMs: 1000,
  });
  // Answered, and its connection kept alive: the frozen server's socket stays open.
  await store.getEndpoint('anything');
  const frozen = freezeDynamo(handle.dir);
  try {
    const err = await store.getEndpoint('anything').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(String(err)).toMatch(/GetItem.*1000 ms requestTimeout/);
  } finally {
    frozen.thaw();
    clients.destroy();
  }
});

test('the monitor: /readyz names the store while the DynamoDB server is frozen, and recovers', async () => {
  const ready = () =>
    waitFor('/readyz 200', async () => ((await readyz(monitor)).status === 200 ? true : undefined), 60_000);
  await ready();
  const frozen = freezeDynamo(handle.dir);
  try {
    // The change feed polls four times a second: a poll times out after 1 s, three attempts.
    const body = await waitFor(
      '/readyz to fail naming the store',
      async () => {
        const r = await readyz(monitor);
        return r.status === 503 ? r.body : undefined;
      },
      30_000,
    );
    expect(body).toMatch(/^store unavailable: /m);
  } finally {
    frozen.thaw();
  }
  await ready();
});
