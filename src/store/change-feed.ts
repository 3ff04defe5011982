// The change feeds: poll a table's DynamoDB Stream. The endpoints table's feed yields the names of
// endpoints that changed, each with the version and the item its new image carries and when it was
// written; the monitor decides whether that image is current enough to use or whether to re-read
// the item (controller/sources.ts). The status table's feed yields the status items themselves:
// they are reports, read only to gate a rollout.
import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException as TableNotFound,
} from '@aws-sdk/client-dynamodb';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  ResourceNotFoundException as StreamNotFound,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { delay } from '../async/delay.js';
import type { RegionStatus } from '../model/index.js';
import { itemVersion } from './endpoints-table.js';
import { classifyError, StoreUnavailableError } from './errors.js';
import { HEARTBEAT_KEY, itemToStatus } from './status-codec.js';
import { STREAM_VIEW_TYPE } from './tables.js';

export interface ChangeFeedOptions {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** The table (its LatestStreamArn is looked up); or pass streamArn. */
  readonly tableName: string;
  readonly streamArn?: string;
  /** Where to start in the shards open when the feed starts. New shards are always read from their start. */
  readonly start?: 'LATEST' | 'TRIM_HORIZON';
  /** Poll delay after an empty round, doubling up to maxPollMs. */
  readonly minPollMs?: number;
  readonly maxPollMs?: number;
  /** How often the shard list is refreshed. */
  readonly shardRefreshMs?: number;
  readonly signal?: AbortSignal;
  /** Called on a failed call before backing off (log it). */
  readonly onError?: (err: unknown) => void;
  /** Age of each record when read (now − its approximate creation time), for a lag metric. */
  readonly onRecordAge?: (seconds: number) => void;
  /**
   * Called once the feed holds an iterator for every shard open at its start: a change written
   * after this is seen; a read made before it may have missed one.
   */
  readonly onPositioned?: () => void;
}

interface ShardCursor {
  iterator: string | undefined;
  lastSequence: string | undefined;
  done: boolean;
}

export async function latestStreamArn(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  try {
    const out = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const arn = out.Table?.LatestStreamArn;
    if (!arn) {
      throw new StoreUnavailableError(
        `table ${tableName} has no stream; enable ${STREAM_VIEW_TYPE} (inferctl init does)`,
        {
          operation: 'DescribeTable',
          table: tableName,
        },
      );
    }
    return arn;
  } catch (err) {
    throw classifyError(err, 'DescribeTable', tableName);
  }
}

async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const out = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }),
    );
    shards.push(...(out.StreamDescription?.Shards ?? []));
    start = out.StreamDescription?.LastEvaluatedShardId;
  } while (start);
  return shards;
}

/** The version of a stream image (attribute-value form), the same string `itemVersion` gives for the item. */
function imageVersion(image: Record<string, unknown> | undefined): string | undefined {
  if (!image) return undefined;
  return itemVersion({
    generation: (image.generation as { N?: string } | undefined)?.N,
    updated_at: (image.updated_at as { S?: string } | undefined)?.S,
  });
}

/** Endpoint name of a stream record: from its keys, else from either image. */
function recordName(record: {
  dynamodb?: {
    Keys?: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
  };
}): string | undefined {
  for (const m of [record.dynamodb?.Keys, record.dynamodb?.NewImage, record.dynamodb?.OldImage]) {
    const v = m?.endpoint_name as { S?: string } | undefined;
    if (v?.S) return v.S;
  }
  return undefined;
}

/**
 * Yields endpoint names as they change, until the signal aborts. Errors are reported through
 * onError and retried with backoff; the feed never ends on its own. Missed records (a gap while
 * the monitor was down) are the periodic full resync's job.
 */
export async function* changeFeed(options: ChangeFeedOptions): AsyncGenerator<string, void, undefined> {
  for await (const names of changeFeedBatches(options)) yield* names;
}

/**
 * Like `changeFeed`, one batch per GetRecords answer (distinct names, in stream order), so a
 * reader can fetch a bulk change (a thousand endpoints created at once) in a few batch reads
 * instead of one read per name.
 */
export async function* changeFeedBatches(
  options: ChangeFeedOptions,
): AsyncGenerator<string[], void, undefined> {
  for await (const changes of changeFeedVersions(options)) yield changes.map((c) => c.name);
}

/** One endpoint's change in a batch: its name, and the version of its last new image in the batch. */
export interface ChangedItem {
  readonly name: string;
  /**
   * `generation|updated_at` of the new image (the form of `itemVersion`); undefined when the item
   * was removed or the record carries no new image.
   */
  readonly version: string | undefined;
  /** That new image as an item (what a read returns); undefined when `version` is. */
  readonly image?: Record<string, unknown> | undefined;
  /** When the record was written (its ApproximateCreationDateTime, epoch ms), if it says. */
  readonly writtenAt?: number | undefined;
}

/**
 * Like `changeFeedBatches`, with each name's version, so a reader that already holds that version
 * (a resync read the item after a bulk write) can skip the read. After ten thousand endpoints are
 * created, the feed otherwise re-reads every one of them, and a change made meanwhile waits
 * behind that backlog.
 */
