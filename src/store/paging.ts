// Reads that span pages: a consistent Scan or Query follows LastEvaluatedKey to the end.
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { classified } from './errors.js';

export type Item = Record<string, unknown>;

/** Each page of a consistent Scan, following LastEvaluatedKey to the end. */
export async function* scanPages(
  doc: DynamoDBDocumentClient,
  table: string,
  input: Omit<ScanCommandInput, 'TableName' | 'ConsistentRead' | 'ExclusiveStartKey'>,
): AsyncGenerator<Item[]> {
  let startKey: Item | undefined;
  do {
    const out = await classified('Scan', table, () =>
      doc.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          ...input,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    );
    yield out.Items ?? [];
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}

/** Every item under one hash key (consistent, all pages). */
export async function queryAll(doc: DynamoDBDocumentClient, table: string, hashKey: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const out = await classified('Query', table, () =>
      doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'endpoint_name = :n',
          ExpressionAttributeValues: { ':n': hashKey },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}
