// The local DynamoDB server expires shard iterators as DynamoDB does, 15 minutes after it issues
// them, so the iterators a follower is given with every GetRecords do not pile up in it for as
// long as it runs. This file's server gives them 2 seconds.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, test } from 'vitest';
import { useLocalEnv } from '../helpers/local-env.js';
import { freshStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const LIFETIME_VARIABLE = 'INFERCTL_DYNAMODB_ITERATOR_SECONDS';
process.env[LIFETIME_VARIABLE] = '2';
const handle = useLocalEnv({ regions: [] });
// Only this file's server: a later file in the same worker starts its own with the default.
beforeAll(() => {
  delete process.env[LIFETIME_VARIABLE];
});

test('a shard iterator serves until its lifetime ends, is then refused as expired, and the stream reads on', async () => {
  const { clients, tables } = await freshStore(handle.env.dynamodb.endpoint);
  const { doc, dynamodb, streams } = clients;
  const described = await dynamodb.send(new DescribeTableCommand({ TableName: tables.endpoints }));
  const streamArn = described.Table?.LatestStreamArn;
  const shards = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shardId = shards.StreamDescription?.Shards?.[0]?.ShardId;
  const fromStart = () =>
    streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
  const first = (await fromStart()).ShardIterator;
  await doc.send(new PutCommand({ TableName: tables.endpoints, Item: { endpoint_name: 'kept', v: 1 } }));

  // An iterator may be used more than once while it lives.
  const read = await streams.send(new GetRecordsCommand({ ShardIterator: first }));
  expect(read.Records?.map((r) => r.dynamodb?.Keys?.endpoint_name?.S)).toEqual(['kept']);

  const refused = await waitFor(
    'the first iterator to be refused as expired',
    async () => {
      try {
        await streams.send(new GetRecordsCommand({ ShardIterator: first }));
        return false;
      } catch (err) {
        if (err instanceof ExpiredIteratorException) return err;
        throw err;
      }
    },
    30_000,
  );
  expect(refused.name).toBe('ExpiredIteratorException');

  // The stream itself is untouched: a new iterator reads the same record.
  const again = await streams.send(
    new GetRecordsCommand({ ShardIterator: (await fromStart()).ShardIterator }),
  );
  expect(again.Records?.map((r) => r.dynamodb?.Keys?.endpoint_name?.S)).toEqual(['kept']);
  clients.destroy();
});
