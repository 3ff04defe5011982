// Reading and hand-editing a local region's objects, for tests that check what the monitor did.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, KubeExecutor, type KubeObject } from '../../src/kube/index.js';

export interface ClusterHandle {
  read(kind: string, name: string, namespace?: string): Promise<KubeObject | undefined>;
  /** A person's edit: a merge patch as another field manager. */
  patch(kind: string, name: string, body: unknown, namespace?: string): Promise<void>;
  remove(kind: string, name: string, namespace?: string): Promise<void>;
  client: KubeClient;
}

export function cluster(kubeconfig: string): ClusterHandle {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const client = KubeClient.fromConfig(kc);
  const executor = new KubeExecutor(client);
  return {
    client,
    read: (kind, name, namespace = 'gco-inference') => executor.read({ kind, name, namespace }),
    async patch(kind, name, body, namespace = 'gco-inference') {
      const path = await client.pathFor({ kind, name, namespace });
      await client.send({
        method: 'PATCH',
        path,
        body,
        contentType: 'application/merge-patch+json',
        query: { fieldManager: 'kubectl-edit' },
        verb: 'patch',
      });
    },
    async remove(kind, name, namespace = 'gco-inference') {
      await executor.delete({ kind, name, namespace });
    },
  };
}
