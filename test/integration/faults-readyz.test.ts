// /readyz tells the truth within one readiness-probe period: stop the API server, or cut the
// store off (the loopback proxy of test/helpers/dynamo-proxy.ts), and the leader and the standby
// both answer 503 naming what they cannot reach before the kubelet's next probe (a quiet standby
// sends no request of its own that would tell it); both answer 200 again once it is back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { stopApiserver } from '../../src/local/restart.js';
import { type DynamoProxy, startDynamoProxy } from '../helpers/dynamo-proxy.js';
import { readyz, waitLeader } from '../helpers/faults.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'ready-1';
const handle = useLocalEnv({ regions: [A] });
let ts: TestStore;
let proxy: DynamoProxy;
const monitors: MonitorProcess[] = [];

/** The readiness probe's period in the shipped Deployment: the deadline /readyz must meet. */
function readinessPeriodMs(): number {
  const file = join(import.meta.dirname, '..', '..', 'deploy', 'base', 'deployment.yaml');
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const d = doc.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: { readinessProbe?: { periodSeconds?: number } }[] } } };
    };
    const seconds =
      d?.kind === 'Deployment' && d.spec?.template?.spec?.containers?.[0]?.readinessProbe?.periodSeconds;
    if (seconds) return seconds * 1000;
  }
  throw new Error(`no readinessProbe.periodSeconds in ${file}`);
}

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  proxy = await startDynamoProxy(handle.env.dynamodb.endpoint);
  for (const role of ['leader', 'standby']) {
    monitors.push(
      await startMonitor({
        env: handle.env,
        region: A,
        tables: ts.tables,
        logDir: join(handle.dir, 'monitors'),
        identity: `readyz-${role}`,
        extraEnv: { DYNAMODB_ENDPOINT: proxy.endpoint },
      }),
    );
    if (role === 'leader') await waitLeader(monitors[0]!);
  }
}, 180_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  await proxy?.close();
  ts?.clients.destroy();
});

const ready = () =>
  Promise.all(
    monitors.map((m) =>
      waitFor(
        `${m.identity} /readyz 200`,
        async () => ((await readyz(m)).status === 200 ? true : undefined),
        60_000,
      ),
    ),
  );

/** Every monitor answers 503 within `periodMs`; returns their answers' bodies. */
async function notReadyWithin(periodMs: number, what: string): Promise<string[]> {
  const since = Date.now();
  return Promise.all(
    monitors.map(async (m) => {
      const r = await waitFor(
        `${m.identity} /readyz to fail within one probe period (${periodMs} ms) after ${what}`,
        async () => {
          const res = await readyz(m);
          return res.status === 503 ? res : undefined;
        },
        periodMs,
      );
      console.log(`${what}: ${m.identity} /readyz 503 after ${Date.now() - since} ms`);
      return r.body;
    }),
  );
}

test('the store cut off: /readyz fails within one probe period naming the store, and recovers', async () => {
  await ready();
  proxy.setMode({ kind: 'down' });
  try {
    for (const body of await notReadyWithin(readinessPeriodMs(), 'the store went away'))
      expect(body).toMatch(/^store unavailable: /m);
  } finally {
    proxy.setMode({ kind: 'pass' });
  }
  await ready();
});

test('the API server stopped: /readyz fails within one probe period naming the API server, and recovers', async () => {
  await ready();
  const stopped = await stopApiserver(handle.dir, A);
  try {
    for (const body of await notReadyWithin(readinessPeriodMs(), 'the API server stopped'))
      expect(body).toMatch(/^API server unreachable: /m);
  } finally {
    await stopped.start();
  }
  await ready();
});
