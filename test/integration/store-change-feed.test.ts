// The change feed reads the endpoints table's stream from the real server.
import { expect, test } from 'vitest';
import { parseSpecOrThrow } from '../../src/model/index.js';
import {
  type ChangedItem,
  changeFeed,
  changeFeedBatches,
  changeFeedVersions,
  itemVersion,
} from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { freshStore, type TestStore } from '../helpers/store.js';

const handle = useLocalEnv({ regions: [] });

/** The feed over a test store's endpoints table, from the stream's start, polled quickly. */
const feedOf = (t: TestStore, signal: AbortSignal) => ({
  dynamodb: t.clients.dynamodb,
  streams: t.clients.streams,
  tableName: t.tables.endpoints,
  start: 'TRIM_HORIZON' as const,
  minPollMs: 20,
  maxPollMs: 200,
  signal,
});

test('the change feed yields the names of endpoints written after it started', async () => {
  const t = await freshStore(handle.env.dynamodb.endpoint);
  const spec = parseSpecOrThrow({ image: 'img:1' });
  await t.store.createEndpoint({ name: 'before', spec, targetRegions: [], namespace: 'gco-inference' });

  const ac = new AbortController();
  const errors: unknown[] = [];
  const feed = changeFeed({ ...feedOf(t, ac.signal), onError: (e) => errors.push(e) });
  const seen: string[] = [];
  const deadline = setTimeout(() => ac.abort(), 20_000);
  for await (const name of feed) {
    seen.push(name);
    if (name === 'before') {
      await t.store.createEndpoint({ name: 'after', spec, targetRegions: [], namespace: 'gco-inference' });
    } else if (name === 'after' && seen.filter((n) => n === 'after').length === 1) {
      // A later modification is seen as a separate change of the same name.
      await t.store.setDesiredState('after', 1, 'stopped');
    }
    if (seen.filter((n) => n === 'after').length >= 2) break;
  }
  clearTimeout(deadline);
  ac.abort();
  expect(seen[0]).toBe('before');
  expect(seen.filter((n) => n === 'after')).toHaveLength(2);
  expect(errors).toEqual([]);
  t.clients.destroy();
});

test('a bulk write reaches the batch feed in few batches, each name once per batch', async () => {
  const t = await freshStore(handle.env.dynamodb.endpoint);
  const spec = parseSpecOrThrow({ image: 'img:1' });
  const names = Array.from({ length: 60 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
  // Written before the feed's first read (TRIM_HORIZON), so they sit in the shard together.
  for (const name of names)
    await t.store.createEndpoint({ name, spec, targetRegions: [], namespace: 'gco-inference' });
  await t.store.setDesiredState('bulk-00', 1, 'stopped');

  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(), 20_000);
  const batches: string[][] = [];
  for await (const batch of changeFeedBatches(feedOf(t, ac.signal))) {
    batches.push(batch);
    if (new Set(batches.flat()).size >= names.length) break;
  }
  clearTimeout(deadline);
  ac.abort();
  expect(new Set(batches.flat())).toEqual(new Set(names));
  // 61 records (60 creates and one update of bulk-00) in one GetRecords answer: one batch, and
  // bulk-00 appears once in it.
  expect(batches).toHaveLength(1);
  expect(batches[0]).toHaveLength(60);
  t.clients.destroy();
});

test("each change carries its new image's version and item, equal to the item read back, and when it was written; a removal carries neither", async () => {
  const t = await freshStore(handle.env.dynamodb.endpoint);
  const spec = parseSpecOrThrow({ image: 'img:1' });
  await t.store.createEndpoint({ name: 'v-1', spec, targetRegions: [], namespace: 'gco-inference' });
  await t.store.setDesiredState('v-1', 1, 'stopped');
  await t.store.createEndpoint({ name: 'v-2', spec, targetRegions: [], namespace: 'gco-inference' });
  const read = await t.store.requireEndpoint('v-1');
  await t.store.setDesiredState('v-2', 1, 'deleted');
  await t.store.purgeEndpoint('v-2', 2);

  const written = Date.now();
  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(), 20_000);
  const seen = new Map<string, ChangedItem>();
  for await (const batch of changeFeedVersions(feedOf(t, ac.signal))) {
    for (const c of batch) seen.set(c.name, c);
    if (seen.has('v-1') && seen.has('v-2') && seen.get('v-2')?.version === undefined) break;
  }
  clearTimeout(deadline);
  ac.abort();
  // The last record of v-1 is the update to 'stopped': the version and item the monitor would read.
  const v1 = seen.get('v-1')!;
  expect(v1.version).toBe(itemVersion(read.raw));
  expect(v1.version).toMatch(/^2\|\d{4}-/);
  expect(v1.image).toEqual(read.raw);
  // Written within the test's few seconds (the server's clock is this machine's).
  expect(Math.abs((v1.writtenAt ?? 0) - written)).toBeLessThan(20_000);
  expect(seen.has('v-2')).toBe(true);
  expect(seen.get('v-2')?.version).toBeUndefined();
  expect(seen.get('v-2')?.image).toBeUndefined();
  t.clients.destroy();
});
