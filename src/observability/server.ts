import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Alive: the process's loops are running. */
  live(): boolean;
  /** Ready: caches synced, API server and store reachable, leader or standby; with the reasons when not. */
  ready(): Promise<{ ok: boolean; reasons: string[] }>;
}

/** The port is taken by another process (EADDRINUSE). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`${host}:${port} is already in use`, options);
  }
}

/** Serves /metrics, /healthz and /readyz on loopback unless told otherwise. */
export function startObservabilityServer(options: {
  port: number;
  host?: string;
  registry: Registry;
  health: HealthSource;
}): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      options.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    if (path === '/healthz') {
      const ok = options.health.live();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'not alive\n');
      return;
    }
    if (path === '/readyz') {
      options.health
        .ready()
        .then(({ ok, reasons }) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
          res.end(ok ? 'ok\n' : `${reasons.join('\n')}\n`);
        })
        .catch((err: unknown) => {
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end(`readiness check failed: ${String(err)}\n`);
        });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, options.port, { cause: err }) : err),
    );
    server.listen(options.port, host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : options.port });
    });
  });
}
