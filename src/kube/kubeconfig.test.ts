import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import {
  defaultKubeconfigPath,
  KubeconfigError,
  planFromClientNode,
  planInCluster,
  planKubeconfigFile,
} from './kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = { server: 'https://api.example:6443/' },
  extra: Record<string, unknown> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'c1', cluster },
        { name: 'c2', cluster: { server: 'https://other:6443' } },
      ],
      users: [
        { name: 'u1', user },
        { name: 'u2', user: { token: 'other-token' } },
      ],
      contexts: [
        { name: 'main', context: { cluster: 'c1', user: 'u1', namespace: 'team-a' } },
        { name: 'second', context: { cluster: 'c2', user: 'u2' } },
      ],
      'current-context': 'main',
      ...extra,
    }),
  );
  return file;
}

function native(plan: ReturnType<typeof planKubeconfigFile>) {
  if (plan.kind !== 'native') throw new Error(`expected the native path, got client-node: ${plan.reason}`);
  return plan.access;
}

describe('planKubeconfigFile', () => {
  test('a token user on the current context: server without trailing slash, namespace', () => {
    const a = native(planKubeconfigFile(kubeconfig({ token: 'secret' })));
    expect(a.server).toBe('https://api.example:6443');
    expect(a.token).toEqual({ data: Buffer.from('secret') });
    expect(a.namespace).toBe('team-a');
    expect(a.insecureSkipTlsVerify).toBe(false);
    expect(a.description).toMatch(/context main$/);
  });

  test('a named context', () => {
    const a = native(planKubeconfigFile(kubeconfig({ token: 'secret' }), 'second'));
    expect(a.server).toBe('https://other:6443');
    expect(a.token).toEqual({ data: Buffer.from('other-token') });
    expect(a.namespace).toBeUndefined();
  });

  test('inline -data fields are base64-decoded', () => {
    const a = native(
      planKubeconfigFile(
        kubeconfig(
          { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
          { server: 'https://api:6443', 'certificate-authority-data': b64('CA'), 'tls-server-name': 'kube' },
        ),
      ),
    );
    expect(a.ca).toEqual({ data: Buffer.from('CA') });
    expect(a.cert).toEqual({ data: Buffer.from('CERT') });
    expect(a.key).toEqual({ data: Buffer.from('KEY') });
    expect(a.token).toBeUndefined();
    expect(a.tlsServerName).toBe('kube');
  });

  test("relative file paths resolve against the kubeconfig's directory; absolute ones stay", () => {
    const file = kubeconfig(
      { 'client-certificate': 'certs/client.crt', 'client-key': '/abs/client.key', tokenFile: 'token' },
      { server: 'https://api:6443', 'certificate-authority': 'ca.crt', 'insecure-skip-tls-verify': true },
    );
    const dir = join(file, '..');
    const a = native(planKubeconfigFile(file));
    expect(a.ca).toEqual({ file: join(dir, 'ca.crt') });
    expect(a.cert).toEqual({ file: join(dir, 'certs', 'client.crt') });
    expect(a.key).toEqual({ file: '/abs/client.key' });
    expect(a.token).toEqual({ file: join(dir, 'token') });
    expect(a.insecureSkipTlsVerify).toBe(true);
  });

  test('a token file wins over an inline token, as in client-go', () => {
    const a = native(planKubeconfigFile(kubeconfig({ token: 'inline', 'token-file': '/run/token' })));
    expect(a.token).toEqual({ file: '/run/token' });
  });

  test.each([
    [
      { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1beta1' } },
      undefined,
      'user.exec',
    ],
    [{ 'auth-provider': { name: 'oidc', config: {} } }, undefined, 'user.auth-provider'],
    [{ username: 'admin', password: 'pw' }, undefined, 'user.username, user.password'],
    [{ token: 't', as: 'someone' }, undefined, 'user.as'],
    [{ token: 't' }, { server: 'https://api:6443', 'proxy-url': 'http://proxy:3128' }, 'cluster.proxy-url'],
  ])('falls back to client-node for what it cannot do itself: %j %j', (user, cluster, reason) => {
    const file = kubeconfig(user, cluster);
    const plan = planKubeconfigFile(file);
    expect(plan.kind).toBe('client-node');
    if (plan.kind !== 'client-node') return;
    expect(plan.reason).toBe(reason);
    expect(plan.source).toEqual({ file, context: 'main' });
    expect(plan.namespace).toBe('team-a');
    expect(plan.description).toContain('via client-node');
  });

  test('empty values of unsupported fields do not force the fallback', () => {
    expect(planKubeconfigFile(kubeconfig({ token: 't', exec: null, username: '' })).kind).toBe('native');
  });

  test('a context without a user is anonymous', () => {
    const file = kubeconfig({}, undefined, {
      contexts: [{ name: 'anon', context: { cluster: 'c1' } }],
      'current-context': 'anon',
    });
    const a = native(planKubeconfigFile(file));
    expect(a.token).toBeUndefined();
    expect(a.cert).toBeUndefined();
  });

  test('missing file, context or cluster: KubeconfigError naming it', () => {
    expect(() => planKubeconfigFile('/nonexistent/kubeconfig')).toThrow(KubeconfigError);
    expect(() => planKubeconfigFile(kubeconfig({ token: 't' }), 'nope')).toThrow(/no context nope/);
    const noCluster = kubeconfig({ token: 't' }, undefined, {
      contexts: [{ name: 'x', context: { cluster: 'missing', user: 'u1' } }],
      'current-context': 'x',
    });
    expect(() => planKubeconfigFile(noCluster)).toThrow(/names no known cluster/);
  });
});

describe('defaultKubeconfigPath', () => {
  test("KUBECONFIG's first file, else ~/.kube/config", () => {
    expect(defaultKubeconfigPath({ KUBECONFIG: '/a/config:/b/config' })).toBe('/a/config');
    expect(defaultKubeconfigPath({})).toMatch(/\.kube\/config$/);
  });
});

describe('planInCluster', () => {
  function serviceAccountDir(namespace?: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    if (namespace) writeFileSync(join(dir, 'namespace'), namespace);
    return dir;
  }

  test('service host and port, the token file (re-read later, not copied), CA and namespace', () => {
    const dir = serviceAccountDir('gco-inference');
    const plan = planInCluster({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    const a = native(plan);
    expect(a.server).toBe('https://10.0.0.1:443');
    expect(a.token).toEqual({ file: join(dir, 'token') });
    expect(a.ca).toEqual({ file: join(dir, 'ca.crt') });
    expect(a.namespace).toBe('gco-inference');
    expect(a.description).toBe('in-cluster service account');
  });

  test('an IPv6 service host is bracketed', () => {
    const a = native(
      planInCluster(
        { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
        serviceAccountDir(),
      ),
    );
    expect(a.server).toBe('https://[fd00::1]:443');
    expect(a.namespace).toBeUndefined();
  });

  test('outside a cluster: a KubeconfigError that says so', () => {
    expect(() => planInCluster({}, serviceAccountDir())).toThrow(/not running in a cluster/);
    expect(() =>
      planInCluster({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' }, '/nonexistent'),
    ).toThrow(/no service account token/);
  });
});

describe('planFromClientNode', () => {
  const cluster = { name: 'c', server: 'https://api:6443/', caData: b64('CA'), skipTLSVerify: false };

  function kc(user: Record<string, unknown>): KubeConfig {
    const k = new KubeConfig();
    k.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'u', ...user }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: 'ns1' }],
      currentContext: 'ctx',
    });
    return k;
  }

  test('a token user is used natively', () => {
    const plan = planFromClientNode(kc({ token: 'tok' }));
    const a = native(plan);
    expect(a.server).toBe('https://api:6443');
    expect(a.ca).toEqual({ data: Buffer.from('CA') });
    expect(a.token).toEqual({ data: Buffer.from('tok') });
    expect(a.namespace).toBe('ns1');
  });

  test("client-node's in-cluster token-file auth provider is used natively", () => {
    const a = native(
      planFromClientNode(kc({ authProvider: { name: 'tokenFile', config: { tokenFile: '/t' } } })),
    );
    expect(a.token).toEqual({ file: '/t' });
  });

  test('exec and other auth providers stay with client-node', () => {
    expect(planFromClientNode(kc({ exec: { command: 'x' } })).kind).toBe('client-node');
    expect(planFromClientNode(kc({ authProvider: { name: 'oidc', config: {} } })).kind).toBe('client-node');
  });
});
