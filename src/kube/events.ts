import type { KubeRef } from '../model/index.js';
import type { WriteGuard } from './apply.js';
import type { KubeClient } from './client.js';

interface EventInput {
  /** The object the event is about (the endpoint's Deployment). */
  readonly regarding: KubeRef;
  readonly type: 'Normal' | 'Warning';
  /** PascalCase, from model/reasons.ts. */
  readonly reason: string;
  /** What the controller did: Apply, Delete, Reconcile. */
  readonly action: string;
  readonly note: string;
}

/** `2026-11-26T12:00:00.123000Z`: events.k8s.io wants microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Kubernetes Events (events.k8s.io/v1) for `kubectl describe` and `kubectl get events`. Sent only
 * when a reconcile changed something or failed, so an idle fleet sends none; a failure to record
 * one never fails the reconcile.
 */
export class EventRecorder {
  private sequence = 0;
  private inFlight = 0;
  /** Events dropped because `maxInFlight` were already on their way (a slow or absent API server). */
  dropped = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly identity: string,
    private readonly guard: WriteGuard = () => {},
    // Callers do not wait for events; this bounds what a burst (a fleet converging, an API server
    // answering slowly) can pile up. Like client-go's broadcaster, excess events are dropped.
    private readonly maxInFlight = 64,
  ) {}

  async emit(e: EventInput): Promise<void> {
    if (this.inFlight >= this.maxInFlight) {
      this.dropped++;
      return;
    }
    this.inFlight++;
    try {
      await this.send(e);
    } finally {
      this.inFlight--;
    }
  }

  private async send(e: EventInput): Promise<void> {
    const ref = { kind: 'Event', namespace: e.regarding.namespace, name: '', apiVersion: 'events.k8s.io/v1' };
    this.guard('create', ref);
    const now = new Date();
    const name = `${e.regarding.name}.${now.getTime().toString(16)}${(this.sequence++ % 4096).toString(16)}`;
    const path = await this.client.pathFor(ref, false);
    await this.client.send({
      method: 'POST',
      path,
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace: e.regarding.namespace },
        eventTime: microTime(now),
        reportingController: 'inferctl.io/monitor',
        reportingInstance: this.identity,
        action: e.action,
        reason: e.reason,
        type: e.type,
        // The API caps the note at 1 kB.
        note: e.note.length > 1000 ? `${e.note.slice(0, 997)}...` : e.note,
        regarding: {
          apiVersion: e.regarding.apiVersion ?? 'apps/v1',
          kind: e.regarding.kind,
          name: e.regarding.name,
          namespace: e.regarding.namespace,
        },
      },
      contentType: 'application/json',
      verb: 'create',
      ref: { ...ref, name },
    });
  }
}
