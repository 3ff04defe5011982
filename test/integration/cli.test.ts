// The inferctl CLI against the real local DynamoDB server: every verb, exit codes, --wait, and
// golden files for human output (`npx vitest run --project integration test/integration/cli.test.ts -u`
// rewrites them).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DynamoStore, openStore, type StoreClients } from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';
import { cliRunner, golden, NOW, type Run, status } from './cli-support.js';

const handle = useLocalEnv({ regions: [] });
const suffix = randomUUID().slice(0, 8);
const tables = { endpoints: `cli-endpoints-${suffix}`, status: `cli-status-${suffix}` };
let store: DynamoStore;
let clients: StoreClients;
const cli = cliRunner(() => handle.env.dynamodb.endpoint, tables);

beforeAll(async () => {
  ({ store, clients } = openStore({ tables, endpoint: handle.env.dynamodb.endpoint }, { now: () => NOW }));
});
afterAll(() => clients?.destroy());

describe('init and regions', () => {
  test('init --print prints both table definitions; init creates them idempotently', async () => {
    const printed = await cli(
      'init --print --endpoints-table gco-inference-endpoints --status-table gco-inference-endpoint-status',
    );
    expect(printed.code).toBe(0);
    await expect(printed.stdout).toMatchFileSnapshot(golden('init-print.json'));
    const first = await cli('init');
    expect(first).toMatchObject({ code: 0, stdout: '' });
    expect(first.stderr).toContain(`table ${tables.endpoints}: created`);
    const again = await cli('init');
    expect(again.stderr).toContain(`table ${tables.endpoints}: exists`);
  });

  test('deploy without -r and no live monitor fails, saying so', async () => {
    const r = await cli('deploy lonely -i img:1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no region has a live monitor heartbeat/);
    expect(await store.getEndpoint('lonely')).toBeUndefined();
  });

  test('regions lists heartbeats with alive/stale', async () => {
    await store.putHeartbeat('us-east-1', 'monitor-a', new Date(NOW.getTime() - 20_000));
    await store.putHeartbeat('eu-west-1', 'monitor-b', new Date(NOW.getTime() - 20_000));
    await store.putHeartbeat('ap-south-1', 'monitor-c', new Date(NOW.getTime() - 3_600_000));
    const r = await cli('regions');
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(golden('regions.txt'));
  });
});

describe('deploy, list, status', () => {
  test('deploy without -r targets every region with a live monitor', async () => {
    const r = await cli(
      "deploy llama -i vllm/vllm-openai:v0.6.3 --gpu-count 2 -e MODEL=meta/llama --label team=ml --node-selector pool=gpu --capacity-type spot --min-replicas 1 --max-replicas 4 --autoscale-metric cpu:60 --args '--max-model-len' --args 8192",
    );
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toBe('llama: created (generation 1, deploying, regions eu-west-1,us-east-1)\n');
    const rec = await store.requireEndpoint('llama');
    expect(rec.raw).toMatchObject({
      target_regions: ['eu-west-1', 'us-east-1'],
      labels: { team: 'ml' },
      created_by: 'tester',
      spec: {
        image: 'vllm/vllm-openai:v0.6.3',
        gpu_count: 2,
        env: { MODEL: 'meta/llama' },
        node_selector: { pool: 'gpu' },
        capacity_type: 'spot',
        autoscaling: {
          enabled: true,
          min_replicas: 1,
          max_replicas: 4,
          metrics: [{ type: 'cpu', target: 60 }],
        },
        args: ['--max-model-len', '8192'],
      },
    });
  });

  test('invalid input is rejected before writing with one spec.<path>: <rule> line, exit 2', async () => {
    for (const [args, line] of [
      [
        'deploy bad -i img:1 -r us-east-1 --port 70000',
        'error: spec.port: must be an integer between 1 and 65535, got 70000',
      ],
      [
        'deploy bad -i img:1 -r us-east-1 --model-source s3://b/$(rm)',
        'error: spec.model_source: must be s3://bucket[/prefix]',
      ],
      [
        'deploy bad -i img:1 -r us-east-1 --min-replicas 5 --max-replicas 2',
        'error: spec.autoscaling.min_replicas: must not exceed max_replicas (2), got 5',
      ],
      ['deploy Bad_Name -i img:1 -r us-east-1', 'error: endpoint_name: must be lowercase'],
      ['deploy bad -i img:1 -r us-east-1 -e NOEQUALS', 'error: --env: expected KEY=VALUE, got "NOEQUALS"'],
      ['deploy bad -r us-east-1', 'error: spec.image: is required'],
    ] as const) {
      const r = await cli(args);
      expect(r.code, args).toBe(2);
      expect(r.stdout, args).toBe('');
      expect(r.stderr.split('\n')[0], args).toContain(line);
    }
    expect(await store.getEndpoint('bad')).toBeUndefined();
  });

  test('deploy -f FILE.yaml with flags overriding the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferctl-cli-'));
    const file = join(dir, 'ep.yaml');
    writeFileSync(
      file,
      'name: mistral\ntarget_regions: [us-east-1]\nnamespace: team-a\nspec:\n  image: tgi:2.0\n  port: 8080\n  replicas: 2\n',
    );
    const r = await cli(`deploy -f ${file} --replicas 3`);
    expect(r.code).toBe(0);
    expect((await store.requireEndpoint('mistral')).raw).toMatchObject({
      namespace: 'team-a',
      target_regions: ['us-east-1'],
      spec: { image: 'tgi:2.0', port: 8080, replicas: 3 },
    });
  });

  test('deploy of an existing name: exit 4', async () => {
    const r = await cli('deploy llama -i img:2 -r us-east-1');
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('error: endpoint llama already exists (generation 1, deploying)\n');
  });

  test('list and status show Ready and Message last, with the aggregate phase', async () => {
    await store.putStatusIfChanged(status('llama', 'us-east-1'));
    await store.putStatusIfChanged(
      status('llama', 'eu-west-1', {
        state: 'error',
        replicasReady: 0,
        error: 'ImagePullBackOff: not found',
      }),
    );
    await store.putStatusIfChanged(status('mistral', 'us-east-1', { replicasReady: 3, replicasDesired: 3 }));
    const list = await cli('list');
    expect(list.code).toBe(0);
    await expect(list.stdout).toMatchFileSnapshot(golden('list.txt'));
    const filtered = await cli('list --state degraded -r eu-west-1 -o json');
    expect(JSON.parse(filtered.stdout).endpoints.map((e: { name: string }) => e.name)).toEqual(['llama']);
    const st = await cli('status llama');
    expect(st.code).toBe(0);
    await expect(st.stdout).toMatchFileSnapshot(golden('status.txt'));
    const json = await cli('status mistral -o json');
    await expect(json.stdout).toMatchFileSnapshot(golden('status-mistral.json'));
    const yaml = await cli('-o yaml status mistral');
    expect(yaml.stdout).toContain('state: running');
  });

  test('status of a missing endpoint: exit 3', async () => {
    const r = await cli('status ghost');
    expect(r).toMatchObject({ code: 3, stdout: '', stderr: 'error: endpoint ghost not found\n' });
  });
});

