// The relist path on 410 Gone: a reflector whose resourceVersion has been compacted away in etcd
// must relist, converge, and report the changes it missed.
//
// This file starts its own control plane instead of useLocalEnv(): forcing a real "resource
// version too old" needs kube-apiserver's watch cache off (with it on, the cache keeps every event
// since start-up for a young server and serves any old resourceVersion), so watches go to etcd,
// and an etcd compaction (through etcd's own HTTP gateway) expires the old revisions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CacheEvent,
  KubeCaches,
  KubeClient,
  KubeExecutor,
  type KubeObject,
} from '../../src/kube/index.js';
import { ensureBinaries } from '../../src/local/binaries.js';
import { type StartedRegion, startRegion } from '../../src/local/cluster.js';
import { stopProcess } from '../../src/local/processes.js';
import { waitFor } from '../helpers/wait.js';
import { createNamespace } from './kube-support.js';

let dir = '';
let region: StartedRegion | undefined;
let etcdUrl = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferctl-test-'));
  const { kubeBin } = await ensureBinaries({ kube: true });
  region = await startRegion('expired', kubeBin, join(dir, 'expired'), {
    controllers: false,
    apiserverArgs: ['--watch-cache=false'],
  });
  const etcd = region.processes.find((p) => p.name === 'etcd')!;
  const args = readFileSync(`/proc/${etcd.pid}/cmdline`, 'utf8').split('\0');
  etcdUrl = args.find((a) => a.startsWith('--listen-client-urls='))!.split('=')[1]!;
}, 600_000);

afterAll(async () => {
  for (const p of [...(region?.processes ?? [])].reverse()) await stopProcess(p.pid);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function compactEtcd(): Promise<number> {
  const post = async (path: string, body: unknown) =>
    (await (await fetch(`${etcdUrl}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as {
      header: { revision: string };
    };
  const revision = Number((await post('/v3/kv/range', { key: 'AA==' })).header.revision);
  await post('/v3/kv/compaction', { revision, physical: true });
  return revision;
}

const svc = (name: string, port = 8000): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name,
    namespace: 'expiry',
    labels: { 'app.kubernetes.io/managed-by': 'inferctl', 'gco.io/endpoint': name },
  },
  spec: { selector: { app: name }, ports: [{ port: 80, targetPort: port }] },
});

describe('KubeCaches after the resourceVersion expired', () => {
  it('relists on 410, drops what was deleted, adds what was created, and notifies both endpoints', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(region!.info.kubeconfig);
    await createNamespace(kc, 'expiry');
    const client = KubeClient.fromConfig(kc);
    const exec = new KubeExecutor(client);
    await exec.apply(svc('keep'));
    await exec.apply(svc('doomed'));

    const events: CacheEvent[] = [];
    let gate: { promise: Promise<void>; parked: boolean } | undefined;
    let release!: () => void;
    const caches = new KubeCaches(client, {
      namespaces: ['expiry'],
      kinds: [{ apiVersion: 'v1', kind: 'Service' }],
      onEvent: (e) => events.push(e),
      beforeWatch: async () => {
        if (!gate) return;
        gate.parked = true;
        await gate.promise;
      },
    });
    const changes: string[] = [];
    caches.onChange((n) => changes.push(n));
    caches.start();
    try {
      await caches.synced();
      expect(caches.endpoints().sort()).toEqual(['doomed', 'keep']);
      expect(caches.stats().relists).toBe(1);

      // Cut the watch and hold the reflector while things change and etcd forgets the past.
      gate = { promise: new Promise<void>((r) => (release = r)), parked: false };
      caches.breakWatches();
      await waitFor('the reflector parked', () => gate!.parked);
      await exec.delete({ kind: 'Service', namespace: 'expiry', name: 'doomed' });
      await exec.apply(svc('born'));
      await exec.apply(svc('keep', 9000));
      await compactEtcd();
      changes.length = 0;
      gate = undefined;
      release();

      await waitFor(
        'the cache converged through a relist',
        () => caches.endpoints().sort().join() === 'born,keep',
      );
      const keep = caches.get('Service', 'expiry', 'keep') as {
        spec?: { ports?: Array<{ targetPort?: number }> };
      };
      expect(keep.spec?.ports?.[0]?.targetPort).toBe(9000);
      expect(events.some((e) => e.type === 'expired')).toBe(true);
      expect(caches.stats().relists).toBe(2);
      expect(caches.stats().errors).toBe(0);
      expect(changes.sort()).toEqual(['born', 'doomed', 'keep']);

      // And it keeps watching after the relist.
      await exec.apply(svc('later'));
      await waitFor('a change after the relist', () => caches.byEndpoint('later').length === 1);
    } finally {
      await caches.stop();
    }
  });
});
