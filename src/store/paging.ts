// Reads that span pages: a consistent Scan or Query follows LastEvaluatedKey to the end.
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
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

/**
 * Each page of a consistent Query under one endpoint name, following LastEvaluatedKey to the end;
 * `range` narrows it to generations ≤ a bound (the revisions table's range key).
 */
export async function* queryPages(
  doc: DynamoDBDocumentClient,
  table: string,
  hashKey: string,
  input: Omit<
    QueryCommandInput,
    | 'TableName'
    | 'ConsistentRead'
    | 'ExclusiveStartKey'
    | 'KeyConditionExpression'
    | 'ExpressionAttributeValues'
  > & { readonly generationAtMost?: number } = {},
): AsyncGenerator<Item[]> {
  const { generationAtMost, ...rest } = input;
  const bounded = generationAtMost !== undefined;
  let startKey: Item | undefined;
  do {
    const out = await classified('Query', table, () =>
      doc.send(
        new QueryCommand({
          TableName: table,
          ConsistentRead: true,
          KeyConditionExpression: bounded ? 'endpoint_name = :n AND generation <= :g' : 'endpoint_name = :n',
          ExpressionAttributeValues: bounded ? { ':n': hashKey, ':g': generationAtMost } : { ':n': hashKey },
          ...rest,
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
  for await (const page of queryPages(doc, table, hashKey)) items.push(...page);
  return items;
}
