import { describe, expect, test } from 'vitest';
import type { KubeClient } from './client.js';
import { EventRecorder } from './events.js';

const event = {
  regarding: { kind: 'Deployment', namespace: 'ns', name: 'alpha', apiVersion: 'apps/v1' },
  type: 'Normal' as const,
  reason: 'Progressing',
  action: 'Reconcile',
  note: 'generation 1: apply Deployment/alpha (Missing): created',
};

/** A client whose requests stay pending until released, to hold events "in flight". */
function pendingClient() {
  const release: (() => void)[] = [];
  const sent: unknown[] = [];
  const client = {
    pathFor: async () => '/apis/events.k8s.io/v1/namespaces/ns/events',
    send: (req: { body: unknown }) => {
      sent.push(req.body);
      return new Promise((resolve) => release.push(() => resolve({ status: 201, body: {} })));
    },
  } as unknown as KubeClient;
  return {
    client,
    sent,
    releaseAll: () => {
      for (const r of release.splice(0)) r();
    },
  };
}

describe('EventRecorder', () => {
  test('drops events beyond maxInFlight instead of piling them up, and sends again once some finish', async () => {
    const { client, sent, releaseAll } = pendingClient();
    const recorder = new EventRecorder(client, 'monitor-1', () => {}, 2);
    const first = [recorder.emit(event), recorder.emit(event), recorder.emit(event)];
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
    expect(recorder.dropped).toBe(1);
    releaseAll();
    await Promise.all(first);
    const later = recorder.emit(event);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(3);
    releaseAll();
    await later;
  });
});