describe('changing endpoints', () => {
  test('update replaces only given fields; -r replaces targets; the generation moves', async () => {
    const r = await cli('update mistral -e A=1 -r us-east-1 -r us-west-2 --allow-unknown-region');
    expect(r.code).toBe(0);
    const rec = await store.requireEndpoint('mistral');
    expect(rec.generation).toBe(2);
    expect(rec.raw).toMatchObject({
      target_regions: ['us-east-1', 'us-west-2'],
      spec: { image: 'tgi:2.0', port: 8080, replicas: 3, env: { A: '1' } },
    });
    const bad = await cli('update mistral --gpu-count 99');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('spec.gpu_count: must be an integer between 0 and 64, got 99');
    expect((await store.requireEndpoint('mistral')).generation).toBe(2);
  });

  test('scale, stop (needs --yes off a terminal), start restores the replica count', async () => {
    expect((await cli('scale mistral --replicas 5')).code).toBe(0);
    const refused = await cli('stop mistral');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing without --yes');
    const declined = await cli('stop mistral', { tty: true, answer: false });
    expect(declined.code).toBe(2);
    expect((await store.requireEndpoint('mistral')).raw.desired_state).toBe('deploying');
    expect((await cli('stop mistral', { tty: true, answer: true })).code).toBe(0);
    let rec = await store.requireEndpoint('mistral');
    expect(rec.raw).toMatchObject({ desired_state: 'stopped', spec: { replicas: 5 } });
    // Editing a stopped endpoint never revives it.
    expect((await cli('update-image mistral -i tgi:2.1')).code).toBe(0);
    expect((await store.requireEndpoint('mistral')).raw.desired_state).toBe('stopped');
    expect((await cli('start mistral')).code).toBe(0);
    rec = await store.requireEndpoint('mistral');
    expect(rec.raw).toMatchObject({ desired_state: 'running', spec: { replicas: 5, image: 'tgi:2.1' } });
    const again = await cli('start mistral');
    expect(again.code).toBe(4);
  });

  test('update-image drops a stale region_image_uris map', async () => {
    const rec = await store.requireEndpoint('llama');
    const spec = rec.parsed.ok ? rec.parsed.value.spec : undefined;
    if (!spec) throw new Error('llama invalid');
    await store.updateSpec('llama', rec.generation, {
      ...spec,
      region_image_uris: { 'eu-west-1': 'eu/vllm:old' },
    });
    expect((await cli('update-image llama -i vllm/vllm-openai:v0.7.0')).code).toBe(0);
    const after = await store.requireEndpoint('llama');
    expect(after.raw.spec).toMatchObject({ image: 'vllm/vllm-openai:v0.7.0' });
    expect(after.raw.spec).not.toHaveProperty('region_image_uris');
  });

  test('canary, promote and rollback', async () => {
    expect((await cli('canary llama -i vllm/vllm-openai:v0.8.0 --weight 140')).code).toBe(2);
    expect((await cli('canary llama -i vllm/vllm-openai:v0.8.0 --weight 20')).code).toBe(0);
    expect((await store.requireEndpoint('llama')).raw.spec).toMatchObject({
      canary: { image: 'vllm/vllm-openai:v0.8.0', weight: 20, replicas: 1 },
    });
    expect((await cli('rollback llama --yes')).code).toBe(0);
    expect((await store.requireEndpoint('llama')).raw.spec).not.toHaveProperty('canary');
    expect((await cli('rollback llama --yes')).code).toBe(2);
    expect((await cli('canary llama -i vllm/vllm-openai:v0.9.0')).code).toBe(0);
    expect((await cli('promote llama --yes')).code).toBe(0);
    const spec = (await store.requireEndpoint('llama')).raw.spec;
    expect(spec).toMatchObject({ image: 'vllm/vllm-openai:v0.9.0' });
    expect(spec).not.toHaveProperty('canary');
  });

  test('render prints the objects for a region as YAML', async () => {
    const r = await cli('render llama -r us-east-1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^apiVersion: v1\nkind: Service\n/);
    expect(r.stdout).toContain('kind: Deployment');
    expect(r.stdout).toContain('image: vllm/vllm-openai:v0.9.0');
  });

  test('delete asks, then marks deleted; spec edits of a deleting endpoint conflict', async () => {
    expect((await cli('delete mistral')).code).toBe(2);
    expect((await cli('delete mistral --yes')).code).toBe(0);
    expect((await store.requireEndpoint('mistral')).raw.desired_state).toBe('deleted');
    const r = await cli('scale mistral --replicas 1');
    expect(r.code).toBe(4);
    expect((await cli('start mistral')).code).toBe(4);
  });

  test('two concurrent updates from the same read: the loser exits 4 and the item is not half-written', async () => {
    const [a, b] = await Promise.all([
      cli('update llama --max-replicas 5'),
      cli('update llama --max-replicas 6'),
    ]);
    const codes = [a.code, b.code].sort();
    // Both may succeed one after the other, or one may lose the race; never both lose or corrupt.
    expect([
      [0, 0],
      [0, 4],
    ]).toContainEqual(codes);
    const loser = [a, b].find((r) => r.code === 4);
    if (loser) expect(loser.stderr).toMatch(/changed (concurrently|since it was read)/);
  });
});

describe('--wait', () => {
  test('succeeds when every target region reports the generation and ready', async () => {
    const run = cli('deploy waiter -i img:1 -r us-east-1 -r eu-west-1 --wait --timeout 30s');
    await waitFor('waiter created', () => store.getEndpoint('waiter'));
    await store.putStatusIfChanged(status('waiter', 'us-east-1'));
    await store.putStatusIfChanged(status('waiter', 'eu-west-1', { state: 'creating', replicasReady: 0 }));
    await store.putStatusIfChanged(status('waiter', 'eu-west-1', { lastTransition: 'x' }));
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('waiter: generation 1 ready in every target region');
  });

  test('fails with the region error at the new generation', async () => {
    const run = cli('scale waiter --replicas 2 --wait --timeout 30s');
    await waitFor('generation 2', async () =>
      (await store.getEndpoint('waiter'))?.generation === 2 ? true : undefined,
    );
    await store.putStatusIfChanged(
      status('waiter', 'eu-west-1', {
        state: 'error',
        observedGeneration: 2,
        error: 'Insufficient nvidia.com/gpu',
      }),
    );
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: waiter: eu-west-1: Insufficient nvidia.com/gpu');
  });

  test('times out', async () => {
    const r = await cli('stop waiter --yes --wait --timeout 300ms');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: waiter: timed out waiting for generation 3 in eu-west-1, us-east-1/);
  });
});

