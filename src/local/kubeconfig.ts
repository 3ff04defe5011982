import { stringify } from 'yaml';

/** An admin kubeconfig for one local control plane: bearer token, CA from the server's cert dir. */
export function adminKubeconfig(region: string, server: string, token: string, caFile: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: region, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: `${region}-admin`, user: { token } }],
    contexts: [{ name: region, context: { cluster: region, user: `${region}-admin` } }],
    'current-context': region,
  });
}
