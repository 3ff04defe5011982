import { describe, expect, test } from 'vitest';
import { KubeClient } from './client.js';
import type { KubeAccess, KubeHttpResponse } from './connection.js';
import { KubeApiError, KubeTransportError } from './errors.js';

/** A transport whose next answer the test decides: a status, or no answer at all. */
function scriptedAccess(): KubeAccess & { next: number | 'refused' } {
  const access = {
    description: 'scripted',
    namespace: undefined,
    next: 200 as number | 'refused',
    async request(): Promise<KubeHttpResponse> {
      if (access.next === 'refused') throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      return { status: access.next, text: '{}' };
    },
    async watch() {},
    close() {},
  };
  return access;
}

const get = { method: 'GET', path: '/api/v1/namespaces/x/services/y', verb: 'get' } as const;

describe('KubeClient reconnect signal', () => {
  test('fires once when the server answers after requests that got no answer, never while it stays up', async () => {
    const access = scriptedAccess();
    const client = new KubeClient(access);
    let reconnects = 0;
    client.onReconnect(() => reconnects++);

    await client.send(get);
    expect(reconnects).toBe(0);

    access.next = 'refused';
    await expect(client.send(get)).rejects.toBeInstanceOf(KubeTransportError);
    await expect(client.send(get)).rejects.toBeInstanceOf(KubeTransportError);
    expect(reconnects).toBe(0);

    access.next = 200;
    await client.send(get);
    await client.send(get);
    expect(reconnects).toBe(1);
  });

  test('an error status is an answer: the server is reachable again', async () => {
    const access = scriptedAccess();
    const client = new KubeClient(access);
    let reconnects = 0;
    const unsubscribe = client.onReconnect(() => reconnects++);
    access.next = 'refused';
    await expect(client.send(get)).rejects.toBeInstanceOf(KubeTransportError);
    access.next = 404;
    await expect(client.send(get)).rejects.toBeInstanceOf(KubeApiError);
    expect(reconnects).toBe(1);

    unsubscribe();
    access.next = 'refused';
    await expect(client.send(get)).rejects.toBeInstanceOf(KubeTransportError);
    access.next = 200;
    await client.send(get);
    expect(reconnects).toBe(1);
  });
});
