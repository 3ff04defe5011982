// Follows the status table through its DynamoDB Stream (the one the monitors' status feed reads,
// see ensureStream), so the bench sees every status write within ~250 ms without scanning the
// whole table in a loop. A scan of
// 3 000 items every 200 ms kept the single-threaded local DynamoDB server busy and slowed the very
// status writes it was timing.

import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { RegionStatus } from '../src/model/index.js';
import { ensureStream } from '../src/store/index.js';
import { itemToStatus } from '../src/store/status-codec.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The status table's stream ARN; ensureTables already enabled it (idempotent). */
export function enableStatusStream(dynamodb: DynamoDBClient, table: string): Promise<string> {
  return ensureStream(dynamodb, table);
}

/**
 * Calls `onStatus` for every status item written after the stream was enabled, until `stop()`,
 * with the time the server stored it (the record's creation time, epoch ms). Reads every shard
 * from its start (the table is new); refreshes the shard list every 5 s.
 */
export function followStatus(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  onStatus: (status: RegionStatus, writtenAt: number) => void,
): { stop: () => Promise<void> } {
  let stopped = false;
  const iterators = new Map<string, string | undefined>();
  const loop = (async () => {
    let lastRefresh = 0;
    while (!stopped) {
      if (Date.now() - lastRefresh > 5_000) {
        const d = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
        for (const shard of d.StreamDescription?.Shards ?? []) {
          if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
          const it = await streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shard.ShardId,
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          );
          iterators.set(shard.ShardId, it.ShardIterator);
        }
        lastRefresh = Date.now();
      }
      let records = 0;
      for (const [shard, iterator] of iterators) {
        if (!iterator) continue;
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        iterators.set(shard, out.NextShardIterator);
        for (const r of out.Records ?? []) {
          const image = r.dynamodb?.NewImage;
          if (!image) continue;
          records++;
          const item = unmarshall(image as Record<string, AttributeValue>);
          if (item.endpoint_name === '_region') continue; // heartbeat
          onStatus(itemToStatus(item), r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now());
        }
      }
      // Every 250 ms (at once after a full batch): each GetRecords costs the single-threaded
      // local server a few ms, and the bench must not compete with the monitors it measures.
      if (records < 1000) await sleep(250);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
