// Leader election on a real Lease: exactly one leader; when the leader can no longer renew (its
// RBAC is revoked — a real failure, no fake server) it stops leading before the other takes over.
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, KubeExecutor, LeaderElector, renderMonitorRbac } from '../../src/kube/index.js';
import { LEASE_NAME } from '../../src/model/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';
import { createNamespace, kubeConfigAs, kubeConfigFor } from './kube-support.js';

const handle = useLocalEnv({ regions: ['test-1'] });
const ns = 'monitor';
const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 400 };

interface Mark {
  who: string;
  what: 'started' | 'stopped';
  at: number;
}

describe('LeaderElector', () => {
  let admin: KubeExecutor;
  beforeAll(async () => {
    const kc = kubeConfigFor(handle);
    await createNamespace(kc, ns);
    admin = new KubeExecutor(KubeClient.fromConfig(kc));
    for (const sa of ['monitor-a', 'monitor-b', 'monitor-c', 'monitor-d']) {
      for (const o of renderMonitorRbac({
        namespace: ns,
        allowedNamespaces: [],
        serviceAccountName: sa,
        name: sa,
      })) {
        await admin.apply(o);
      }
    }
  });

  async function elector(sa: string, marks: Mark[], name = LEASE_NAME, errors: unknown[] = []) {
    const kc = await kubeConfigAs(kubeConfigFor(handle), ns, sa);
    const e: LeaderElector = new LeaderElector({
      client: KubeClient.fromConfig(kc),
      namespace: ns,
      name,
      identity: sa,
      ...timing,
      onStartedLeading: () => marks.push({ who: sa, what: 'started', at: Date.now() }),
      onStoppedLeading: () => marks.push({ who: sa, what: 'stopped', at: Date.now() }),
      onError: (err) => errors.push(err),
    });
    return e;
  }

  it('elects exactly one leader; the other takes over only after the leader stopped leading', async () => {
    const marks: Mark[] = [];
    const a = await elector('monitor-a', marks);
    const b = await elector('monitor-b', marks);
    const leaders = () => [a, b].filter((e) => e.isLeader()).length;
    let overlap = 0;
    const probe = setInterval(() => {
      if (leaders() > 1) overlap++;
    }, 20);
    try {
      a.start();
      await waitFor('a leads', () => a.isLeader());
      b.start();
      await waitFor('b sees a as the holder', () => b.leader() === 'monitor-a');
      // Several renew periods later, still exactly one leader.
      const deadline = Date.now() + 2 * timing.leaseDurationMs;
      await waitFor('two lease durations pass', () => Date.now() > deadline, 10_000);
      expect(a.isLeader()).toBe(true);
      expect(b.isLeader()).toBe(false);
      expect(() => b.guard('apply', { kind: 'Deployment', namespace: 'x', name: 'y' })).toThrow(
        /not the leader/,
      );
      expect(() => a.guard('apply', { kind: 'Deployment', namespace: 'x', name: 'y' })).not.toThrow();

      // Partition a from the lease: revoke its RoleBinding. Its renewals now fail with 403.
      const lostAt = Date.now();
      await admin.delete({ kind: 'RoleBinding', namespace: ns, name: 'monitor-a-leader-election' });
      await waitFor('b takes over', () => b.isLeader(), 20_000);
      const aStopped = marks.find((m) => m.who === 'monitor-a' && m.what === 'stopped');
      const bStarted = marks.find((m) => m.who === 'monitor-b' && m.what === 'started');
      expect(aStopped).toBeDefined();
      expect(bStarted).toBeDefined();
      // a stepped down within renewDeadline (+ one retry period of scheduling) of losing the lease…
      expect(aStopped!.at - lostAt).toBeLessThanOrEqual(timing.renewDeadlineMs + timing.retryPeriodMs + 500);
      // …and strictly before b could acquire, which needed a full leaseDuration after its last observation.
      expect(aStopped!.at).toBeLessThan(bStarted!.at);
      expect(bStarted!.at - aStopped!.at).toBeGreaterThanOrEqual(
        timing.leaseDurationMs - timing.renewDeadlineMs - 200,
      );
      expect(a.isLeader()).toBe(false);
      expect(overlap).toBe(0);
      expect(marks.map((m) => `${m.who} ${m.what}`)).toEqual([
        'monitor-a started',
        'monitor-a stopped',
        'monitor-b started',
      ]);
    } finally {
      clearInterval(probe);
      await a.stop();
      await b.stop();
    }
  });

  it('releases the lease on graceful stop so a successor acquires without waiting out the lease', async () => {
    const marks: Mark[] = [];
    const c = await elector('monitor-c', marks, 'release-test');
    const d = await elector('monitor-d', marks, 'release-test');
    try {
      c.start();
      await waitFor('c leads', () => c.isLeader());
      d.start();
      await waitFor('d sees c', () => d.leader() === 'monitor-c');
      const stoppedAt = Date.now();
      await c.stop();
      expect(marks.at(-1)).toMatchObject({ who: 'monitor-c', what: 'stopped' });
      await waitFor('d leads', () => d.isLeader(), 10_000);
      // Well under leaseDuration: the released lease (empty holder) is free at once.
      expect(Date.now() - stoppedAt).toBeLessThan(timing.leaseDurationMs);
      const lease = (await admin.read({ kind: 'Lease', namespace: ns, name: 'release-test' })) as {
        spec?: { holderIdentity?: string; leaseTransitions?: number };
      };
      expect(lease.spec?.holderIdentity).toBe('monitor-d');
      expect(lease.spec?.leaseTransitions).toBe(1);
    } finally {
      await c.stop();
      await d.stop();
    }
  });

  it('a leader renews with one write a period over its own record, and reads first only after someone else wrote', async () => {
    const kc = await kubeConfigAs(kubeConfigFor(handle), ns, 'monitor-c');
    const client = KubeClient.fromConfig(kc);
    const verbs: string[] = [];
    const send = client.send.bind(client);
    client.send = (req) => {
      verbs.push(req.verb);
      return send(req);
    };
    const e = new LeaderElector({
      client,
      namespace: ns,
      name: 'fast-renew',
      identity: 'monitor-c',
      ...timing,
    });
    const raw = KubeClient.fromConfig(kubeConfigFor(handle));
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns, name: 'fast-renew' };
    type LeaseBody = {
      metadata: { resourceVersion?: string; labels?: Record<string, string> };
      spec?: { holderIdentity?: string; renewTime?: string };
    };
    const read = async () =>
      (await raw.send({ method: 'GET', path: await raw.pathFor(ref), verb: 'get' })).body as LeaseBody;
    try {
      e.start();
      await waitFor('it leads', () => e.isLeader());
      const leading = verbs.length;
      await waitFor('four renewals', () => verbs.length >= leading + 4, 10_000);
      expect(verbs.slice(leading, leading + 4)).toEqual(['update', 'update', 'update', 'update']);

      // Someone else writes the lease (a label): the renewal over the old record gets 409, and the
      // leader reads the lease, renews over what it read and keeps leading. (A renewal landing
      // between our read and our write makes ours 409: try again.)
      let writtenAt = 0;
      await waitFor('the label written', async () => {
        const current = await read();
        await raw.send({
          method: 'PUT',
          path: await raw.pathFor(ref),
          body: { ...current, metadata: { ...current.metadata, labels: { touched: 'yes' } } },
          contentType: 'application/json',
          verb: 'update',
        });
        writtenAt = Date.now();
        return true;
      });
      const from = verbs.length;
      await waitFor(
        'a renewal after reading the lease',
        async () => {
          const after = verbs.slice(from);
          const renewed = Date.parse((await read()).spec?.renewTime ?? '');
          return (
            after.includes('get') && after.lastIndexOf('update') > after.indexOf('get') && renewed > writtenAt
          );
        },
        10_000,
      );
      expect(e.isLeader()).toBe(true);
      const lease = await read();
      expect(lease.metadata.labels).toEqual({ touched: 'yes' });
      expect(lease.spec?.holderIdentity).toBe('monitor-c');
    } finally {
      await e.stop();
    }
  });

  it('a stopping leader releases only the record it wrote: a lease someone else wrote since stays theirs', async () => {
    const marks: Mark[] = [];
    const c = await elector('monitor-c', marks, 'holder-test');
    const raw = KubeClient.fromConfig(kubeConfigFor(handle));
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns, name: 'holder-test' };
    type LeaseBody = { metadata: { resourceVersion?: string }; spec?: Record<string, unknown> };
    const read = async () =>
      (await raw.send({ method: 'GET', path: await raw.pathFor(ref), verb: 'get' })).body as LeaseBody;
    try {
      c.start();
      await waitFor('c leads', () => c.isLeader());
      // Another candidate takes the lease over (an update at the current resourceVersion; a
      // renewal by c in between makes it 409, so try again).
      await waitFor('the lease to be taken over', async () => {
        const current = await read();
        await raw.send({
          method: 'PUT',
          path: await raw.pathFor(ref),
          body: {
            ...current,
            spec: { ...current.spec, holderIdentity: 'someone-else', leaseDurationSeconds: 60 },
          },
          contentType: 'application/json',
          verb: 'update',
        });
        return true;
      });
      await c.stop();
      expect((await read()).spec?.holderIdentity).toBe('someone-else');
    } finally {
      await c.stop();
    }
  });
});
