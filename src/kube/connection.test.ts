import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient } from './client.js';
import {
  CREDENTIAL_REFRESH_MS,
  type KubeAccess,
  nativeAccess,
  type WatchEvent,
  WatchLineSplitter,
  WatchRefusedError,
} from './connection.js';
import { KubeApiError, KubeTransportError } from './errors.js';

describe('WatchLineSplitter', () => {
  const events = [
    { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1' } } },
    { type: 'MODIFIED', object: { metadata: { name: 'é-ü-名前', resourceVersion: '2' } } },
    { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
  ];
  const wire = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));

  test('every way of cutting the stream into two chunks yields the same events', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const s = new WatchLineSplitter();
      const lines = [...s.push(wire.subarray(0, cut)), ...s.push(wire.subarray(cut)), ...s.end()];
      expect(lines.map((l) => JSON.parse(l))).toEqual(events);
    }
  });

  test('one byte at a time, multi-byte characters included', () => {
    const s = new WatchLineSplitter();
    const lines: string[] = [];
    for (let i = 0; i < wire.length; i++) lines.push(...s.push(wire.subarray(i, i + 1)));
    lines.push(...s.end());
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
  });

  test('a last line without a newline, and blank lines', () => {
    const s = new WatchLineSplitter();
    expect(s.push('\n{"a":1}\n\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(':2}')).toEqual([]);
    expect(s.end()).toEqual(['{"b":2}']);
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('native transport against a local HTTP server', () => {
  let server: Server;
  let handler: Handler = () => {};
  const sockets = new Set<unknown>();
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function access(token = 'tok'): KubeAccess {
    return nativeAccess({
      server: url,
      token: { data: Buffer.from(token) },
      insecureSkipTlsVerify: false,
      description: 'test',
    });
  }

  test('requests carry method, path, query, headers, token and body; connections are reused', async () => {
    const seen: { method?: string; url?: string; auth?: string; type?: string; body: string }[] = [];
    handler = (req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          type: req.headers['content-type'],
          body,
        });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    };
    const client = new KubeClient(access());
    sockets.clear();
    for (let i = 0; i < 5; i++) {
      const res = await client.send({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/ns/deployments/d',
        query: { fieldManager: 'inferctl', force: true, dryRun: undefined },
        body: { spec: { replicas: i } },
        contentType: 'application/apply-patch+yaml',
        verb: 'apply',
      });
      expect(res).toEqual({ status: 201, body: { ok: true } });
    }
    expect(seen[4]).toEqual({
      method: 'PATCH',
      url: '/apis/apps/v1/namespaces/ns/deployments/d?fieldManager=inferctl&force=true',
      auth: 'Bearer tok',
      type: 'application/apply-patch+yaml',
      body: '{"spec":{"replicas":4}}',
    });
    // One keep-alive agent per client: sequential requests share one connection.
    expect(sockets.size).toBe(1);
    client.close();
  });

  test('a non-2xx answer is a KubeApiError with the Status reason; no answer is a KubeTransportError', async () => {
    handler = (_req, res) =>
      res
        .writeHead(404)
        .end('{"kind":"Status","reason":"NotFound","message":"deployments \\"x\\" not found"}');
    const client = new KubeClient(access());
    const results: string[] = [];
    client.onRequest = (verb, result) => results.push(`${verb}:${result}`);
    const err = await client.send({ method: 'GET', path: '/x', verb: 'get' }).catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ statusCode: 404, reason: 'NotFound', isNotFound: true });
    expect(err.serverMessage).toContain('not found');

    const closed = new KubeClient(
      nativeAccess({ server: 'http://127.0.0.1:1', insecureSkipTlsVerify: false, description: 'closed' }),
    );
    closed.onRequest = (verb, result) => results.push(`${verb}:${result}`);
    const terr = await closed.send({ method: 'GET', path: '/x', verb: 'get' }).catch((e) => e);
    expect(terr).toBeInstanceOf(KubeTransportError);
    expect(results).toEqual(['get:404', 'get:error']);
    client.close();
  });

  test('a watch delivers events split across chunks, ERROR events included, and ends with the stream', async () => {
    const lines = [
      { type: 'ADDED', object: { metadata: { name: 'a' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } },
      { type: 'ERROR', object: { kind: 'Status', code: 410 } },
    ]
      .map((e) => `${JSON.stringify(e)}\n`)
      .join('');
    let query = '';
    handler = (req, res) => {
      query = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      // Cut mid-line and write each piece separately so they arrive as separate chunks.
      const pieces = [lines.slice(0, 10), lines.slice(10, 70), lines.slice(70)];
      const next = () => {
        const p = pieces.shift();
        if (p === undefined) res.end();
        else res.write(p, next);
      };
      next();
    };
    const got: WatchEvent[] = [];
    await access().watch(
      '/api/v1/namespaces/ns/services',
      { resourceVersion: '5', labelSelector: 'a=b', allowWatchBookmarks: true, timeoutSeconds: 300 },
      (e) => got.push(e),
      new AbortController().signal,
    );
    expect(got.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'ERROR']);
    expect(query).toBe(
      '/api/v1/namespaces/ns/services?resourceVersion=5&labelSelector=a%3Db&allowWatchBookmarks=true&timeoutSeconds=300&watch=true',
    );
  });

  test('aborting a watch resolves it and closes the connection', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve;
    });
    handler = (req, res) => {
      res.writeHead(200);
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      req.socket.on('close', closed);
    };
    const abort = new AbortController();
    const watching = access().watch('/w', {}, () => abort.abort(), abort.signal);
    await expect(watching).resolves.toBeUndefined();
    await serverSawClose;
  });

  test('a connection cut mid-stream rejects; a refused watch is a KubeApiError (410 Gone)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD', () => res.destroy());
    };
    const got: WatchEvent[] = [];
    await expect(access().watch('/w', {}, (e) => got.push(e), new AbortController().signal)).rejects.toThrow(
      /closed mid-stream|aborted|socket hang up/,
    );
    expect(got).toHaveLength(1);

    handler = (_req, res) => res.writeHead(410).end('{"kind":"Status","reason":"Expired","code":410}');
    const refused = await access()
      .watch('/w', {}, () => {}, new AbortController().signal)
      .catch((e) => e);
    expect(refused).toBeInstanceOf(WatchRefusedError);
    const viaClient = await new KubeClient(access())
      .watch('/w', {}, () => {}, new AbortController().signal)
      .catch((e) => e);
    expect(viaClient).toBeInstanceOf(KubeApiError);
    expect(viaClient).toMatchObject({ statusCode: 410, reason: 'Expired', isGone: true });
  });

  test('a line that is not JSON fails the watch instead of being skipped (no silently lost event)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end('<html>proxy error</html>\n');
    };
    await expect(access().watch('/w', {}, () => {}, new AbortController().signal)).rejects.toThrow(
      /not a JSON event/,
    );
  });

  test('KubeClient.fromKubeconfigFile: the context namespace is the default, the token is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const file = join(dir, 'config');
    writeFileSync(
      file,
      stringify({
        clusters: [{ name: 'c', cluster: { server: url } }],
        users: [{ name: 'u', user: { tokenFile: 'token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'team-z' } }],
        'current-context': 'x',
      }),
    );
    const seen: (string | undefined)[] = [];
    handler = (req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      res.end('{}');
    };
    const client = await KubeClient.fromKubeconfigFile(file);
    const path = await client.pathFor({ kind: 'Lease', namespace: '', name: 'l' });
    await client.send({ method: 'GET', path, verb: 'get' });
    expect(seen).toEqual(['/apis/coordination.k8s.io/v1/namespaces/team-z/leases/l Bearer from-file']);
    client.close();
  });

  test('a token file is read again after the refresh interval, not before', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'token-')), 'token');
    writeFileSync(file, 'first\n');
    let clock = 0;
    const auths: (string | undefined)[] = [];
    handler = (req, res) => {
      auths.push(req.headers.authorization);
      res.end('{}');
    };
    const a = nativeAccess(
      { server: url, token: { file }, insecureSkipTlsVerify: false, description: 'rotating' },
      () => clock,
    );
    await a.request({ method: 'GET', path: '/' });
    writeFileSync(file, 'second\n');
    clock = CREDENTIAL_REFRESH_MS - 1;
    await a.request({ method: 'GET', path: '/' });
    clock = CREDENTIAL_REFRESH_MS;
    await a.request({ method: 'GET', path: '/' });
    expect(auths).toEqual(['Bearer first', 'Bearer first', 'Bearer second']);
    a.close();
  });
});

