// Foundation smoke test: the local DynamoDB server speaks enough of the API for the store —
// tables with streams, conditional writes, paginated scans past 1 MB, stream records.
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { expect, test } from 'vitest';
import { useLocalEnv } from '../helpers/local-env.js';
import { freshStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const handle = useLocalEnv({ regions: [] });

test('table with a stream, conditional put, >1 MB scan paginates, stream record is read', async () => {
  const { clients, tables } = await freshStore(handle.env.dynamodb.endpoint);
  const { doc, dynamodb, streams } = clients;

  const described = await dynamodb.send(new DescribeTableCommand({ TableName: tables.endpoints }));
  expect(described.Table?.StreamSpecification).toMatchObject({
    StreamEnabled: true,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  });
  const streamArn = described.Table?.LatestStreamArn;
  expect(streamArn).toBeTruthy();
  const shards = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shardId = shards.StreamDescription?.Shards?.[0]?.ShardId;
  expect(shardId).toBeTruthy();
  const iter = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );

  await doc.send(new PutCommand({ TableName: tables.endpoints, Item: { endpoint_name: 'smoke', v: 1 } }));
  await expect(
    doc.send(
      new PutCommand({
        TableName: tables.endpoints,
        Item: { endpoint_name: 'smoke', v: 2 },
        ConditionExpression: 'attribute_not_exists(endpoint_name)',
      }),
    ),
    // The SDK's own class: the store tells a lost condition by class, never by name.
  ).rejects.toBeInstanceOf(ConditionalCheckFailedException);

  const record = await waitFor('a stream record for smoke', async () => {
    const out = await streams.send(new GetRecordsCommand({ ShardIterator: iter.ShardIterator }));
    return out.Records?.find((r) => r.dynamodb?.Keys?.endpoint_name?.S === 'smoke');
  });
  expect(record.eventName).toBe('INSERT');
  expect(record.dynamodb?.NewImage?.v?.N).toBe('1');

  // 150 items of ~10 KB: about 1.5 MB, more than one Scan page.
  const blob = 'x'.repeat(10_000);
  for (let i = 0; i < 150; i += 25) {
    const batch = Array.from({ length: 25 }, (_, j) => ({
      PutRequest: { Item: { endpoint_name: `big-${String(i + j).padStart(3, '0')}`, blob } },
    }));
    await doc.send(new BatchWriteCommand({ RequestItems: { [tables.endpoints]: batch } }));
  }
  let pages = 0;
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ TableName: tables.endpoints, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    pages++;
    count += out.Items?.length ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  expect(pages).toBeGreaterThan(1);
  expect(count).toBe(151);
  clients.destroy();
});

test('a cancelled transaction writes nothing, leaves no stream record, and the stream goes on', async () => {
  const { clients, tables } = await freshStore(handle.env.dynamodb.endpoint);
  const { doc, dynamodb, streams } = clients;
  await doc.send(new PutCommand({ TableName: tables.endpoints, Item: { endpoint_name: 'tx', v: 1 } }));
  await doc.send(new PutCommand({ TableName: tables.endpoints, Item: { endpoint_name: 'taken', v: 1 } }));
  // A follower positioned before the transaction, as a monitor's change feed is.
  const described = await dynamodb.send(new DescribeTableCommand({ TableName: tables.endpoints }));
  const streamArn = described.Table?.LatestStreamArn;
  const shards = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  let iterator = (
    await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shards.StreamDescription?.Shards?.[0]?.ShardId,
        ShardIteratorType: 'LATEST',
      }),
    )
  ).ShardIterator;

  // The first two writes succeed on their own (an update, and an insert into a table with a
  // range key); the third loses its condition, so the whole transaction is cancelled.
  await expect(
    doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tables.endpoints,
              Key: { endpoint_name: 'tx' },
              UpdateExpression: 'SET v = :two',
              ExpressionAttributeValues: { ':two': 2 },
            },
          },
          {
            Put: { TableName: tables.status, Item: { endpoint_name: 'tx', region: 'us-east-1', state: 'x' } },
          },
          {
            Put: {
              TableName: tables.endpoints,
              Item: { endpoint_name: 'taken', v: 2 },
              ConditionExpression: 'attribute_not_exists(endpoint_name)',
            },
          },
        ],
      }),
    ),
  ).rejects.toBeInstanceOf(TransactionCanceledException);
  const tx = await doc.send(new GetCommand({ TableName: tables.endpoints, Key: { endpoint_name: 'tx' } }));
  expect(tx.Item).toEqual({ endpoint_name: 'tx', v: 1 });
  const status = await doc.send(
    new GetCommand({ TableName: tables.status, Key: { endpoint_name: 'tx', region: 'us-east-1' } }),
  );
  expect(status.Item).toBeUndefined();

  await doc.send(new PutCommand({ TableName: tables.endpoints, Item: { endpoint_name: 'after', v: 1 } }));
  const seen: _Record[] = [];
  await waitFor('the write after the cancelled transaction on the stream', async () => {
    const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    iterator = out.NextShardIterator;
    seen.push(...(out.Records ?? []));
    return seen.some((r) => r.dynamodb?.Keys?.endpoint_name?.S === 'after') || undefined;
  });
  expect(seen.map((r) => `${r.eventName} ${r.dynamodb?.Keys?.endpoint_name?.S}`)).toEqual(['INSERT after']);
  clients.destroy();
});

test('the server counts the requests it serves by the key that signed them, heartbeats apart', async () => {
  const { clients, tables, endpoint } = await freshStore(handle.env.dynamodb.endpoint);
  const key = `counted-${Date.now().toString(36)}`;
  const counted = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: key, secretAccessKey: 'x' },
    }),
  );
  const countsOf = async () => {
    const res = await fetch(`${endpoint}/_inferctl/requests`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      requests: Record<string, Record<string, number>>;
      heartbeats: Record<string, number>;
    };
    return { requests: body.requests[key], heartbeats: body.heartbeats[key] };
  };
  expect(await countsOf()).toEqual({ requests: undefined, heartbeats: undefined });

  await counted.send(new PutCommand({ TableName: tables.endpoints, Item: { endpoint_name: 'a', v: 1 } }));
  await counted.send(
    new PutCommand({
      TableName: tables.status,
      Item: { endpoint_name: '_region', region: 'us-east-1', at: 1 },
    }),
  );
  await counted.send(new GetCommand({ TableName: tables.endpoints, Key: { endpoint_name: 'a' } }));
  // Another key's requests are its own.
  await clients.doc.send(new GetCommand({ TableName: tables.endpoints, Key: { endpoint_name: 'a' } }));

  expect(await countsOf()).toEqual({ requests: { PutItem: 2, GetItem: 1 }, heartbeats: 1 });
  counted.destroy();
  clients.destroy();
});
