// Issue 14 item 1 through the CLI and the real DynamoDB server: every generation written by the CLI
// keeps its revision (bounded to the last 10), `history` lists them, `revert` writes an earlier
// one back, conditional on the generation it read.
import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HistoryView, historySchema } from '../../src/cli/commands/history.js';
import {
  type DynamoStore,
  ensureTables,
  openStore,
  REVISIONS_KEPT,
  type Store,
  type StoreClients,
} from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { cliRunner, NOW, putHeartbeat } from './cli-support.js';

const handle = useLocalEnv({ regions: [] });
const suffix = randomUUID().slice(0, 8);
const tables = {
  endpoints: `rev-endpoints-${suffix}`,
  status: `rev-status-${suffix}`,
  revisions: `rev-revisions-${suffix}`,
};
let store: DynamoStore;
let clients: StoreClients;
const cli = cliRunner(() => handle.env.dynamodb.endpoint, tables);

async function history(name: string): Promise<HistoryView> {
  const r = await cli(`history ${name} -o json`);
  expect(r.code, r.stderr).toBe(0);
  return historySchema.parse(JSON.parse(r.stdout));
}

/** The revision items as stored, oldest first. */
async function storedRevisions(name: string): Promise<Record<string, unknown>[]> {
  const out = await clients.doc.send(
    new QueryCommand({
      TableName: tables.revisions,
      KeyConditionExpression: 'endpoint_name = :n',
      ExpressionAttributeValues: { ':n': name },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

async function ok(args: string): Promise<string> {
  const r = await cli(args);
  expect(r.code, `inferctl ${args}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  ({ store, clients } = openStore({ tables, endpoint: handle.env.dynamodb.endpoint }, { now: () => NOW }));
  const live = { ageMs: 20_000, version: '0.1.0', allowedNamespaces: ['gco-inference'] };
  await ensureTables(clients.dynamodb, { endpoints: tables.endpoints, status: tables.status });
  await putHeartbeat(clients, tables, { region: 'us-east-1', identity: 'mon-a', ...live });
  await putHeartbeat(clients, tables, { region: 'eu-west-1', identity: 'mon-b', ...live });
}, 600_000);
afterAll(() => clients?.destroy());

describe('the revisions table', () => {
  test('init creates it with its key schema and TTL on expires_at', async () => {
    const r = await cli('init');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`table ${tables.revisions}: created`);
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tables.revisions }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expires_at',
      TimeToLiveStatus: 'ENABLED',
    });
    expect((await cli('init')).stderr).toContain(`table ${tables.revisions}: exists`);
  });
});

describe('history', () => {
  test('after several writes: generation, time, who or why, and what changed, newest first', async () => {
    await ok('deploy hist -i vllm:1 -r us-east-1 --replicas 2');
    await ok('scale hist --replicas 3');
    await ok("update-image hist -i vllm:2 --reason 'CVE-2025-1 fix'");
    await ok('update hist -r us-east-1 -r eu-west-1');
    const view = await history('hist');
    expect(view.generation).toBe(4);
    expect(view.note).toBeNull();
    expect(view.revisions.map((r) => [r.generation, r.current, r.written_by, r.reason, r.summary])).toEqual([
      [4, true, 'tester', null, 'target_regions ["us-east-1"] → ["eu-west-1","us-east-1"]'],
      [3, false, 'tester', 'CVE-2025-1 fix', 'image vllm:1 → vllm:2'],
      [2, false, 'tester', null, 'replicas 2 → 3'],
      [1, false, 'tester', null, 'created: image vllm:1, replicas 2'],
    ]);
    expect(view.revisions.every((r) => r.written_at === NOW.toISOString())).toBe(true);
    expect(view.revisions[0]?.target_regions).toEqual(['eu-west-1', 'us-east-1']);
    const table = await ok('history hist');
    expect(table.split('\n')[0]).toMatch(/^GENERATION\s+WRITTEN\s+BY\s+REASON\s+SUMMARY$/);
    expect(table).toMatch(
      /^3\s+2025-06-01T12:00:00.000Z\s+tester\s+CVE-2025-1 fix\s+image vllm:1 → vllm:2$/m,
    );
    expect(table).toMatch(/^4 \(current\)\s+/m);
  });

  test('a dry run and an unchanged write record nothing', async () => {
    await ok('scale hist --replicas 9 --dry-run');
    await ok('scale hist --replicas 3');
    expect((await history('hist')).generation).toBe(4);
    expect(await storedRevisions('hist')).toHaveLength(4);
  });

  test('an unknown endpoint is NOT_FOUND', async () => {
    const r = await cli('history nope');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: endpoint nope not found\n');
  });
});

describe('revert', () => {
  test("--dry-run prints the diff to the previous generation's spec and targets, writing nothing", async () => {
    const r = await cli('revert hist --dry-run -o json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'hist',
      result: 'dry-run',
      generation: 4,
      changes: ['~ target_regions: ["eu-west-1","us-east-1"] → ["us-east-1"]'],
    });
    expect((await store.requireEndpoint('hist')).generation).toBe(4);
  });

  test('refuses without --yes when not on a terminal', async () => {
    const r = await cli('revert hist');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: Revert hist to its previous generation: refusing without --yes (not a terminal)\n',
    );
  });

  test("writes a new generation with G's spec and targets, recorded as a revert", async () => {
    const out = await ok('revert hist --to-generation 1 --yes --reason rollback-drill');
    expect(out).toContain('hist: reverted (generation 5');
    expect(out).toContain('~ spec.image: "vllm:2" → "vllm:1"');
    const rec = await store.requireEndpoint('hist');
    expect(rec.generation).toBe(5);
    expect(rec.raw.spec).toMatchObject({ image: 'vllm:1', replicas: 2 });
    expect(rec.raw.target_regions).toEqual(['us-east-1']);
    const [newest] = (await history('hist')).revisions;
    expect(newest).toMatchObject({ generation: 5, reason: 'rollback-drill' });
    expect(newest?.summary).toBe(
      'revert to generation 1: image vllm:2 → vllm:1, replicas 3 → 2, target_regions ["eu-west-1","us-east-1"] → ["us-east-1"]',
    );
    // Reverting again to the previous generation (4) restores what 4 had.
    await ok('revert hist --yes');
    const back = await store.requireEndpoint('hist');
    expect([back.generation, back.raw.spec, back.raw.target_regions]).toMatchObject([
      6,
      { image: 'vllm:2', replicas: 3 },
      ['eu-west-1', 'us-east-1'],
    ]);
  });

  test('bad --to-generation values are refused before anything is written', async () => {
    for (const [arg, code, message] of [
      ['abc', 2, 'error: --to-generation: expected a positive integer, got "abc"\n'],
      ['0', 2, 'error: --to-generation: expected a positive integer, got "0"\n'],
      ['6', 2, 'error: --to-generation: must be below the current generation 6, got 6\n'],
    ] as const) {
      const r = await cli(`revert hist --to-generation ${arg} --yes`);
      expect([r.code, r.stderr]).toEqual([code, message]);
    }
    expect((await store.requireEndpoint('hist')).generation).toBe(6);
  });

  test('concurrent writers at one generation: one wins, the other gets CONFLICT and leaves no revision', async () => {
    const before = (await store.requireEndpoint('hist')).generation;
    // Both CLIs read the item, then wait for each other, so both write conditional on `before`.
    let reads = 0;
    let release: () => void = () => {};
    const bothRead = new Promise<void>((r) => {
      release = r;
    });
    const holdAfterRead = (s: Store): Store =>
      new Proxy(s, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== 'requireEndpoint') return typeof value === 'function' ? value.bind(target) : value;
          return async (name: string) => {
            const rec = await target.requireEndpoint(name);
            if (++reads === 2) release();
            await bothRead;
            return rec;
          };
        },
      });
    const [a, b] = await Promise.all([
      cli('revert hist --to-generation 2 --yes', { wrapStore: holdAfterRead }),
      cli('scale hist --replicas 7', { wrapStore: holdAfterRead }),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 4]);
    const loser = a.code === 4 ? a : b;
    expect(loser.stderr).toMatch(
      new RegExp(
        `^error: endpoint hist was changed concurrently: expected generation ${before}, found ${before + 1}`,
      ),
    );
    expect((await store.requireEndpoint('hist')).generation).toBe(before + 1);
    const gens = (await storedRevisions('hist')).map((r) => r.generation);
    expect(gens).toEqual([1, 2, 3, 4, 5, 6, before + 1]);
    const winner = (await history('hist')).revisions[0];
    expect(winner?.summary).toMatch(a.code === 0 ? /^revert to generation 2: / : /^replicas 3 → 7$/);
  });
});

describe('bounded history', () => {
  test(`keeps the last ${REVISIONS_KEPT}: older ones are deleted, every one carries a TTL`, async () => {
    await ok('deploy many -i img:1 -r us-east-1');
    for (let n = 2; n <= 13; n++) await ok(`scale many --replicas ${n}`);
    const stored = await storedRevisions('many');
    expect(stored.map((r) => r.generation)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const expected = Math.floor(NOW.getTime() / 1000) + 400 * 24 * 3600;
    for (const r of stored) expect(r.expires_at).toBe(expected);
    const view = await history('many');
    expect(view.revisions.map((r) => r.generation)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4]);
    expect(view.note).toBeNull();
    const gone = await cli('revert many --to-generation 3 --yes');
    expect([gone.code, gone.stderr]).toEqual([
      3,
      'error: generation 3 of many has no stored revision (kept: 4-13; see `inferctl history many`)\n',
    ]);
  });

  test('a name purged and created again shows only its own generations', async () => {
    await ok('deploy again -i img:1 -r us-east-1');
    await ok('scale again --replicas 2');
    await ok('scale again --replicas 3');
    // What the monitors do after `delete`: the item goes, the revisions stay behind.
    const deleted = await store.setDesiredState('again', 3, 'deleted');
    await store.purgeEndpoint('again', deleted.generation);
    await ok('deploy again -i img:9 -r us-east-1');
    const view = await history('again');
    expect(view.revisions.map((r) => [r.generation, r.summary])).toEqual([
      [1, 'created: image img:9, replicas 1'],
    ]);
    const r = await cli('revert again --yes');
    expect([r.code, r.stderr]).toEqual([3, 'error: endpoint again has no generation before 1\n']);
  });
});

describe('items written by the Python tooling', () => {
  test('a legacy item has no revisions, and history says so', async () => {
    await clients.doc.send(
      new PutCommand({
        TableName: tables.endpoints,
        Item: {
          endpoint_name: 'legacy',
          desired_state: 'deploying',
          target_regions: ['us-east-1'],
          namespace: 'gco-inference',
          spec: { image: 'old:1', replicas: 1, gpu_count: 1, port: 8000 },
          ingress_path: '/inference/legacy',
          created_at: '2025-01-01T00:00:00Z',
          updated_at: '2025-01-01T00:00:00Z',
        },
      }),
    );
    const view = await history('legacy');
    expect(view).toMatchObject({ generation: 0, revisions: [] });
    expect(view.note).toMatch(/^no revisions stored for legacy: it was written by a tool that keeps none/);
    expect(await ok('history legacy')).toMatch(/^legacy: no revisions stored for legacy/);
    const r = await cli('revert legacy --yes');
    expect([r.code, r.stderr]).toEqual([3, 'error: endpoint legacy has no generation before 0\n']);
  });

  test('the first inferctl write starts the history; a later edit by the tooling is pointed out', async () => {
    await ok('scale legacy --replicas 2');
    expect((await history('legacy')).revisions.map((r) => [r.generation, r.summary])).toEqual([
      [1, 'replicas 1 → 2'],
    ]);
    // The tooling changes the item without bumping the generation.
    await clients.doc.send(
      new UpdateCommand({
        TableName: tables.endpoints,
        Key: { endpoint_name: 'legacy' },
        UpdateExpression: 'SET spec.image = :i',
        ExpressionAttributeValues: { ':i': 'old:2' },
      }),
    );
    expect((await history('legacy')).note).toBe(
      `the stored endpoint differs from generation 1's revision (changed by a tool that keeps no revisions): ~ spec.image: "old:1" → "old:2"`,
    );
  });
});

describe('a deployment whose revisions table does not exist yet', () => {
  test('writes still succeed and say that no revision was recorded', async () => {
    const missing = { ...tables, revisions: `rev-missing-${suffix}` };
    const old = cliRunner(() => handle.env.dynamodb.endpoint, missing);
    const r = await old('scale hist --replicas 5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `hist: warning: revision not recorded: table rev-missing-${suffix} does not exist (create it: inferctl init, or infra/tables.yaml)\n`,
    );
    expect((await store.requireEndpoint('hist')).raw.spec).toMatchObject({ replicas: 5 });
    const h = await old('history hist');
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(new RegExp(`^error: table rev-missing-${suffix} does not exist`));
  });
});
