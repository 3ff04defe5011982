// HTTP to the API server over node:http(s), with one keep-alive Agent per connection, and
// streaming watches. Credentials come from kubeconfig.ts's plan; only a plan that needs
// client-node (exec plugins, auth providers, proxies…) loads it, with a dynamic import.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { createSecureContext } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { type AccessPlan, type Material, type NativeAccess, planFromClientNode } from './kubeconfig.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

interface KubeHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Query | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
}

export interface KubeHttpResponse {
  readonly status: number;
  readonly text: string;
}

/** One line of a watch stream: `{"type":"ADDED","object":{…}}`. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Record<string, unknown>;
}

/** A watch request answered with something other than 200 (the body is usually a Status). */
export class WatchRefusedError extends Error {
  override readonly name = 'WatchRefusedError';
  constructor(
    readonly statusCode: number,
    readonly text: string,
  ) {
    super(`watch refused: HTTP ${statusCode}`);
  }
}

/** A transport to one API server. */
export interface KubeAccess {
  /** Which loader and auth path this is, for the start-up log line. */
  readonly description: string;
  /** The context's namespace, if it names one. */
  readonly namespace: string | undefined;
  request(req: KubeHttpRequest): Promise<KubeHttpResponse>;
  /**
   * Streams a watch (`?watch=true` is added). Resolves when the server ends the stream or
   * `signal` aborts; rejects on a non-200 answer (WatchRefusedError), a broken connection or a
   * line that is not JSON. ERROR events are passed on like any other: they are the caller's.
   */
  watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** Closes pooled connections. */
  close(): void;
}

/** What one request needs from the credentials: headers, TLS material, and a proxy's agent if any. */
interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsOptions;
  /** An agent client-node built that is not a plain https/http Agent (a proxy): used as is. */
  readonly agent?: http.Agent | undefined;
}

interface TlsOptions {
  readonly ca?: Buffer | string | undefined;
  readonly cert?: Buffer | string | undefined;
  readonly key?: Buffer | string | undefined;
  readonly rejectUnauthorized?: boolean | undefined;
  readonly servername?: string | undefined;
}

const TLS_KEYS = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const;

/** How often file-backed credentials (token, certificates) are read again. client-go: 1 minute. */
export const CREDENTIAL_REFRESH_MS = 60_000;

/**
 * How long a request (not a watch) may go unanswered: `K8S_API_TIMEOUT`'s default. Without a bound,
 * an API server that stops answering on an open connection (frozen, or a network path that drops
 * packets without a reset) would hold a reconcile, or the lease renewal loop, forever.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface AccessOptions {
  /** Each request's bound, from sending it to the end of its answer. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** Builds the transport for a plan; imports client-node only for a plan that needs it. */
export async function openKubeAccess(plan: AccessPlan, options: AccessOptions = {}): Promise<KubeAccess> {
  if (plan.kind === 'native') return nativeAccess(plan.access, Date.now, options);
  let kc: KubeConfig;
  if ('config' in plan.source) kc = plan.source.config;
  else {
    const { KubeConfig } = await import('@kubernetes/client-node');
    kc = new KubeConfig();
    kc.loadFromFile(plan.source.file);
    kc.setCurrentContext(plan.source.context);
  }
  return clientNodeAccess(kc, plan.description, plan.namespace, options);
}

/** For a KubeConfig client-node already loaded: no import needed either way. */
export function accessFromKubeConfig(kc: KubeConfig): KubeAccess {
  const plan = planFromClientNode(kc);
  if (plan.kind === 'native') return nativeAccess(plan.access);
  return clientNodeAccess(kc, plan.description, plan.namespace);
}

export function nativeAccess(
  a: NativeAccess,
  now: () => number = Date.now,
  options: AccessOptions = {},
): KubeAccess {
  let cached: { at: number; creds: Credentials } | undefined;
  const credentials = (): Credentials => {
    if (cached && now() - cached.at < CREDENTIAL_REFRESH_MS) return cached.creds;
    let creds: Credentials;
    try {
      const token = readMaterial(a.token)?.toString('utf8').trim();
      creds = {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        tls: {
          ca: readMaterial(a.ca),
          cert: readMaterial(a.cert),
          key: readMaterial(a.key),
          rejectUnauthorized: !a.insecureSkipTlsVerify,
          servername: a.tlsServerName,
        },
      };
    } catch (err) {
      // A rotation in progress (file briefly missing): keep the last good credentials.
      if (cached) return cached.creds;
      throw err;
    }
    cached = { at: now(), creds };
    return creds;
  };
  return new Connection(a.server, a.description, a.namespace, async () => credentials(), options);
}

function readMaterial(m: Material | undefined): Buffer | undefined {
  if (!m) return undefined;
  return 'data' in m ? m.data : readFileSync(m.file);
}

/** Every request asks the KubeConfig for its headers and TLS options (exec tokens expire). */
function clientNodeAccess(
  kc: KubeConfig,
  description: string,
  namespace: string | undefined,
  options: AccessOptions = {},
): KubeAccess {
  const server = kc.getCurrentCluster()?.server.replace(/\/+$/, '');
  if (!server) throw new Error('the kubeconfig has no current cluster');
  return new Connection(
    server,
    description,
    namespace,
    async () => {
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
      }
      if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      const agent = opts.agent;
      const plain =
        agent instanceof http.Agent &&
        (agent.constructor === https.Agent || agent.constructor === http.Agent);
      // client-node builds a fresh Agent per call; a plain one is replaced by our pooled agent.
      if (plain) agent.destroy();
      return {
        headers,
        tls: {
          ca: opts.ca as Buffer | undefined,
          cert: opts.cert as Buffer | undefined,
          key: opts.key as Buffer | undefined,
          rejectUnauthorized: opts.rejectUnauthorized,
          servername: opts.servername,
        },
        agent: plain || !(agent instanceof http.Agent) ? undefined : agent,
      };
    },
    options,
  );
}

