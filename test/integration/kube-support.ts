// Shared by the kube-*.test.ts files: a kubeconfig for the test region, namespaces, ServiceAccount logins.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { LocalEnvHandle } from '../helpers/local-env.js';

export function kubeConfigFor(handle: LocalEnvHandle, region = 'test-1'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(handle.env.regions[region]!.kubeconfig);
  return kc;
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
