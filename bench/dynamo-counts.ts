// The monitors' DynamoDB requests, counted by the local DynamoDB server itself (by the access key
// that signed them and the operation: hack/dynamodb/serve.py answers GET /_inferctl/requests), so
// they are counted on the wire, not by the monitor's own counters, with nothing in their path
// that production does not have. The monitors sign with MONITOR_ACCESS_KEY; the benchmark's own
// reads and writes sign with another key and are not counted.

export interface DynamoCounts {
  /** Operation (e.g. `GetRecords`, `Scan`, `PutItem`) → requests. */
  readonly byOperation: Record<string, number>;
  /** PutItem requests that wrote a region heartbeat (`endpoint_name = "_region"`). */
  readonly heartbeats: number;
}

/** The access key the bench starts its monitors with (bench/monitors.ts). */
export const MONITOR_ACCESS_KEY = 'bench-monitor';

export const DYNAMO_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

interface ServerCounts {
  readonly requests: Record<string, Record<string, number>>;
  readonly heartbeats: Record<string, number>;
}

/** Reads the server's counts of the requests signed with one access key. */
export class RequestCounter {
  constructor(
    private readonly endpoint: string,
    private readonly accessKey: string = MONITOR_ACCESS_KEY,
  ) {}

  async snapshot(): Promise<DynamoCounts> {
    const res = await fetch(`${this.endpoint}/_inferctl/requests`);
    if (!res.ok)
      throw new Error(`the DynamoDB server's request counts: HTTP ${res.status} ${await res.text()}`);
    const counts = (await res.json()) as ServerCounts;
    return {
      byOperation: { ...(counts.requests[this.accessKey] ?? {}) },
      heartbeats: counts.heartbeats[this.accessKey] ?? 0,
    };
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
