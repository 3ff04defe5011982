// A counting loopback proxy in front of the local DynamoDB server: the monitors point
// DYNAMODB_ENDPOINT here, so their requests are counted on the wire (by X-Amz-Target operation),
// not by the monitor's own counters. The benchmark's own reads and writes bypass it.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface DynamoCounts {
  /** Operation (e.g. `GetRecords`, `Scan`, `PutItem`) → requests. */
  readonly byOperation: Record<string, number>;
  /** PutItem requests that wrote a region heartbeat (`endpoint_name = "_region"`). */
  readonly heartbeats: number;
}

export const DYNAMO_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

export class CountingProxy {
  private server: Server | undefined;
  private counts = new Map<string, number>();
  private heartbeats = 0;
  endpoint = '';

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const header = req.headers['x-amz-target'];
        const op = (Array.isArray(header) ? header[0] : header)?.split('.').pop() ?? `(http ${req.method})`;
        this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
        if (op === 'PutItem' && body.includes('"_region"')) this.heartbeats++;
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (up) => {
            // Hop-by-hop headers are the proxy's own business with the server: the monitors keep
            // their connections to the proxy, and the proxy its (Node's global agent keeps them
            // alive) to the local server.
            const { connection: _hop, 'keep-alive': _alive, ...headers } = up.headers;
            res.writeHead(up.statusCode ?? 502, headers);
            up.pipe(res);
          },
        );
        upstream.on('error', (err) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  snapshot(): DynamoCounts {
    return { byOperation: Object.fromEntries(this.counts), heartbeats: this.heartbeats };
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export function diffCounts(before: DynamoCounts, after: DynamoCounts): DynamoCounts {
  const byOperation: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.byOperation)) {
    const d = n - (before.byOperation[op] ?? 0);
    if (d) byOperation[op] = d;
  }
  return { byOperation, heartbeats: after.heartbeats - before.heartbeats };
}
