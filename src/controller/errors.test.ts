import { describe, expect, test } from 'vitest';
import { KubeApiError, KubeTransportError, NotLeaderError } from '../kube/index.js';
import { Reason } from '../model/index.js';
import { StoreUnavailableError } from '../store/index.js';
import { type Classification, classify, ReconcileError, TerminalError, toQueueResult } from './errors.js';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'llama' };
const apiError = (status: number, reason: string, retryAfterSeconds?: number) =>
  new KubeApiError(status, reason, 'apply', ref, 'the server says no', retryAfterSeconds);
const failedWrite = (cause: unknown) =>
  new ReconcileError('llama', Reason.ApplyFailed, 'apply Deployment ns/llama: …', { cause });

describe('classify', () => {
  test.each<[string, unknown, Classification]>([
    [
      'a terminal error is terminal, with its reason',
      new TerminalError(Reason.InvalidSpec, 'x'),
      { kind: 'terminal', reason: Reason.InvalidSpec },
    ],
    [
      'an object refused as Invalid (422) is terminal',
      apiError(422, 'Invalid'),
      { kind: 'terminal', reason: Reason.ApplyRejected },
    ],
    [
      'an object refused as BadRequest (400) is terminal',
      apiError(400, 'BadRequest'),
      { kind: 'terminal', reason: Reason.ApplyRejected },
    ],
    [
      'a write that failed as invalid is terminal',
      failedWrite(apiError(422, 'Invalid')),
      { kind: 'terminal', reason: Reason.ApplyRejected },
    ],
    [
      'a throttled request with Retry-After is waiting',
      apiError(429, 'TooManyRequests', 3),
      { kind: 'waiting', afterMs: 3000 },
    ],
    [
      'a write throttled with Retry-After is waiting',
      failedWrite(apiError(429, 'TooManyRequests', 2)),
      { kind: 'waiting', afterMs: 2000 },
    ],
    [
      'a throttled request without Retry-After is transient',
      apiError(429, 'TooManyRequests'),
      { kind: 'transient' },
    ],
    ['a server error is transient', apiError(500, 'InternalError'), { kind: 'transient' }],
    ['a forbidden write is transient (RBAC may be fixed)', apiError(403, 'Forbidden'), { kind: 'transient' }],
    ['a conflict is transient', apiError(409, 'Conflict'), { kind: 'transient' }],
    [
      'no answer from the API server is transient',
      new KubeTransportError('apply', ref, { cause: new Error('ECONNREFUSED') }),
      { kind: 'transient' },
    ],
    [
      'a write that got no answer is transient',
      failedWrite(new KubeTransportError('apply', ref, { cause: 'reset' })),
      { kind: 'transient' },
    ],
    [
      'the store unavailable is transient',
      new StoreUnavailableError('throttled', { operation: 'PutItem' }),
      { kind: 'transient' },
    ],
    ['a lost lease is not-leader', new NotLeaderError('me', 'apply', ref), { kind: 'not-leader' }],
    ['anything unknown is transient', new Error('boom'), { kind: 'transient' }],
    ['a thrown string is transient', 'boom', { kind: 'transient' }],
  ])('%s', (_case, err, expected) => {
    expect(classify(err)).toEqual(expected);
  });

  test('an error merely named like a known class is not taken for it', () => {
    const impostor = Object.assign(new Error('x'), { name: 'NotLeaderError' });
    expect(classify(impostor)).toEqual({ kind: 'transient' });
  });
});

describe('toQueueResult', () => {
  test.each([
    ['success forgets the key', {}, undefined, { kind: 'forget' }],
    [
      'success with a requeue delay requeues',
      { requeueAfterMs: 500 },
      undefined,
      { kind: 'requeueAfter', ms: 500 },
    ],
    ['terminal drops', undefined, new TerminalError(Reason.InvalidSpec, 'x'), { kind: 'drop' }],
    ['not-leader drops', undefined, new NotLeaderError('me', 'apply', ref), { kind: 'drop' }],
    [
      'waiting requeues after the delay',
      undefined,
      apiError(429, 'TooManyRequests', 1),
      { kind: 'requeueAfter', ms: 1000 },
    ],
    ['transient retries with backoff', undefined, apiError(503, 'ServiceUnavailable'), { kind: 'retry' }],
  ])('%s', (_case, result, err, expected) => {
    expect(toQueueResult(result, err)).toEqual(expected);
  });
});
