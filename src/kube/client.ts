import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeRef } from '../model/index.js';
import {
  accessFromKubeConfig,
  type KubeAccess,
  openKubeAccess,
  type Query,
  type WatchEvent,
  WatchRefusedError,
} from './connection.js';
import { KubeApiError, KubeTransportError } from './errors.js';
import { defaultKubeconfigPath, planInCluster, planKubeconfigFile } from './kubeconfig.js';
import { resourcePath } from './resources.js';

interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

interface RawRequest {
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
 * Requests that return the HTTP status and the raw wire JSON, over a `KubeAccess` transport.
 *
 * Why not client-node's typed APIs: they run bodies through the ObjectSerializer (drops fields the
 * generated model does not know, turns timestamps into Date objects and back) and hide the status
 * code, which is how a server-side apply tells "created" (201) from "updated" (200). Why not
 * client-node at all in the monitor: importing it costs ~72 MB (docs/decisions/0006).
 */
export class KubeClient {
  /** Told of every request's verb and outcome (HTTP status, or 'error' when none came back). */
  onRequest: ((verb: string, result: string) => void) | undefined;
  /** Set by a request that got no answer; cleared by the next one that gets any answer. */
  private unreachable = false;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(readonly access: KubeAccess) {}

  /**
   * Calls `listener` whenever the API server answers again after a request that got no answer.
   * Whoever is sleeping in a backoff because of the outage (a watch, a failed reconcile) can then
   * retry at once instead of at the end of a backoff that grew while the server was down.
   * Returns an unsubscribe.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private answered(): void {
    if (!this.unreachable) return;
    this.unreachable = false;
    for (const listener of this.reconnectListeners) {
      try {
        listener();
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** From a KubeConfig client-node already loaded; its current context. */
  static fromConfig(kc: KubeConfig): KubeClient {
    return new KubeClient(accessFromKubeConfig(kc));
  }

  /** From a kubeconfig file (default `KUBECONFIG`, else `~/.kube/config`), its current or a named context. */
  static async fromKubeconfigFile(file?: string, context?: string): Promise<KubeClient> {
    return new KubeClient(await openKubeAccess(planKubeconfigFile(file ?? defaultKubeconfigPath(), context)));
  }

  /** As the pod's service account. */
  static async inCluster(): Promise<KubeClient> {
    return new KubeClient(await openKubeAccess(planInCluster()));
  }

  /** `/apis/apps/v1/namespaces/ns/deployments[/name]`, from a static table (no discovery). */
  async pathFor(ref: KubeRef, withName = true): Promise<string> {
    return resourcePath(ref, withName, this.access.namespace ?? 'default');
  }

  async send(req: RawRequest): Promise<RawResponse> {
    try {
      const res = await this.sendOnce(req);
      this.onRequest?.(req.verb, String(res.status));
      this.answered();
      return res;
    } catch (err) {
      this.onRequest?.(req.verb, err instanceof KubeApiError ? String(err.statusCode) : 'error');
      if (err instanceof KubeApiError) this.answered();
      else if (err instanceof KubeTransportError) this.unreachable = true;
      throw err;
    }
  }

  /**
   * Streams watch events until the server closes the stream or `signal` aborts. A refusal comes
   * back as KubeApiError (410 Gone included), a broken connection as KubeTransportError.
   * Not reported to `onRequest`, which counts requests, not streams.
   */
  async watch(
    path: string,
    query: Query,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
    ref?: KubeRef,
  ): Promise<void> {
    try {
      let heard = false;
      await this.access.watch(
        path,
        query,
        (e) => {
          if (!heard) {
            heard = true;
            this.answered();
          }
          onEvent(e);
        },
        signal,
      );
    } catch (err) {
      if (err instanceof WatchRefusedError) {
        this.answered();
        throw apiError(err.statusCode, parseBody(err.text), 'watch', ref);
      }
      if (!signal.aborted) this.unreachable = true;
      throw new KubeTransportError('watch', ref, { cause: err });
    }
  }

  /** Closes pooled connections. */
  close(): void {
    this.access.close();
  }

  private async sendOnce(req: RawRequest): Promise<RawResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: string | undefined;
    if (req.body !== undefined) {
      if (!req.contentType) throw new Error(`${req.verb}: a request body needs an explicit content type`);
      headers['Content-Type'] = req.contentType;
      body = JSON.stringify(req.body);
    }
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.access.request({
        method: req.method,
        path: req.path,
        query: req.query,
        headers,
        body,
      }));
    } catch (err) {
      throw new KubeTransportError(req.verb, req.ref, { cause: err });
    }
    const parsed = parseBody(text);
    if (status < 200 || status > 299) throw apiError(status, parsed, req.verb, req.ref);
    return { status, body: parsed };
  }
}

function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (some proxies answer in text): keep the text
    return text;
  }
}

function apiError(status: number, body: unknown, verb: string, ref: KubeRef | undefined): KubeApiError {
  const s = (body ?? {}) as { reason?: string; message?: string; details?: { retryAfterSeconds?: unknown } };
  const retryAfter = s.details?.retryAfterSeconds;
  return new KubeApiError(
    status,
    typeof s.reason === 'string' ? s.reason : '',
    verb,
    ref,
    typeof s.message === 'string' ? s.message : typeof body === 'string' ? body.slice(0, 300) : '',
    typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter : undefined,
  );
}
