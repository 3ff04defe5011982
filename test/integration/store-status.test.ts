// The status table through the Store: put-if-changed, per-endpoint and full listings, heartbeats.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RegionStatus } from '../../src/model/index.js';
import { DynamoStore, openStore, StoreError } from '../../src/store/index.js';
import { startDynamoProxy } from '../helpers/dynamo-proxy.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { freshStore, type TestStore } from '../helpers/store.js';

const handle = useLocalEnv({ regions: [] });
let t: TestStore;
beforeAll(async () => {
  t = await freshStore(handle.env.dynamodb.endpoint);
});
afterAll(() => t?.clients.destroy());

const status = (over: Partial<RegionStatus> = {}): RegionStatus => ({
  endpointName: 'alpha',
  region: 'us-east-1',
  state: 'creating',
  replicasReady: 0,
  replicasDesired: 2,
  observedGeneration: 1,
  ingressPulled: false,
  conditions: [
    {
      type: 'Ready',
      status: 'False',
      reason: 'Progressing',
      message: '0/2 ready',
      lastTransitionTime: '2025-01-01T00:00:00.000Z',
    },
  ],
  lastSync: '2025-01-01T00:00:00.000Z',
  lastTransition: '2025-01-01T00:00:00.000Z',
  ...over,
});

