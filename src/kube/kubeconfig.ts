// Where the API server is and how to authenticate to it, read without @kubernetes/client-node
// (importing it costs the monitor ~72 MB of generated models; see docs/decisions/0006).
// What this cannot do itself (exec plugins, auth providers, basic auth, proxies, impersonation)
// it hands to client-node, loaded only then (connection.ts).
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';

/** Credential material, inline or in a file that may be rotated (re-read periodically). */
export type Material = { readonly data: Buffer } | { readonly file: string };

export interface NativeAccess {
  /** `https://host:port`, no trailing slash. */
  readonly server: string;
  readonly ca?: Material | undefined;
  readonly cert?: Material | undefined;
  readonly key?: Material | undefined;
  /** Bearer token; a file is re-read every minute, as client-go does (bound tokens rotate). */
  readonly token?: Material | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string | undefined;
  /** The context's namespace: the default for namespaced requests that name none. */
  readonly namespace?: string | undefined;
  /** For the log line saying which path was taken. */
  readonly description: string;
}

/** How to reach the API server: natively, or through client-node for what only it supports. */
export type AccessPlan =
  | { readonly kind: 'native'; readonly access: NativeAccess }
  | {
      readonly kind: 'client-node';
      /** What made the native path insufficient (`user.exec`, `cluster.proxy-url`, …). */
      readonly reason: string;
      readonly source: { readonly file: string; readonly context: string } | { readonly config: KubeConfig };
      readonly namespace?: string | undefined;
      readonly description: string;
    };

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  // informational only
  'extensions',
  'disable-compression',
]);
const USER_KEYS = new Set([
  'token',
  'tokenFile',
  'token-file',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'extensions',
]);

/** `KUBECONFIG`'s first file (no merging of several files), else `~/.kube/config`. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(delimiter).find((p) => p !== '');
  return first ?? join(homedir(), '.kube', 'config');
}

function findNamed(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as (Record<string, unknown> | null)[]).find((e) => e?.name === name);
  const value = entry?.[field];
  return value === undefined ? undefined : ((value ?? {}) as Record<string, unknown>);
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
}

/** Reads a kubeconfig file and decides how to use it, for its current context or a named one. */
export function planKubeconfigFile(file: string, contextName?: string): AccessPlan {
  const path = resolve(file);
  let doc: Record<string, unknown>;
  try {
    doc = (parse(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
  }
  const name = contextName ?? (doc['current-context'] as string | undefined);
  if (!name) throw new KubeconfigError(`kubeconfig ${path} has no current-context`);
  const context = findNamed(doc.contexts, name, 'context');
  if (!context) throw new KubeconfigError(`kubeconfig ${path} has no context ${name}`);
  const clusterName = context.cluster as string | undefined;
  const cluster = clusterName ? findNamed(doc.clusters, clusterName, 'cluster') : undefined;
  if (!cluster) throw new KubeconfigError(`kubeconfig ${path}: context ${name} names no known cluster`);
  const userName = context.user as string | undefined;
  // A context without a user is anonymous access, which is valid.
  const user = (userName ? findNamed(doc.users, userName, 'user') : undefined) ?? {};
  const namespace = present(context.namespace) ? String(context.namespace) : undefined;
  const description = `kubeconfig ${path}, context ${name}`;

  const unsupported = [
    ...Object.keys(cluster)
      .filter((k) => !CLUSTER_KEYS.has(k) && present(cluster[k]))
      .map((k) => `cluster.${k}`),
    ...Object.keys(user)
      .filter((k) => !USER_KEYS.has(k) && present(user[k]))
      .map((k) => `user.${k}`),
  ];
  if (unsupported.length > 0) {
    return {
      kind: 'client-node',
      reason: unsupported.join(', '),
      source: { file: path, context: name },
      namespace,
      description: `${description} via client-node (${unsupported.join(', ')})`,
    };
  }
  if (typeof cluster.server !== 'string' || !cluster.server) {
    throw new KubeconfigError(`kubeconfig ${path}: cluster ${clusterName} has no server`);
  }
  const dir = dirname(path);
  const material = (data: unknown, file: unknown): Material | undefined => {
    if (present(data)) return { data: Buffer.from(String(data), 'base64') };
    if (present(file)) return { file: resolve(dir, String(file)) };
    return undefined;
  };
  const tokenFile = user.tokenFile ?? user['token-file'];
  return {
    kind: 'native',
    access: {
      server: cluster.server.replace(/\/+$/, ''),
      ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: material(user['client-certificate-data'], user['client-certificate']),
      key: material(user['client-key-data'], user['client-key']),
      // client-go: a token file, when set, wins over an inline token.
      token: present(tokenFile)
        ? { file: resolve(dir, String(tokenFile)) }
        : present(user.token)
          ? { data: Buffer.from(String(user.token)) }
          : undefined,
      insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
      tlsServerName: present(cluster['tls-server-name']) ? String(cluster['tls-server-name']) : undefined,
      namespace,
      description,
    },
  };
}

/** The pod's service account, as client-go's `rest.InClusterConfig` reads it. */
export function planInCluster(
  env: NodeJS.ProcessEnv = process.env,
  dir: string = SERVICE_ACCOUNT_DIR,
): AccessPlan {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeconfigError(
      'not running in a cluster (KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT unset) and no kubeconfig given',
    );
  }
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile)) throw new KubeconfigError(`no service account token at ${tokenFile}`);
  const namespaceFile = join(dir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  return {
    kind: 'native',
    access: {
      server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
      ca: { file: join(dir, 'ca.crt') },
      token: { file: tokenFile },
      insecureSkipTlsVerify: false,
      namespace: namespace || undefined,
      description: 'in-cluster service account',
    },
  };
}

