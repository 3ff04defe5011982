// Shared by the kube-*.test.ts files: a kubeconfig for the test region and polling with a deadline.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { LocalEnvHandle } from '../helpers/local-env.js';

export function kubeConfigFor(handle: LocalEnvHandle, region = 'test-1'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(handle.env.regions[region]!.kubeconfig);
  return kc;
}

/** Polls `fn` until it returns something other than undefined/false, or fails after the deadline. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

/** A kubeconfig that authenticates as a ServiceAccount (token from the TokenRequest API). */
export async function kubeConfigAs(
  admin: KubeConfig,
  namespace: string,
  serviceAccount: string,
): Promise<KubeConfig> {
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: serviceAccount, token: tr.status?.token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: serviceAccount, namespace }],
    currentContext: 'sa',
  });
  return kc;
}
