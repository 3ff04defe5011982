// Least privilege, end to end: the monitor process runs with a service-account token bound only
// to the Roles rendered from kube/permissions.ts, and every behaviour still works.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KubeClient, KubeExecutor, renderMonitorRbac } from '../../src/kube/index.js';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { cluster } from '../helpers/cluster.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { type MonitorProcess, startMonitor } from '../helpers/monitor.js';
import { freshStore, type TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import { kubeConfigAs, kubeConfigFor } from './kube-support.js';

const REGION = 'rbac-1';
const NS = 'gco-inference';
const handle = useLocalEnv({ regions: [REGION], nodes: true });
let ts: TestStore;
let monitor: MonitorProcess | undefined;
let saKubeconfig: string;
let saToken = '';
const SECRET = 'inferctl-test-secret-0b9f7c1e';

beforeAll(async () => {
  ts = await freshStore(handle.env.dynamodb.endpoint);
  const admin = kubeConfigFor(handle, REGION);
  const exec = new KubeExecutor(KubeClient.fromConfig(admin));
  for (const o of renderMonitorRbac({ namespace: NS, allowedNamespaces: [NS] })) await exec.apply(o);
  const sa = await kubeConfigAs(admin, NS, 'inference-monitor');
  saKubeconfig = join(handle.dir, 'monitor-sa.kubeconfig');
  writeFileSync(saKubeconfig, sa.exportConfig());
  saToken = sa.getCurrentUser()?.token ?? '';
  monitor = await startMonitor({
    env: handle.env,
    region: REGION,
    tables: ts.tables,
    logDir: join(handle.dir, 'monitors'),
    // Distinctive credentials, so the test can show they never reach the logs.
    extraEnv: {
      KUBECONFIG: saKubeconfig,
      AWS_ACCESS_KEY_ID: 'AKIAINFERCTLTESTKEY',
      AWS_SECRET_ACCESS_KEY: SECRET,
      LOG_LEVEL: 'debug',
    },
  });
}, 120_000);

afterAll(async () => {
  await monitor?.stop();
  ts?.clients.destroy();
});

test('with only its Roles, the monitor leads, creates every kind, converges, deletes and purges', async () => {
  const rec = await ts.store.createEndpoint({
    name: 'least',
    spec: parseSpecOrThrow({
      image: 'vllm/vllm-openai:v0.9.0',
      canary: { image: 'vllm/vllm-openai:v0.9.1', weight: 10, replicas: 1 },
      // From two replicas: a PodDisruptionBudget too, so every owned kind is written.
      autoscaling: { enabled: true, min_replicas: 2, max_replicas: 3 },
    }),
    targetRegions: [REGION],
    namespace: NS,
  });
  await waitFor(
    'least to run',
    async () => {
      const s = (await ts.store.listStatus('least'))[0];
      return s?.state === 'running' && s.observedGeneration === rec.generation ? s : undefined;
    },
    90_000,
  );
  const c = cluster(handle.env.regions[REGION]!.kubeconfig);
  for (const [kind, name] of [
    ['Deployment', 'least'],
    ['Deployment', 'least-canary'],
    ['Service', 'least'],
    ['Service', 'least-canary'],
    ['Ingress', 'inference-least'],
    ['HorizontalPodAutoscaler', 'least'],
    ['PodDisruptionBudget', 'least'],
  ] as const) {
    expect(await c.read(kind, name), `${kind}/${name}`).toBeDefined();
  }
  await ts.store.setDesiredState('least', rec.generation, 'deleted');
  await waitFor(
    'least purged',
    async () => ((await ts.store.getEndpoint('least')) ? undefined : true),
    60_000,
  );
  expect(await c.read('Deployment', 'least')).toBeUndefined();
  const log = readFileSync(monitor!.log, 'utf8');
  expect(log).not.toMatch(/\b403\b|Forbidden/);
  // No credentials in the logs, even at debug level.
  expect(saToken.length).toBeGreaterThan(20);
  expect(log).not.toContain(saToken);
  expect(log).not.toContain(SECRET);
  expect(log).not.toContain('AKIAINFERCTLTESTKEY');
});

test('the same token cannot read Secrets or write outside its namespace', async () => {
  const kc = new (await import('@kubernetes/client-node')).KubeConfig();
  kc.loadFromFile(saKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await expect(core.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
  await expect(
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'x' } } }),
  ).rejects.toMatchObject({ code: 403 });
});
