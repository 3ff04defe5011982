// The endpoints table through the Store, against the real local DynamoDB server.
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { ConflictError, itemVersion, NotFoundError, StoreUnavailableError } from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { freshStore, type TestStore } from '../helpers/store.js';

const handle = useLocalEnv({ regions: [] });
let t: TestStore;
beforeAll(async () => {
  t = await freshStore(handle.env.dynamodb.endpoint);
});
afterAll(() => t?.clients.destroy());

const spec = (image = 'vllm/vllm-openai:v0.6.0', extra: Record<string, unknown> = {}) =>
  parseSpecOrThrow({ image, ...extra });

async function create(name: string, regions = ['us-east-1'], extra: Record<string, unknown> = {}) {
  return t.store.createEndpoint({
    name,
    spec: spec(undefined, extra),
    targetRegions: regions,
    namespace: 'gco-inference',
  });
}

describe('create and get', () => {
  test('create writes generation 1 and get returns raw and parsed', async () => {
    const rec = await create('alpha', ['us-west-2', 'us-east-1']);
    expect(rec.generation).toBe(1);
    const got = await t.store.requireEndpoint('alpha');
    expect(got.raw).toMatchObject({
      endpoint_name: 'alpha',
      desired_state: 'deploying',
      target_regions: ['us-east-1', 'us-west-2'],
      ingress_path: '/inference/alpha',
      generation: 1,
    });
    expect(got.parsed.ok && got.parsed.value.spec.image).toBe('vllm/vllm-openai:v0.6.0');
  });

  test('create of an existing name fails with ConflictError and leaves the item alone', async () => {
    await create('beta');
    const err = await t.store
      .createEndpoint({ name: 'beta', spec: spec('other:1'), targetRegions: [], namespace: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).endpointName).toBe('beta');
    expect((err as Error).message).toMatch(/already exists/);
    expect((await t.store.requireEndpoint('beta')).raw.spec).toMatchObject({
      image: 'vllm/vllm-openai:v0.6.0',
    });
  });

  test('get of a missing endpoint: undefined, and requireEndpoint throws NotFoundError', async () => {
    expect(await t.store.getEndpoint('nope')).toBeUndefined();
    await expect(t.store.requireEndpoint('nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('list', () => {
  test('follows LastEvaluatedKey past 1 MB, filters, and returns parse failures separately', async () => {
    const s = await freshStore(handle.env.dynamodb.endpoint);
    const blob = 'y'.repeat(9_000);
    const now = new Date().toISOString();
    for (let i = 0; i < 160; i += 25) {
      const batch = Array.from({ length: Math.min(25, 160 - i) }, (_, j) => {
        const n = i + j;
        return {
          PutRequest: {
            Item: {
              endpoint_name: `ep-${String(n).padStart(3, '0')}`,
              desired_state: n % 2 === 0 ? 'running' : 'stopped',
              target_regions: n % 3 === 0 ? ['eu-west-1'] : ['us-east-1'],
              namespace: 'gco-inference',
              spec: { image: 'img:1', env: { BLOB: blob } },
              generation: 1,
              created_at: now,
              updated_at: now,
            },
          },
        };
      });
      await s.clients.doc.send(new BatchWriteCommand({ RequestItems: { [s.tables.endpoints]: batch } }));
    }
    // One item the schema rejects: it must come back as a failure, not vanish or throw.
    await s.clients.doc.send(
      new PutCommand({
        TableName: s.tables.endpoints,
        Item: { endpoint_name: 'broken', spec: { image: 'bad image' } },
      }),
    );

    const all = await s.store.listEndpoints();
    expect(all.pages).toBeGreaterThan(1);
    expect(all.endpoints).toHaveLength(160);
    expect(all.failures.map((f) => f.name)).toEqual(['broken']);
    expect(all.failures[0]?.error.message).toMatch(/^spec\.image: /);

    const smallPages = await s.store.listEndpoints({ pageSize: 7 });
    expect(smallPages.pages).toBeGreaterThanOrEqual(23);
    expect(smallPages.endpoints).toHaveLength(160);

    const running = await s.store.listEndpoints({ desiredState: 'running' });
    expect(running.endpoints).toHaveLength(80);
    expect(running.endpoints.every((e) => e.desiredState === 'running')).toBe(true);
    const eu = await s.store.listEndpoints({ region: 'eu-west-1', desiredState: 'stopped' });
    expect(eu.endpoints.map((e) => e.name)).toEqual(
      Array.from({ length: 160 }, (_, n) => n)
        .filter((n) => n % 3 === 0 && n % 2 === 1)
        .map((n) => `ep-${String(n).padStart(3, '0')}`),
    );
    s.clients.destroy();
  });
});

describe('version scan and batch read (the resync)', () => {
  test('every item has a version that moves only when the item is written; a batch read of 200+ names returns each, undefined when gone', async () => {
    const s = await freshStore(handle.env.dynamodb.endpoint);
    const now = new Date().toISOString();
    const names = Array.from({ length: 230 }, (_, n) => `v-${String(n).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 25) {
      const batch = names.slice(i, i + 25).map((name) => ({
        PutRequest: {
          Item: {
            endpoint_name: name,
            desired_state: 'running',
            target_regions: ['us-east-1'],
            namespace: 'gco-inference',
            spec: { image: 'img:1' },
            generation: 1,
            created_at: now,
            updated_at: now,
          },
        },
      }));
      await s.clients.doc.send(new BatchWriteCommand({ RequestItems: { [s.tables.endpoints]: batch } }));
    }
    // Written by the Python tooling: no generation, only updated_at.
    await s.clients.doc.send(
      new PutCommand({
        TableName: s.tables.endpoints,
        Item: { endpoint_name: 'legacy', spec: { image: 'img:1' }, updated_at: now },
      }),
    );

    const before = await s.store.scanEndpointVersions();
    expect(before.versions.size).toBe(231);
    expect(before.pages).toBe(1); // 231 items fit the default page of 250
    const paged = await s.store.scanEndpointVersions({ pageSize: 40 });
    expect(paged.pages).toBeGreaterThanOrEqual(6);
    expect(paged.versions).toEqual(before.versions);
    expect(before.versions.get('v-007')).toBe(`1|${now}`);
    expect(before.versions.get('legacy')).toBe(`|${now}`);

    const v7 = await s.store.requireEndpoint('v-007');
    await s.store.updateSpec('v-007', v7.generation, parseSpecOrThrow({ image: 'img:2' }));
    const after = await s.store.scanEndpointVersions();
    const moved = [...after.versions].filter(([n, v]) => before.versions.get(n) !== v).map(([n]) => n);
    expect(moved).toEqual(['v-007']);
    expect(after.versions.get('v-007')).toBe(itemVersion((await s.store.requireEndpoint('v-007')).raw));

    const read = await s.store.getEndpoints([...names, 'legacy', 'never-written']);
    expect(read.size).toBe(232);
    expect(read.get('never-written')).toBeUndefined();
    expect(read.has('never-written')).toBe(true);
    expect(read.get('v-007')?.parsed.ok && read.get('v-007')?.generation).toBe(2);
    expect(read.get('v-229')?.name).toBe('v-229');
    expect(read.get('legacy')?.generation).toBe(0);
    s.clients.destroy();
  });
});

describe('conditional updates', () => {
  test('each update bumps generation and updated_at; desired state changes only when asked', async () => {
    const rec = await create('gamma');
    await t.store.setDesiredState('gamma', 1, 'stopped');
    const after = await t.store.updateSpec('gamma', 2, spec('vllm/vllm-openai:v0.7.0', { replicas: 3 }));
    expect(after.generation).toBe(3);
    expect(after.raw.desired_state).toBe('stopped');
    expect(String(after.raw.updated_at) >= String(rec.raw.updated_at)).toBe(true);
    const targets = await t.store.updateTargets('gamma', 3, ['eu-west-1', 'us-east-1', 'eu-west-1']);
    expect(targets.raw.target_regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(targets.raw.desired_state).toBe('stopped');
    expect(targets.generation).toBe(4);
  });

  test('a stale generation loses with ConflictError naming endpoint and generations', async () => {
    await create('delta');
    await t.store.updateSpec('delta', 1, spec('a:2'));
    const err = await t.store.updateSpec('delta', 1, spec('a:3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ endpointName: 'delta', expectedGeneration: 1, actualGeneration: 2 });
    expect((await t.store.requireEndpoint('delta')).raw.spec).toMatchObject({ image: 'a:2' });
  });

  // The race is between a condition check and its write in the server: one round rarely loses
  // it, so several rounds make a server that does not keep conditional writes atomic fail here.
  test('concurrent writers at the same generation: exactly one wins, every round', async () => {
    for (let round = 0; round < 12; round++) {
      const name = `epsilon-${round}`;
      await create(name);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => t.store.updateSpec(name, 1, spec(`img:${i}`))),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won, `round ${round}`).toHaveLength(1);
      expect(lost, `round ${round}`).toHaveLength(7);
      for (const l of lost) expect(l.reason).toBeInstanceOf(ConflictError);
      const final = await t.store.requireEndpoint(name);
      expect(final.generation).toBe(2);
      const winner = won[0]?.status === 'fulfilled' ? won[0].value.raw.spec : undefined;
      expect(final.raw.spec).toEqual(winner);
    }
  });

  test('update of a missing endpoint: NotFoundError', async () => {
    await expect(t.store.updateSpec('ghost', 1, spec())).rejects.toBeInstanceOf(NotFoundError);
  });

  test('an image change drops a stale region_image_uris map; an explicit new map is kept', async () => {
    await create('zeta', ['us-east-1', 'eu-west-1'], { region_image_uris: { 'eu-west-1': 'eu/img:1' } });
    const stored = await t.store.requireEndpoint('zeta');
    const old = stored.parsed.ok ? stored.parsed.value.spec : spec();
    const moved = await t.store.updateSpec('zeta', 1, { ...old, image: 'img:2' });
    expect(moved.raw.spec).not.toHaveProperty('region_image_uris');
    const mapped = await t.store.updateSpec('zeta', 2, {
      ...old,
      image: 'img:3',
      region_image_uris: { 'eu-west-1': 'eu/img:3' },
    });
    expect(mapped.raw.spec).toMatchObject({ image: 'img:3', region_image_uris: { 'eu-west-1': 'eu/img:3' } });
  });
});

describe('legacy items written by the Python tooling', () => {
  test('no generation and an embedded region_status: parses at 0, updates with attribute_not_exists', async () => {
    await t.clients.doc.send(
      new PutCommand({
        TableName: t.tables.endpoints,
        Item: {
          endpoint_name: 'legacy',
          desired_state: 'running',
          target_regions: ['us-east-1'],
          namespace: 'gco-inference',
          spec: {
            image: 'vllm/vllm-openai:v0.5.0',
            replicas: 2,
            region_image_uris: { 'us-east-1': 'x/y:1' },
          },
          region_status: {
            'us-east-1': { state: 'running', replicas_ready: 2, last_sync: '2024-01-01T00:00:00Z' },
          },
          created_at: '2024-01-01T00:00:00Z',
          updated_at: '2024-01-01T00:00:00Z',
        },
      }),
    );
    const rec = await t.store.requireEndpoint('legacy');
    expect(rec.generation).toBe(0);
    expect(rec.parsed.ok).toBe(true);
    if (!rec.parsed.ok) return;
    expect(rec.parsed.value.spec.replicas).toBe(2);
    await expect(t.store.updateSpec('legacy', 1, rec.parsed.value.spec)).rejects.toBeInstanceOf(
      ConflictError,
    );
    const next = await t.store.updateSpec('legacy', 0, {
      ...rec.parsed.value.spec,
      image: 'vllm/vllm-openai:v0.6.0',
    });
    expect(next.generation).toBe(1);
    expect(next.raw.desired_state).toBe('running');
    expect(next.raw.spec).not.toHaveProperty('region_image_uris');
    // The second writer who also read "no generation" loses.
    await expect(t.store.setDesiredState('legacy', 0, 'stopped')).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('purge', () => {
  test('only while desired_state = deleted and generation unchanged', async () => {
    await create('eta');
    await expect(t.store.purgeEndpoint('eta', 1)).rejects.toBeInstanceOf(ConflictError);
    const deleted = await t.store.setDesiredState('eta', 1, 'deleted');
    await expect(t.store.purgeEndpoint('eta', 1)).rejects.toMatchObject({
      name: 'ConflictError',
      expectedGeneration: 1,
      actualGeneration: 2,
    });
    // A user re-creates nothing but edits it meanwhile: the purge must not take the newer item.
    await t.store.setDesiredState('eta', deleted.generation, 'deleted');
    await expect(t.store.purgeEndpoint('eta', deleted.generation)).rejects.toBeInstanceOf(ConflictError);
    await t.store.purgeEndpoint('eta', 3);
    expect(await t.store.getEndpoint('eta')).toBeUndefined();
    await expect(t.store.purgeEndpoint('eta', 3)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('unavailable', () => {
  test('a missing table and an unreachable server are StoreUnavailableError', async () => {
    const { openStore } = await import('../../src/store/index.js');
    const missing = openStore({
      tables: { endpoints: 'no-such-table', status: 'no-such-status' },
      endpoint: handle.env.dynamodb.endpoint,
    });
    await expect(missing.store.getEndpoint('x')).rejects.toBeInstanceOf(StoreUnavailableError);
    missing.clients.destroy();
    const down = openStore({ tables: t.tables, endpoint: 'http://127.0.0.1:9' });
    const err = await down.store.listEndpoints().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    down.clients.destroy();
  });
});