export async function* changeFeedVersions(
  options: ChangeFeedOptions,
): AsyncGenerator<ChangedItem[], void, undefined> {
  for await (const records of streamRecords(options)) {
    const last = new Map<string, StreamRecord>();
    for (const record of records) {
      const name = recordName(record as Parameters<typeof recordName>[0]);
      if (!name) continue;
      last.delete(name); // keeps stream order by each name's last record
      last.set(name, record);
    }
    if (last.size === 0) continue;
    yield [...last].map(([name, record]) => {
      const image = record.eventName === 'REMOVE' ? undefined : record.dynamodb?.NewImage;
      const version = imageVersion(image as Record<string, unknown> | undefined);
      return {
        name,
        version,
        image:
          image && version !== undefined ? unmarshall(image as Parameters<typeof unmarshall>[0]) : undefined,
        writtenAt: record.dynamodb?.ApproximateCreationDateTime?.getTime(),
      };
    });
  }
}

/** One status item as the status feed saw it change: its new content, or undefined once removed. */
export interface StatusChange {
  readonly endpointName: string;
  readonly region: string;
  readonly status: RegionStatus | undefined;
}

/**
 * The status table's feed: each GetRecords answer's status items as written (heartbeats left out),
 * in stream order. Needs the stream's new images (STREAM_VIEW_TYPE).
 */
export async function* statusFeed(
  options: ChangeFeedOptions,
): AsyncGenerator<StatusChange[], void, undefined> {
  for await (const records of streamRecords(options)) {
    const changes: StatusChange[] = [];
    for (const record of records) {
      const keys = record.dynamodb?.Keys;
      const endpointName = keys?.endpoint_name?.S;
      const region = keys?.region?.S;
      if (!endpointName || !region || endpointName === HEARTBEAT_KEY) continue;
      const image = record.dynamodb?.NewImage;
      const status =
        record.eventName === 'REMOVE' || !image
          ? undefined
          : itemToStatus(unmarshall(image as Parameters<typeof unmarshall>[0]));
      changes.push({ endpointName, region, status });
    }
    if (changes.length > 0) yield changes;
  }
}

/**
 * The stream's records, one non-empty batch per GetRecords answer, until the signal aborts. Errors
 * are reported through onError and retried with backoff; the feed never ends on its own.
 */
async function* streamRecords(options: ChangeFeedOptions): AsyncGenerator<StreamRecord[], void, undefined> {
  const { streams, signal } = options;
  // A quiet stream is polled every 250 ms: a change after a quiet spell must not wait for a
  // backed-off poll (5 s made change latency p99 ≈ 5 s; 500 ms left p99 at ≈ 1 s, the target).
  // Cost: 4 GetRecords/s per leader (one reader per regional stream), within the 5 reads/s a
  // shard allows, and constant whatever the number of endpoints.
  const minPoll = options.minPollMs ?? 250;
  const maxPoll = options.maxPollMs ?? 250;
  const refreshMs = options.shardRefreshMs ?? 10_000;
  const cursors = new Map<string, ShardCursor>();
  let streamArn = options.streamArn;
  let firstListing = true;
  let lastRefresh = 0;
  let pause = minPoll;

  const report = (err: unknown) => options.onError?.(err);

  while (!signal?.aborted) {
    let sawRecords = false;
    try {
      if (!streamArn) streamArn = await latestStreamArn(options.dynamodb, options.tableName);
      if (
        Date.now() - lastRefresh >= refreshMs ||
        cursors.size === 0 ||
        [...cursors.values()].every((c) => c.done)
      ) {
        const shards = await listShards(streams, streamArn);
        for (const shard of shards) {
          const id = shard.ShardId;
          if (!id || cursors.has(id)) continue;
          // Shards seen at start begin where asked; shards that appear later are read from the start.
          const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
          const type: ShardIteratorType = firstListing ? (options.start ?? 'LATEST') : 'TRIM_HORIZON';
          if (firstListing && closed && type === 'LATEST') {
            cursors.set(id, { iterator: undefined, lastSequence: undefined, done: true });
            continue;
          }
          const it = await streams.send(
            new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ShardIteratorType: type }),
          );
          cursors.set(id, { iterator: it.ShardIterator, lastSequence: undefined, done: !it.ShardIterator });
        }
        if (firstListing) options.onPositioned?.();
        firstListing = false;
        lastRefresh = Date.now();
      }
      for (const [shardId, cursor] of cursors) {
        if (cursor.done || !cursor.iterator || signal?.aborted) continue;
        let out: GetRecordsCommandOutput;
        try {
          out = await streams.send(new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: 1000 }));
        } catch (err) {
          if (!(err instanceof ExpiredIteratorException)) throw err;
          const it = await streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shardId,
              ...(cursor.lastSequence
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequence }
                : { ShardIteratorType: 'TRIM_HORIZON' }),
            }),
          );
          cursor.iterator = it.ShardIterator;
          continue;
        }
        const records = out.Records ?? [];
        for (const record of records) {
          const created = record.dynamodb?.ApproximateCreationDateTime;
          if (created && options.onRecordAge)
            options.onRecordAge(Math.max(0, (Date.now() - new Date(created).getTime()) / 1000));
          if (record.dynamodb?.SequenceNumber) cursor.lastSequence = record.dynamodb.SequenceNumber;
        }
        cursor.iterator = out.NextShardIterator;
        if (!out.NextShardIterator) cursor.done = true;
        if (records.length > 0) {
          sawRecords = true;
          yield records;
        }
      }
      pause = sawRecords ? minPoll : Math.min(pause * 2, maxPoll);
    } catch (err) {
      report(classifyError(err, 'stream', options.tableName));
      if (err instanceof TableNotFound || err instanceof StreamNotFound) streamArn = options.streamArn;
      pause = Math.min(Math.max(pause * 2, minPoll * 4), maxPoll);
    }
    if (!sawRecords) await delay(pause, signal);
  }
}