describe('the connection over TLS', () => {
  // Two self-signed certificates for 127.0.0.1 (openssl, as an operator would make them): the
  // server presents the first; a client that trusts only the second must refuse it.
  let dir = '';
  let server: HttpsServer;
  let url = '';
  let handshakes = 0;
  const pem = (name: string) => readFileSync(join(dir, name));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-'));
    for (const name of ['a', 'b']) {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-keyout',
          join(dir, `${name}.key`),
          '-out',
          join(dir, `${name}.crt`),
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
    }
    server = createHttpsServer({ key: pem('a.key'), cert: pem('a.crt') }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (ca: string, insecureSkipTlsVerify = false) =>
    new KubeClient(
      nativeAccess({ server: url, ca: { data: pem(ca) }, insecureSkipTlsVerify, description: ca }),
    );
  const get = (c: KubeClient) => c.send({ method: 'GET', path: '/api/v1/namespaces', verb: 'list' });

  test("a client trusting the server's certificate connects once and reuses the connection", async () => {
    const c = client('a.crt');
    const before = handshakes;
    for (let i = 0; i < 3; i++) expect(await get(c)).toEqual({ status: 200, body: { ok: true } });
    expect(handshakes - before).toBe(1);
    // Three at once need up to three connections, each verified with the agent's one context.
    await Promise.all([get(c), get(c), get(c)]);
    expect(handshakes - before).toBeLessThanOrEqual(3);
    c.close();
  });

  test('a client trusting another certificate is refused; skipping verification is the only way past', async () => {
    const refused = client('b.crt');
    const err = await get(refused).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeTransportError);
    expect(String((err as Error).message)).toMatch(/self[- ]signed|certificate/i);
    refused.close();
    const skipping = client('b.crt', true);
    expect(await get(skipping)).toEqual({ status: 200, body: { ok: true } });
    skipping.close();
  });
});
