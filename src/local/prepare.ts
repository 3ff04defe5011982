import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const isConflict = (err: unknown) => (err as { code?: number }).code === 409;

/**
 * What a production cluster has before the monitor arrives (infrastructure's job there): the
 * inference namespace, the pods' ServiceAccount and the shared `efs-claim` volume claim.
 */
export async function prepareRegion(kubeconfig: string, namespaces: readonly string[]): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  for (const namespace of namespaces) {
    await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((err) => {
      if (!isConflict(err)) throw err;
    });
    // The seed's pods run as this ServiceAccount (IRSA carries the model bucket's credentials).
    await core
      .createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'gco-service-account' } } })
      .catch((err) => {
        if (!isConflict(err)) throw err;
      });
    await core
      .createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: 'efs-claim' },
          spec: {
            accessModes: ['ReadWriteMany'],
            storageClassName: '',
            resources: { requests: { storage: '100Gi' } },
          },
        },
      })
      .catch((err) => {
        if (!isConflict(err)) throw err;
      });
  }
}