/**
 * One keep-alive Agent for every request and watch, so requests reuse TCP+TLS connections (a new
 * connection per request costs a handshake on both ends). When the TLS material changes (a
 * rotated client certificate) the Agent is replaced.
 */
class Connection implements KubeAccess {
  private readonly base: URL;
  private readonly secure: boolean;
  private pooled: { tls: TlsOptions; agent: http.Agent } | undefined;

  constructor(
    server: string,
    readonly description: string,
    readonly namespace: string | undefined,
    private readonly credentials: () => Promise<Credentials>,
    private readonly options: AccessOptions = {},
  ) {
    this.base = new URL(server);
    this.secure = this.base.protocol === 'https:';
    if (!this.secure && this.base.protocol !== 'http:') throw new Error(`unsupported server URL ${server}`);
  }

  async request(req: KubeHttpRequest): Promise<KubeHttpResponse> {
    const timeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.open({ ...req, signal });
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', resolve);
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('connection closed before the response was complete')));
      });
      return { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (signal.aborted)
        throw new Error(`no answer within ${timeoutMs} ms (K8S_API_TIMEOUT)`, { cause: err });
      throw err;
    }
  }

  async watch(
    path: string,
    query: Query,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    const timeoutSeconds = Number(query.timeoutSeconds);
    let res: http.IncomingMessage;
    try {
      res = await this.open({
        method: 'GET',
        path,
        query: { ...query, watch: true },
        headers: { Accept: 'application/json' },
        signal,
        // A silent connection is a dead one: the server ends every watch by timeoutSeconds.
        idleMs: Number.isFinite(timeoutSeconds) ? (timeoutSeconds + 60) * 1000 : undefined,
      });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    if (res.statusCode !== 200) {
      const text = await readAll(res).catch(() => '');
      throw new WatchRefusedError(res.statusCode ?? 0, text);
    }
    const lines = new WatchLineSplitter();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err === undefined || signal.aborted) resolve();
        else {
          res.destroy();
          reject(err);
        }
      };
      const onAbort = () => {
        res.destroy();
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const deliver = (batch: string[]) => {
        for (const line of batch) {
          if (settled) return;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch {
            finish(new Error(`watch ${path}: not a JSON event: ${line.slice(0, 200)}`));
            return;
          }
          onEvent(event);
        }
      };
      res.on('data', (chunk: Buffer) => deliver(lines.push(chunk)));
      res.on('end', () => {
        deliver(lines.end());
        finish();
      });
      res.on('aborted', () => finish(new Error(`watch ${path}: connection closed mid-stream`)));
      res.on('error', (err) => finish(err));
      res.on('close', () => {
        if (!res.complete) finish(new Error(`watch ${path}: connection closed mid-stream`));
      });
    });
  }

  close(): void {
    this.pooled?.agent.destroy();
    this.pooled = undefined;
  }

  private async open(
    req: KubeHttpRequest & { signal?: AbortSignal; idleMs?: number | undefined },
  ): Promise<http.IncomingMessage> {
    const creds = await this.credentials();
    const url = new URL(this.base.pathname.replace(/\/$/, '') + req.path, this.base);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { ...creds.headers, ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const agent = creds.agent ?? this.agentFor(creds.tls);
    const send = this.secure ? https.request : http.request;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = send(url, { method: req.method, headers, agent, signal: req.signal }, resolve);
      r.on('error', reject);
      if (req.idleMs !== undefined) {
        r.setTimeout(req.idleMs, () => r.destroy(new Error(`no data for ${req.idleMs} ms`)));
      }
      r.end(req.body);
    });
  }

  private agentFor(tls: TlsOptions): http.Agent {
    const prev = this.pooled;
    if (prev && TLS_KEYS.every((k) => sameOption(prev.tls[k], tls[k]))) return prev.agent;
    prev?.agent.destroy();
    // Idle sockets kept for reuse: enough for a burst of parallel applies (32 reconciles × up to
    // three objects each), so the end of a burst does not close connections the next one reopens.
    const options = { keepAlive: true, maxFreeSockets: 256 };
    const agent = this.secure
      ? new https.Agent({
          ...options,
          // One context for every connection: without it each new socket parses the CA and the
          // client certificate again (tls.connect builds a context per call from ca/cert/key).
          secureContext: createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key }),
          // Only what is set: an explicit undefined would override tls.connect's default (verify).
          ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
          ...(tls.servername === undefined ? {} : { servername: tls.servername }),
        })
      : new http.Agent(options);
    this.pooled = { tls, agent };
    return agent;
  }
}

function sameOption(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/**
 * Splits a watch stream into lines. Chunks end anywhere: mid-line, and mid-character (a UTF-8
 * sequence split across chunks is held until complete).
 */
export class WatchLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }

  /** The last line, when the stream ends without a newline. */
  end(): string[] {
    const rest = (this.partial + this.decoder.end()).trim();
    this.partial = '';
    return rest ? [rest] : [];
  }
}