describe('as a subprocess', () => {
  const exec = promisify(execFile);
  const bin = join(__dirname, '..', '..', 'bin', 'inferctl.js');
  async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [bin, ...args], {
        env: {
          ...process.env,
          DYNAMODB_ENDPOINT: handle.env.dynamodb.endpoint,
          INFERENCE_ENDPOINTS_TABLE_NAME: tables.endpoints,
          INFERENCE_STATUS_TABLE_NAME: tables.status,
          ...env,
        },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  test('exit codes 0, 1, 2, 3, 4 and one clear line (cause chain with --debug)', async () => {
    expect((await run(['list', '-o', 'json'])).code).toBe(0);
    expect((await run(['status', 'ghost'])).code).toBe(3);
    expect((await run(['deploy', 'llama', '-i', 'img:1', '-r', 'us-east-1'])).code).toBe(4);
    expect((await run(['deploy', 'x', '-i', 'img:1', '-r', 'us-east-1', '--replicas', 'many'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    const down = await run(['list', '--dynamodb-endpoint', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^error: DynamoDB unavailable during /);
    const debug = await run(['list', '--dynamodb-endpoint', 'http://127.0.0.1:9', '--debug']);
    expect(debug.stderr.split('\n').length).toBeGreaterThan(2);
    const missing = await run(['list', '--endpoints-table', 'nope-table']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('table nope-table does not exist');
    const help = await run(['deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Example:');
  });
});