/**
 * The current context of a KubeConfig that client-node already loaded (tests, bench, tools that
 * hold one). Natively when its user is a token, token file or client certificate; otherwise the
 * KubeConfig itself produces each request's credentials.
 */
export function planFromClientNode(kc: KubeConfig): AccessPlan {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigError('the kubeconfig has no current cluster');
  const user = kc.getCurrentUser();
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
  const description = `client-node KubeConfig, context ${kc.getCurrentContext()}`;
  // client-node's in-cluster loader expresses the service account token as this auth provider.
  const provider = user?.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
  const providerTokenFile = provider?.name === 'tokenFile' ? provider.config?.tokenFile : undefined;
  const unsupported = [
    cluster.proxyUrl ? 'cluster.proxy-url' : '',
    user?.exec ? 'user.exec' : '',
    user?.authProvider && !providerTokenFile ? 'user.auth-provider' : '',
    user?.username || user?.password ? 'user.username/password' : '',
    user?.impersonateUser ? 'user.as' : '',
  ].filter(Boolean);
  if (unsupported.length > 0) {
    return {
      kind: 'client-node',
      reason: unsupported.join(', '),
      source: { config: kc },
      namespace,
      description: `${description} via client-node (${unsupported.join(', ')})`,
    };
  }
  const material = (data?: string | null, file?: string | null): Material | undefined =>
    data ? { data: Buffer.from(data, 'base64') } : file ? { file } : undefined;
  return {
    kind: 'native',
    access: {
      server: cluster.server.replace(/\/+$/, ''),
      ca: material(cluster.caData, cluster.caFile),
      cert: material(user?.certData, user?.certFile),
      key: material(user?.keyData, user?.keyFile),
      token: providerTokenFile
        ? { file: providerTokenFile }
        : user?.token
          ? { data: Buffer.from(user.token) }
          : undefined,
      insecureSkipTlsVerify: cluster.skipTLSVerify === true,
      tlsServerName: cluster.tlsServerName || undefined,
      namespace,
      description,
    },
  };
}
