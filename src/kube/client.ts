import { Agent } from 'node:https';
import { type HttpMethod, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { KubeApiError, KubeTransportError } from './errors.js';
import { KIND_API_VERSIONS, type KubeRef } from './types.js';

export interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface RawRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Required with a body: every patch names its type explicitly (DESIGN §4.16). */
  readonly contentType?:
    | 'application/json'
    | 'application/apply-patch+yaml'
    | 'application/merge-patch+json'
    | 'application/json-patch+json'
    | 'application/strategic-merge-patch+json';
  /** For error messages. */
  readonly verb: string;
  readonly ref?: KubeRef | undefined;
}

/**
 * client-node's KubernetesObjectApi, used for what it does well (auth, TLS, discovery of resource
 * paths) with one addition: requests that return the HTTP status and the raw wire JSON.
 *
 * Why not its `patch`/`read`: they run bodies through the typed ObjectSerializer (drops fields the
 * generated model does not know, turns timestamps into Date objects and back) and hide the status
 * code, which is how a server-side apply tells "created" (201) from "updated" (200).
 */
export class KubeClient extends KubernetesObjectApi {
  private keepAlive: { from: Agent; agent: Agent } | undefined;

  static fromConfig(kc: KubeConfig): KubeClient {
    const client = kc.makeApiClient(KubeClient);
    client.setDefaultNamespace(kc);
    return client;
  }

  /** `/apis/apps/v1/namespaces/ns/deployments[/name]`, via (cached) discovery. */
  async pathFor(ref: KubeRef, withName = true): Promise<string> {
    const apiVersion = ref.apiVersion ?? KIND_API_VERSIONS[ref.kind];
    if (!apiVersion) throw new Error(`no apiVersion known for kind ${ref.kind}`);
    return this.specUriPath(
      { apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
      withName ? 'read' : 'list',
    );
  }

  /** Told of every request's verb and outcome (HTTP status, or 'error' when none came back). */
  onRequest: ((verb: string, result: string) => void) | undefined;

  async send(req: RawRequest): Promise<RawResponse> {
    try {
      const res = await this.sendOnce(req);
      this.onRequest?.(req.verb, String(res.status));
      return res;
    } catch (err) {
      this.onRequest?.(req.verb, err instanceof KubeApiError ? String(err.statusCode) : 'error');
      throw err;
    }
  }

  private async sendOnce(req: RawRequest): Promise<RawResponse> {
    const ctx = this.configuration.baseServer.makeRequestContext(req.path, req.method as HttpMethod);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) ctx.setQueryParam(k, String(v));
    }
    if (req.body !== undefined) {
      if (!req.contentType) throw new Error(`${req.verb}: a request body needs an explicit content type`);
      ctx.setHeaderParam('Content-Type', req.contentType);
      ctx.setBody(JSON.stringify(req.body));
    }
    await this.configuration.authMethods.default?.applySecurityAuthentication(ctx);
    this.reuseConnections(ctx);
    let status: number;
    let text: string;
    try {
      const res = await this.configuration.httpApi.send(ctx).toPromise();
      status = res.httpStatusCode;
      text = await res.body.text();
    } catch (err) {
      throw new KubeTransportError(req.verb, req.ref, { cause: err });
    }
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (some proxies answer in text): keep the text
    }
    if (status < 200 || status > 299) {
      const s = (body ?? {}) as { reason?: string; message?: string };
      throw new KubeApiError(
        status,
        typeof s.reason === 'string' ? s.reason : '',
        req.verb,
        req.ref,
        typeof s.message === 'string' ? s.message : typeof body === 'string' ? body.slice(0, 300) : '',
      );
    }
    return { status, body };
  }

  /**
   * client-node builds a fresh https.Agent for every request, so every request pays a new TCP
   * connection and TLS handshake (on both ends: the API server's CPU too). We keep one keep-alive
   * agent per client with the same TLS options instead. Proxy agents (subclasses) are left alone.
   * If the TLS options change (a rotated client certificate), the pooled agent is replaced.
   */
  private reuseConnections(ctx: { getAgent(): unknown; setAgent(agent: Agent): void }): void {
    const fresh = ctx.getAgent();
    if (!(fresh instanceof Agent) || fresh.constructor !== Agent) return;
    const prev = this.keepAlive;
    const opts = fresh.options as Record<string, unknown>;
    const same =
      prev !== undefined &&
      ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].every((k) =>
        sameOption((prev.from.options as Record<string, unknown>)[k], opts[k]),
      );
    if (!same) {
      prev?.agent.destroy();
      this.keepAlive = {
        from: fresh,
        agent: new Agent({ ...fresh.options, keepAlive: true, maxFreeSockets: 64 }),
      };
    }
    fresh.destroy();
    ctx.setAgent((this.keepAlive as { agent: Agent }).agent);
  }
}

function sameOption(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}
