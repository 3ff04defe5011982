// The status table's stream on the real server: `ensureTables` gives a status table made without
// a stream one (idempotently), and the status feed yields the items as written, heartbeats left out.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { expect, test } from 'vitest';
import type { RegionStatus } from '../../src/model/index.js';
import {
  ensureTables,
  openStore,
  type StatusChange,
  statusFeed,
  tableDefinitions,
} from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { regionStatus } from '../helpers/region-status.js';
import { freshStore } from '../helpers/store.js';

const handle = useLocalEnv({ regions: [] });

const status = (endpointName: string, region: string, generation: number): RegionStatus =>
  regionStatus({
    endpointName,
    region,
    observedGeneration: generation,
    healthySince: '2026-11-30T12:00:00.000Z',
    lastSync: new Date().toISOString(),
  });

test('a status table made before it had a stream gets one from ensureTables, once', async () => {
  const suffix = randomUUID().slice(0, 8);
  const tables = { endpoints: `sf-endpoints-${suffix}`, status: `sf-status-${suffix}` };
  const { clients } = openStore({ tables, endpoint: handle.env.dynamodb.endpoint, region: 'us-east-1' });
  try {
    const { StreamSpecification: _none, ...old } = tableDefinitions(tables).status;
    await clients.dynamodb.send(new CreateTableCommand(old));
    const describe = async () =>
      (await clients.dynamodb.send(new DescribeTableCommand({ TableName: tables.status }))).Table;
    expect((await describe())?.StreamSpecification?.StreamEnabled ?? false).toBe(false);

    await ensureTables(clients.dynamodb, tables);
    const first = await describe();
    expect(first?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    // Again: nothing to do, the same stream.
    await ensureTables(clients.dynamodb, tables);
    expect((await describe())?.LatestStreamArn).toBe(first?.LatestStreamArn);
  } finally {
    clients.destroy();
  }
});

test('the status feed yields status items as written (and removed), and no heartbeat', async () => {
  const t = await freshStore(handle.env.dynamodb.endpoint);
  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(), 20_000);
  const errors: unknown[] = [];
  const seen: StatusChange[] = [];
  let positioned = false;
  try {
    const feed = statusFeed({
      dynamodb: t.clients.dynamodb,
      streams: t.clients.streams,
      tableName: t.tables.status,
      start: 'LATEST',
      minPollMs: 20,
      maxPollMs: 200,
      signal: ac.signal,
      onError: (e) => errors.push(e),
      onPositioned: () => {
        positioned = true;
        // Written once the feed reads every shard, so LATEST sees them.
        void (async () => {
          await t.store.putHeartbeat('eu-west-1', 'mon-b');
          await t.store.putStatusIfChanged(status('llm', 'eu-west-1', 3));
          await t.store.deleteStatus('llm', 'eu-west-1');
        })();
      },
    });
    for await (const batch of feed) {
      seen.push(...batch);
      if (seen.some((c) => c.status === undefined)) break;
    }
  } finally {
    clearTimeout(deadline);
    ac.abort();
    t.clients.destroy();
  }
  expect(positioned).toBe(true);
  expect(errors).toEqual([]);
  expect(seen.map((c) => [c.endpointName, c.region, c.status?.observedGeneration])).toEqual([
    ['llm', 'eu-west-1', 3],
    ['llm', 'eu-west-1', undefined],
  ]);
  expect(seen[0]?.status?.healthySince).toBe('2026-11-30T12:00:00.000Z');
});
