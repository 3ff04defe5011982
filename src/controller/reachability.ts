// Can this replica reach what it works with right now? Asked by /readyz: a live request to the
// API server and one to the store, each with a short timeout, the answer cached briefly. Without
// it a monitor only learnt of an outage from its own next request, which a quiet standby (or an
// idle leader) may not send for a resync period: /readyz said 200 for 10–20 s after both stopped.
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { delay } from '../async/delay.js';
import type { KubeAccess } from '../kube/index.js';
import { classifyError } from '../store/index.js';

/** What one probe found: undefined when reachable, else why not. */
export type Probe = (signal: AbortSignal) => Promise<string | undefined>;

/** Each probe gives up after this long: an unreachable peer usually refuses at once, a hung one never answers. */
const PROBE_TIMEOUT_MS = 1_000;
/**
 * How long a result is reused. With the timeout, /readyz reflects an outage at most 3 s after it
 * began: inside one period of the Deployment's readiness probe (5 s, deploy/base/deployment.yaml).
 */
const PROBE_CACHE_MS = 2_000;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function apiServerProbe(access: KubeAccess): Probe {
  return async () => {
    try {
      // Any answer below 500 means the server is there (a 403 is RBAC's word on /readyz, not an outage).
      const res = await access.request({ method: 'GET', path: '/readyz' });
      return res.status < 500 ? undefined : `API server not ready: HTTP ${res.status}`;
    } catch (err) {
      return `API server unreachable: ${message(err)}`;
    }
  };
}

export function storeProbe(dynamodb: DynamoDBClient, table: string): Probe {
  return async (signal) => {
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
      return undefined;
    } catch (err) {
      return `store unavailable: ${message(classifyError(err, 'DescribeTable', table))}`;
    }
  };
}

export class Reachability {
  private last: { at: number; reasons: string[] } | undefined;
  private running: Promise<string[]> | undefined;

  constructor(
    private readonly probes: Readonly<Record<string, Probe>>,
    private readonly options: { timeoutMs?: number; cacheMs?: number; now?: () => number } = {},
  ) {}

  /** The reasons this replica cannot reach its peers (empty: it can). */
  async check(): Promise<string[]> {
    const now = this.options.now ?? Date.now;
    if (this.last && now() - this.last.at < (this.options.cacheMs ?? PROBE_CACHE_MS))
      return this.last.reasons;
    // Concurrent probes of /readyz share one round of requests.
    this.running ??= this.probeAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async probeAll(): Promise<string[]> {
    const timeoutMs = this.options.timeoutMs ?? PROBE_TIMEOUT_MS;
    const found = await Promise.all(
      Object.entries(this.probes).map(async ([name, probe]) => {
        const abort = new AbortController();
        const timedOut = delay(timeoutMs, abort.signal).then(() =>
          abort.signal.aborted ? undefined : `${name}: no answer within ${timeoutMs} ms`,
        );
        try {
          return await Promise.race([probe(abort.signal), timedOut]);
        } finally {
          abort.abort();
        }
      }),
    );
    const reasons = found.filter((r): r is string => r !== undefined);
    this.last = { at: (this.options.now ?? Date.now)(), reasons };
    return reasons;
  }
}
