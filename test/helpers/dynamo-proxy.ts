// A loopback HTTP proxy between the monitor and the local DynamoDB server, to simulate the store
// going away (connections reset) or throttling (HTTP 400 ProvisionedThroughputExceededException),
// since the in-memory server itself cannot be stopped without losing its data.
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

type ProxyMode =
  | { readonly kind: 'pass' }
  /** Every connection is reset at once, open keep-alive connections included. */
  | { readonly kind: 'down' }
  /** This fraction of requests is answered with DynamoDB's throttling error; the rest pass. */
  | {
      readonly kind: 'throttle';
      readonly fraction: number;
      /**
       * Throttle only this operation (`Scan`, `PutItem`…), on this table when one is named (a
       * stream read names none); everything else passes.
       */
      readonly only?: { readonly operation: string; readonly table?: string };
    };

export interface DynamoProxy {
  readonly endpoint: string;
  setMode(mode: ProxyMode): void;
  /** Requests seen by outcome since start. */
  readonly counts: { passed: number; reset: number; throttled: number };
  close(): Promise<void>;
}

const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded (injected by the test proxy)',
});

export async function startDynamoProxy(upstream: string): Promise<DynamoProxy> {
  const target = new URL(upstream);
  let mode: ProxyMode = { kind: 'pass' };
  const counts = { passed: 0, reset: 0, throttled: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (mode.kind === 'down') {
      counts.reset++;
      req.socket.destroy();
      return;
    }
    // The body decides (`only` matches its table), so it is read whole before anything is sent.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (mode.kind === 'throttle' && throttles(mode, String(req.headers['x-amz-target'] ?? ''), body)) {
        counts.throttled++;
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': `proxy-${counts.throttled}`,
        });
        res.end(THROTTLE_BODY);
        return;
      }
      counts.passed++;
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => req.socket.destroy());
      up.end(body);
    });
  });
  server.on('connection', (socket) => {
    if (mode.kind === 'down') {
      counts.reset++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    setMode(next) {
      mode = next;
      if (next.kind === 'down') for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function throttles(mode: Extract<ProxyMode, { kind: 'throttle' }>, target: string, body: Buffer): boolean {
  if (mode.only) {
    if (!target.endsWith(`.${mode.only.operation}`)) return false;
    if (mode.only.table === undefined) return Math.random() < mode.fraction;
    const parsed = JSON.parse(body.toString('utf8') || '{}') as { TableName?: string };
    if (parsed.TableName !== mode.only.table) return false;
  }
  return Math.random() < mode.fraction;
}