const rawItem = async (name: string, region: string, on: TestStore = t) =>
  (
    await on.clients.doc.send(
      new GetCommand({
        TableName: on.tables.status,
        Key: { endpoint_name: name, region },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('putStatusIfChanged', () => {
  test('first put writes; an identical put (only last_sync differs) writes nothing', async () => {
    expect(await t.store.putStatusIfChanged(status())).toEqual({ written: true });
    const before = await rawItem('alpha', 'us-east-1');
    expect(before).toMatchObject({
      state: 'creating',
      replicas_desired: 2,
      observed_generation: 1,
      ingress_pulled: false,
    });
    expect(await t.store.putStatusIfChanged(status({ lastSync: '2025-01-01T00:05:00.000Z' }))).toEqual({
      written: false,
    });
    expect(await rawItem('alpha', 'us-east-1')).toEqual(before);

    // A fresh process (a new leader) has no cache: it reads, compares, and still writes nothing.
    const other = new DynamoStore({ doc: t.clients.doc, tables: t.tables, ownRegion: 'us-east-1' });
    expect(await other.putStatusIfChanged(status({ lastSync: '2025-01-01T00:06:00.000Z' }))).toEqual({
      written: false,
    });
    expect(await rawItem('alpha', 'us-east-1')).toEqual(before);

    const changed = status({
      state: 'running',
      replicasReady: 2,
      lastSync: '2025-01-01T00:07:00.000Z',
      error: undefined,
    });
    expect(await other.putStatusIfChanged(changed)).toEqual({ written: true });
    expect(await rawItem('alpha', 'us-east-1')).toMatchObject({
      state: 'running',
      replicas_ready: 2,
      last_sync: '2025-01-01T00:07:00.000Z',
    });
    // The first store's cache is stale (it would skip the write); after a leadership change it is
    // invalidated, so the store re-reads and writes its content.
    t.store.invalidateStatusCache();
    expect(await t.store.putStatusIfChanged(status({ lastSync: '2025-01-01T00:08:00.000Z' }))).toEqual({
      written: true,
    });
    expect(await rawItem('alpha', 'us-east-1')).toMatchObject({ state: 'creating' });
  });

  test('a stale cache entry is caught by the compare-and-set on last_sync', async () => {
    const a = new DynamoStore({ doc: t.clients.doc, tables: t.tables });
    const b = new DynamoStore({ doc: t.clients.doc, tables: t.tables });
    const s0 = status({ endpointName: 'cas' });
    expect(await a.putStatusIfChanged(s0)).toEqual({ written: true });
    expect(
      await b.putStatusIfChanged({
        ...s0,
        state: 'running',
        replicasReady: 2,
        lastSync: '2025-01-01T00:01:00.000Z',
      }),
    ).toEqual({ written: true });
    // a's cache says "creating @ 00:00"; its new content differs, the CAS fails, it re-reads and writes.
    expect(
      await a.putStatusIfChanged({ ...s0, state: 'updating', lastSync: '2025-01-01T00:02:00.000Z' }),
    ).toEqual({ written: true });
    expect(await rawItem('cas', 'us-east-1')).toMatchObject({
      state: 'updating',
      last_sync: '2025-01-01T00:02:00.000Z',
    });
  });

  test('after loadStatusOf, writes compare against the scan without reading; a write by another replica is still caught', async () => {
    const fresh = await freshStore(handle.env.dynamodb.endpoint);
    const gets: string[] = [];
    fresh.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand') gets.push(context.commandName);
        return next(args);
      },
      { step: 'initialize', name: 'countGets' },
    );
    const other = new DynamoStore({ doc: fresh.clients.doc, tables: fresh.tables });
    const mine = new DynamoStore({ doc: fresh.clients.doc, tables: fresh.tables, ownRegion: 'us-east-1' });
    await other.putStatusIfChanged(status({ endpointName: 'old' }));
    await other.putStatusIfChanged(status({ endpointName: 'old', region: 'eu-west-1' }));
    gets.length = 0;

    const loaded = await mine.loadStatusOf('us-east-1');
    expect(loaded.map((s) => `${s.endpointName}/${s.region}`)).toEqual(['old/us-east-1']);
    // Same content as the scanned item: nothing written, nothing read.
    expect(
      await mine.putStatusIfChanged(status({ endpointName: 'old', lastSync: '2025-02-01T00:00:00.000Z' })),
    ).toEqual({
      written: false,
    });
    // A new endpoint: written at once.
    expect(await mine.putStatusIfChanged(status({ endpointName: 'new' }))).toEqual({ written: true });
    expect(gets).toEqual([]);

    // Another replica creates an item after the scan: the conditional put fails, one read, then written.
    await other.putStatusIfChanged(status({ endpointName: 'late', state: 'running' }));
    gets.length = 0;
    expect(
      await mine.putStatusIfChanged(
        status({ endpointName: 'late', state: 'updating', lastSync: '2025-03-01T00:00:00.000Z' }),
      ),
    ).toEqual({ written: true });
    expect(gets).toHaveLength(1);
    const late = await fresh.clients.doc.send(
      new GetCommand({ TableName: fresh.tables.status, Key: { endpoint_name: 'late', region: 'us-east-1' } }),
    );
    expect(late.Item).toMatchObject({ state: 'updating' });
    fresh.clients.destroy();
  });

  test('a throttled write keeps what the store knew of the item: the retry is one PutItem, no read', async () => {
    const proxy = await startDynamoProxy(handle.env.dynamodb.endpoint);
    const { store, clients } = openStore({ tables: t.tables, endpoint: proxy.endpoint, region: 'us-east-1' });
    const sent: string[] = [];
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    try {
      const s0 = status({ endpointName: 'throttled' });
      expect(await store.putStatusIfChanged(s0)).toEqual({ written: true });
      proxy.setMode({ kind: 'throttle', fraction: 1 });
      const next = { ...s0, state: 'running' as const, lastSync: '2025-01-01T00:05:00.000Z' };
      await expect(store.putStatusIfChanged(next)).rejects.toMatchObject({ name: 'StoreUnavailableError' });
      proxy.setMode({ kind: 'pass' });
      sent.length = 0;
      expect(await store.putStatusIfChanged(next)).toEqual({ written: true });
      expect(sent).toEqual(['PutItemCommand']);
      expect(await rawItem('throttled', 'us-east-1')).toMatchObject({ state: 'running' });
    } finally {
      clients.destroy();
      await proxy.close();
    }
  });

  test("a monitor bound to one region may not write another region's item", async () => {
    const east = new DynamoStore({ doc: t.clients.doc, tables: t.tables, ownRegion: 'us-east-1' });
    await expect(east.putStatusIfChanged(status({ region: 'eu-west-1' }))).rejects.toBeInstanceOf(StoreError);
    expect(await rawItem('alpha', 'eu-west-1')).toBeUndefined();
  });

  test('round-trips every field through snake_case', async () => {
    const full = status({
      endpointName: 'beta',
      region: 'eu-west-1',
      canaryReady: 1,
      canaryWeight: 20,
      unreadySince: '2025-01-01T00:01:00.000Z',
      ingressPulled: true,
      state: 'error',
      error: 'spec.port: must be an integer',
    });
    await t.store.putStatusIfChanged(full);
    expect(await rawItem('beta', 'eu-west-1')).toMatchObject({
      canary_ready: 1,
      canary_weight: 20,
      unready_since: full.unreadySince,
    });
    expect(await t.store.listStatus('beta')).toEqual([full]);
  });
});

describe('listing and heartbeats', () => {
  test('listStatus per endpoint, listAllStatus without heartbeat items', async () => {
    const s = await freshStore(handle.env.dynamodb.endpoint);
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      await s.store.putStatusIfChanged(status({ region }));
      await s.store.putStatusIfChanged(status({ endpointName: 'other', region }));
      await s.store.putHeartbeat(region, `monitor-${region}`);
    }
    expect((await s.store.listStatus('alpha')).map((x) => x.region)).toEqual([
      'eu-west-1',
      'us-east-1',
      'us-west-2',
    ]);
    const all = await s.store.listAllStatus();
    expect(all).toHaveLength(6);
    expect(all.every((x) => x.endpointName !== '_region')).toBe(true);
    s.clients.destroy();
  });

  test('listRegions flags regions whose heartbeat is older than the limit as stale', async () => {
    const s = await freshStore(handle.env.dynamodb.endpoint);
    const now = new Date('2025-06-01T12:00:00.000Z');
    await s.store.putHeartbeat('us-east-1', 'pod-a', new Date(now.getTime() - 30_000));
    await s.store.putHeartbeat('eu-west-1', 'pod-b', new Date(now.getTime() - 600_000));
    const regions = await s.store.listRegions({ now, staleAfterMs: 180_000 });
    expect(regions).toEqual([
      { region: 'eu-west-1', lastHeartbeat: '2025-06-01T11:50:00.000Z', identity: 'pod-b', alive: false },
      { region: 'us-east-1', lastHeartbeat: '2025-06-01T11:59:30.000Z', identity: 'pod-a', alive: true },
    ]);
    s.clients.destroy();
  });

  test('a heartbeat publishes the allowed namespaces and version (snake_case); a withdrawn one stays listed, not alive', async () => {
    const s = await freshStore(handle.env.dynamodb.endpoint);
    const now = new Date('2025-06-01T12:00:00.000Z');
    const beat = new Date(now.getTime() - 10_000);
    await s.store.putHeartbeat('us-east-1', 'pod-a_1', beat, {
      allowedNamespaces: ['team-a', 'team-b'],
      version: '0.1.0',
    });
    expect(await rawItem('_region', 'us-east-1', s)).toMatchObject({
      monitor_identity: 'pod-a_1',
      allowed_namespaces: ['team-a', 'team-b'],
      version: '0.1.0',
    });
    const alive = {
      region: 'us-east-1',
      lastHeartbeat: beat.toISOString(),
      identity: 'pod-a_1',
      allowedNamespaces: ['team-a', 'team-b'],
      version: '0.1.0',
    };
    expect(await s.store.listRegions({ now })).toEqual([{ ...alive, alive: true }]);

    // Another monitor's stop does not withdraw this one's heartbeat.
    expect(await s.store.withdrawHeartbeat('us-east-1', 'pod-b_2', now)).toBe(false);
    expect((await s.store.listRegions({ now }))[0]).toEqual({ ...alive, alive: true });

    expect(await s.store.withdrawHeartbeat('us-east-1', 'pod-a_1', now)).toBe(true);
    expect(await s.store.listRegions({ now })).toEqual([
      { ...alive, alive: false, withdrawnAt: now.toISOString() },
    ]);
    expect(await rawItem('_region', 'us-east-1', s)).toMatchObject({ withdrawn_at: now.toISOString() });

    // The next monitor's first heartbeat clears the withdrawal.
    await s.store.putHeartbeat('us-east-1', 'pod-c_3', now);
    const [back] = await s.store.listRegions({ now });
    expect(back).toEqual({
      region: 'us-east-1',
      lastHeartbeat: now.toISOString(),
      identity: 'pod-c_3',
      alive: true,
    });
    s.clients.destroy();
  });
});
