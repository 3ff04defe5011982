import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { adminKubeconfig } from './kubeconfig.js';
import {
  freePort,
  type Started,
  startDetached,
  stopProcess,
  stopProcesses,
  waitUntilReady,
} from './processes.js';

export interface RegionInfo {
  readonly kubeconfig: string;
  readonly server: string;
  readonly token: string;
  readonly caFile: string;
}

export interface StartedRegion {
  readonly info: RegionInfo;
  readonly processes: Started[];
}

interface RegionOptions {
  /** Also run kube-controller-manager and kube-scheduler (Deployments get ReplicaSets and pods). */
  readonly controllers: boolean;
  /** Extra kube-apiserver flags (tests use this, e.g. to change the authorization mode). */
  readonly apiserverArgs?: readonly string[];
}

function httpsGet(url: string, token: string, caFile: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { authorization: `Bearer ${token}` }, ca: readFileSync(caFile), timeout: 2000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function startEtcd(bin: string, dir: string): Promise<{ proc: Started; url: string }> {
  for (let attempt = 0; ; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${client}`;
    const proc = startDetached(
      'etcd',
      join(bin, 'etcd'),
      [
        `--name=default`,
        `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        // Throwaway test data: durability buys nothing here and fsync dominates on shared disks.
        '--unsafe-no-fsync',
        '--quota-backend-bytes=4294967296',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    try {
      await waitUntilReady(proc, async () => (await fetch(`${url}/health`)).ok, 30_000);
      return { proc, url };
    } catch (err) {
      await stopProcess(proc.pid);
      if (attempt < 2 && /address already in use/.test(String(err))) continue;
      throw err;
    }
  }
}

/** Starts etcd and kube-apiserver (and optionally the controller manager and scheduler) for one region. */
export async function startRegion(
  region: string,
  bin: string,
  dir: string,
  options: RegionOptions,
): Promise<StartedRegion> {
  mkdirSync(dir, { recursive: true });
  const processes: Started[] = [];
  try {
    const etcd = await startEtcd(bin, dir);
    processes.push(etcd.proc);

    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},inferctl-admin,inferctl-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const certDir = join(dir, 'certs');
    const caFile = join(certDir, 'apiserver.crt');

    let apiserver: Started | undefined;
    let server = '';
    for (let attempt = 0; !apiserver; attempt++) {
      const port = await freePort();
      server = `https://127.0.0.1:${port}`;
      const proc = startDetached(
        'kube-apiserver',
        join(bin, 'kube-apiserver'),
        [
          `--etcd-servers=${etcd.url}`,
          `--etcd-prefix=/registry`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${port}`,
          `--cert-dir=${certDir}`,
          `--token-auth-file=${join(dir, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          '--allow-privileged=true',
          '--profiling=false',
          // Loopback cannot be an Endpoints address; nothing in-cluster needs the kubernetes Service here.
          '--endpoint-reconciler-type=none',
          '--v=0',
          ...(options.apiserverArgs ?? []),
        ],
        join(dir, 'kube-apiserver.log'),
      );
      try {
        await waitUntilReady(
          proc,
          async () => (await httpsGet(`${server}/readyz`, token, caFile)).status === 200,
          90_000,
        );
        apiserver = proc;
      } catch (err) {
        await stopProcess(proc.pid);
        if (attempt < 2 && /address already in use/.test(String(err))) continue;
        throw err;
      }
    }
    processes.push(apiserver);

    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, adminKubeconfig(region, server, token, caFile), { mode: 0o600 });

    if (options.controllers) {
      const kcm = startDetached(
        'kube-controller-manager',
        join(bin, 'kube-controller-manager'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          '--secure-port=0',
          // Simulated nodes send no kubelet heartbeats; node lifecycle would taint and evict them.
          '--controllers=*,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller,-node-ipam-controller',
          `--service-account-private-key-file=${join(dir, 'sa.key')}`,
          '--use-service-account-credentials=false',
          '--concurrent-deployment-syncs=20',
          '--concurrent-replicaset-syncs=20',
          '--kube-api-qps=400',
          '--kube-api-burst=800',
          '--v=0',
        ],
        join(dir, 'kube-controller-manager.log'),
      );
      processes.push(kcm);
      const scheduler = startDetached(
        'kube-scheduler',
        join(bin, 'kube-scheduler'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          '--secure-port=0',
          '--kube-api-qps=400',
          '--kube-api-burst=800',
          '--v=0',
        ],
        join(dir, 'kube-scheduler.log'),
      );
      processes.push(scheduler);
    }
    return { info: { kubeconfig, server, token, caFile }, processes };
  } catch (err) {
    await stopProcesses(processes.map((p) => p.pid));
    throw err;
  }
}
