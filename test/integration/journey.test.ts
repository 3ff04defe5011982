import { beforeAll, describe, expect, test } from 'vitest';
import type { CliDeps } from '../../src/cli/deps.js';
import { buildProgram, runCli } from '../../src/cli/program.js';
import { type StatusView, statusSchema } from '../../src/cli/views.js';
import { openStore, type StoreClients } from '../../src/store/index.js';
import type { ClusterHandle } from '../helpers/cluster.js';
import { useFleet } from '../helpers/fleet.js';
import type { TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const B = 'eu-west-1';
const fleet = useFleet({ regions: [A, B] });
const handle = fleet.handle;
let ts: TestStore;
let clusters: Record<string, ClusterHandle>;
beforeAll(() => {
  ts = fleet.ts;
  clusters = fleet.clusters;
});

async function inferctl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const opened: StoreClients[] = [];
  const deps: CliDeps = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: {
      DYNAMODB_ENDPOINT: handle.env.dynamodb.endpoint,
      DYNAMODB_REGION: 'us-east-1',
      INFERENCE_ENDPOINTS_TABLE_NAME: ts.tables.endpoints,
      INFERENCE_STATUS_TABLE_NAME: ts.tables.status,
    },
    isTTY: false,
    now: () => new Date(),
    pollMs: 200,
    confirm: async () => false,
    openStore(config) {
      const o = openStore(config);
      opened.push(o.clients);
      return o.store;
    },
    close: () => {
      for (const c of opened.splice(0)) c.destroy();
    },
  };
  const code = await runCli(buildProgram(deps), ['node', 'inferctl', ...argv]);
  return { code, ...out };
}

async function ok(...argv: string[]) {
  const r = await inferctl(...argv);
  expect(r.code, `inferctl ${argv.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

async function status(): Promise<StatusView> {
  return statusSchema.parse(JSON.parse((await ok('status', 'shop', '-o', 'json')).stdout));
}

type Dep = {
  spec: {
    replicas?: number;
    template: { spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] } };
  };
};
const dep = async (region: string, name = 'shop') =>
  (await clusters[region]!.read('Deployment', name)) as unknown as Dep | undefined;
const WAIT = ['--wait', '--timeout', '3m'];

describe('an endpoint through its whole life, in two regions, from the CLI', () => {
  test('deploy --wait: running in both regions', async () => {
    // As in the README tour: the CLI only targets regions whose monitor has reported.
    await waitFor('both monitors to heartbeat', async () =>
      (await ts.store.listRegions()).filter((h) => h.alive).length === 2 ? true : undefined,
    );
    await ok('deploy', 'shop', '-i', 'vllm/vllm-openai:v0.9.0', '--replicas', '2', '-r', A, '-r', B, ...WAIT);
    const s = await status();
    expect(s.state).toBe('running');
    expect(s.regions.map((r) => [r.region, r.state, r.replicas, r.ready])).toEqual([
      [B, 'running', { ready: 2, desired: 2 }, true],
      [A, 'running', { ready: 2, desired: 2 }, true],
    ]);
  });

  test('update of any field (env) reaches both regions', async () => {
    await ok('update', 'shop', '-e', 'MAX_MODEL_LEN=4096', ...WAIT);
    for (const region of [A, B]) {
      expect((await dep(region))?.spec.template.spec.containers[0]?.env).toContainEqual({
        name: 'MAX_MODEL_LEN',
        value: '4096',
      });
    }
    const s = await status();
    expect(s.regions.every((r) => r.observed_generation === s.generation)).toBe(true);
  });

  test('canary, then promote: the canary image becomes the primary and the canary goes away', async () => {
    await ok('canary', 'shop', '-i', 'vllm/vllm-openai:v0.9.1', '--weight', '20', ...WAIT);
    let s = await status();
    expect(s.regions.map((r) => r.canary)).toEqual([
      { ready: 1, weight: 20 },
      { ready: 1, weight: 20 },
    ]);
    expect(await dep(A, 'shop-canary')).toBeDefined();
    await ok('promote', 'shop', '--yes', ...WAIT);
    s = await status();
    expect(s.image).toBe('vllm/vllm-openai:v0.9.1');
    for (const region of [A, B]) {
      expect((await dep(region))?.spec.template.spec.containers[0]?.image).toBe('vllm/vllm-openai:v0.9.1');
      expect(await clusters[region]!.read('Deployment', 'shop-canary')).toBeUndefined();
      expect(JSON.stringify(await clusters[region]!.read('Ingress', 'inference-shop'))).not.toContain(
        'shop-canary',
      );
    }
  });

  test('canary, then rollback: the primary keeps its image and plain routing returns', async () => {
    await ok('canary', 'shop', '-i', 'vllm/vllm-openai:v0.9.2', '--weight', '10', ...WAIT);
    await ok('rollback', 'shop', '--yes', ...WAIT);
    for (const region of [A, B]) {
      expect((await dep(region))?.spec.template.spec.containers[0]?.image).toBe('vllm/vllm-openai:v0.9.1');
      expect(await clusters[region]!.read('Service', 'shop-canary')).toBeUndefined();
      expect(JSON.stringify(await clusters[region]!.read('Ingress', 'inference-shop'))).not.toContain(
        'shop-canary',
      );
    }
    expect((await status()).regions.map((r) => r.canary)).toEqual([null, null]);
  });

  test('stop scales to zero everywhere; start brings the two replicas back', async () => {
    await ok('stop', 'shop', '--yes', ...WAIT);
    let s = await status();
    expect(s.state).toBe('stopped');
    expect(s.regions.map((r) => r.state)).toEqual(['stopped', 'stopped']);
    for (const region of [A, B]) expect((await dep(region))?.spec.replicas).toBe(0);
    await ok('start', 'shop', ...WAIT);
    s = await status();
    expect(s.state).toBe('running');
    expect(s.regions.map((r) => r.replicas)).toEqual([
      { ready: 2, desired: 2 },
      { ready: 2, desired: 2 },
    ]);
  });

  test('delete --wait: every object gone in both regions and the item purged', async () => {
    await ok('delete', 'shop', '--yes', ...WAIT);
    for (const region of [A, B]) {
      for (const [kind, name] of [
        ['Deployment', 'shop'],
        ['Service', 'shop'],
        ['Ingress', 'inference-shop'],
      ] as const) {
        expect(await clusters[region]!.read(kind, name)).toBeUndefined();
      }
    }
    const gone = await inferctl('status', 'shop');
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/shop/);
  });
});
