import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from 'vitest';
import { classifyError, isTransactionLost, StoreUnavailableError } from './errors.js';

describe('classifyError', () => {
  test('a missing region says which variable to set, once, without a second "error:"', () => {
    // What the SDK throws when neither the client nor the environment names a region.
    const err = classifyError(new Error('Region is missing'), 'Scan', 'endpoints');
    expect(err).toBeInstanceOf(StoreUnavailableError);
    const message = (err as Error).message;
    expect(message).toBe(
      'no AWS region for DynamoDB (Scan): set DYNAMODB_REGION (or AWS_REGION) to the region of the tables',
    );
    expect(message.match(/DYNAMODB_REGION/g)).toHaveLength(1);
    expect(message).not.toMatch(/error:/i);
  });

  test('a named SDK error keeps its name; a plain one is not labelled "error:"', () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    expect((classifyError(throttled, 'GetItem') as Error).message).toBe(
      'DynamoDB unavailable during GetItem: ThrottlingException: slow down',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    expect((classifyError(refused, 'Scan') as Error).message).toBe(
      'DynamoDB unavailable during Scan: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8000',
    );
    const credentials = new Error('Could not load credentials from any providers');
    expect((classifyError(credentials, 'Scan') as Error).message).toBe(
      'DynamoDB unavailable during Scan: Could not load credentials from any providers',
    );
  });

  test('anything else passes through unchanged', () => {
    const odd = new Error('something else');
    expect(classifyError(odd, 'Scan')).toBe(odd);
  });
});

describe('isTransactionLost', () => {
  // The SDK's own class, as its deserializer builds it from the server's answer.
  const cancelled = (...codes: string[]) =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: codes.map((Code) => ({ Code })),
    });

  test('a failed condition or a concurrent transaction on an item: another writer won', () => {
    expect(isTransactionLost(cancelled('ConditionalCheckFailed', 'None'))).toBe(true);
    expect(isTransactionLost(cancelled('None', 'TransactionConflict'))).toBe(true);
  });

  test('a cancellation for any other reason, or another error, is not a lost race', () => {
    expect(isTransactionLost(cancelled('None', 'ValidationError'))).toBe(false);
    expect(isTransactionLost(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }))).toBe(
      false,
    );
    // Only the class counts, not a name that looks like it.
    expect(
      isTransactionLost(
        Object.assign(new Error('x'), {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
        }),
      ),
    ).toBe(false);
  });
});
