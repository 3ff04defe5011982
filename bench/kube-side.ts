// Server-side counting of one client's Kubernetes requests. The API server's
// `apiserver_request_total` has no user label, so the benchmark gives the monitor its own identity
// (a ServiceAccount token) and one API Priority and Fairness FlowSchema per verb that matches only
// that identity; `apiserver_flowcontrol_dispatched_requests_total{flow_schema=…}` then counts the
// monitor's requests by verb, on the server, whatever else (controllers, simulator, the bench's own
// watches) talks to the same API server. The schemas use the `exempt` priority level, as the
// admin user does, so the monitor is never throttled where the limit loop would not be.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KubeClient } from '../src/kube/index.js';

const MONITOR_SA = { namespace: 'gco-inference', name: 'bench-monitor' };
export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
export const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const PREFIX = 'bench-monitor-';

async function ensure(client: KubeClient, path: string, body: unknown): Promise<void> {
  try {
    await client.send({ method: 'POST', path, body, contentType: 'application/json', verb: 'create' });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}

function flowSchema(name: string, precedence: number, rule: Record<string, unknown>) {
  return {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name },
    spec: {
      priorityLevelConfiguration: { name: 'exempt' },
      matchingPrecedence: precedence,
      rules: [
        {
          subjects: [{ kind: 'ServiceAccount', serviceAccount: MONITOR_SA }],
          ...rule,
        },
      ],
    },
  };
}

/**
 * Creates the monitor's ServiceAccount (cluster-admin, like the local admin, so RBAC costs the
 * same), its FlowSchemas, and a kubeconfig with a fresh token. Returns the kubeconfig path.
 */
export async function setUpMonitorIdentity(
  client: KubeClient,
  region: { server: string; caFile: string },
  kubeconfigPath: string,
): Promise<void> {
  const ns = MONITOR_SA.namespace;
  await ensure(client, `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: MONITOR_SA.name },
  });
  await ensure(client, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'bench-monitor' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', ...MONITOR_SA }],
  });
  const fsPath = '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas';
  // Lease traffic (leader election) is counted apart: it is per monitor, not per endpoint.
  await ensure(
    client,
    fsPath,
    flowSchema(`${PREFIX}leases`, 100, {
      resourceRules: [
        {
          verbs: ['*'],
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          namespaces: ['*'],
          clusterScope: true,
        },
      ],
    }),
  );
  let precedence = 101;
  for (const verb of VERBS) {
    await ensure(
      client,
      fsPath,
      flowSchema(`${PREFIX}${verb}`, precedence++, {
        resourceRules: [
          { verbs: [verb], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true },
        ],
      }),
    );
  }
  await ensure(
    client,
    fsPath,
    flowSchema(`${PREFIX}nonresource`, precedence++, {
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    }),
  );
  const res = await client.send({
    method: 'POST',
    path: `/api/v1/namespaces/${ns}/serviceaccounts/${MONITOR_SA.name}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 86_400 },
    },
    contentType: 'application/json',
    verb: 'create',
  });
  const token = (res.body as { status: { token: string } }).status.token;
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'bench', cluster: { server: region.server, 'certificate-authority': region.caFile } },
      ],
      users: [{ name: 'bench-monitor', user: { token } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench-monitor' } }],
      'current-context': 'bench',
    }),
    { mode: 0o600 },
  );
}

export interface KubeCounts {
  /** FlowSchema suffix (a verb, `leases` or `nonresource`) → dispatched requests. */
  readonly monitor: Record<string, number>;
  /** `apiserver_request_total` by verb, all clients (for reference). */
  readonly allClients: Record<string, number>;
  /** `apiserver_request_total` by verb and resource[/subresource], all clients. */
  readonly byResource: Record<string, number>;
  /** `apiserver_watch_events_total` (events sent to watchers) by resource. */
  readonly watchEvents: Record<string, number>;
}

const label = (line: string, name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
const value = (line: string) => Number(/}\s+([0-9.e+]+)/.exec(line)?.[1] ?? Number.NaN);
const add = (to: Record<string, number>, key: string, n: number) => {
  if (Number.isFinite(n)) to[key] = (to[key] ?? 0) + n;
};

/** Reads /metrics (the bench's only request at that moment) and extracts the counters. */
export async function scrape(client: KubeClient): Promise<KubeCounts> {
  const res = await client.send({ method: 'GET', path: '/metrics', verb: 'get' });
  return parseKubeMetrics(String(res.body));
}

/** The counters of one `/metrics` text (Prometheus exposition format). */
export function parseKubeMetrics(text: string): KubeCounts {
  const monitor: Record<string, number> = {};
  const allClients: Record<string, number> = {};
  const byResource: Record<string, number> = {};
  const watchEvents: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('apiserver_watch_events_total{')) {
      add(watchEvents, label(line, 'resource') || label(line, 'kind'), value(line));
    } else if (line.startsWith('apiserver_flowcontrol_dispatched_requests_total{')) {
      const schema = /^bench-monitor-(.+)$/.exec(label(line, 'flow_schema'));
      if (schema) add(monitor, schema[1]!, value(line));
    } else if (line.startsWith('apiserver_request_total{')) {
      // Non-resource requests (/readyz, /metrics) carry their path as the subresource.
      const resource = label(line, 'resource');
      const sub = label(line, 'subresource');
      const what = resource && sub ? `${resource}/${sub}` : resource || sub;
      add(allClients, label(line, 'verb'), value(line));
      add(byResource, `${label(line, 'verb')} ${what}`, value(line));
    }
  }
  return { monitor, allClients, byResource, watchEvents };
}

export function diffKube(before: KubeCounts, after: KubeCounts): KubeCounts {
  const d = (a: Record<string, number>, b: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(b)) {
      const x = v - (a[k] ?? 0);
      if (x) out[k] = x;
    }
    return out;
  };
  return {
    monitor: d(before.monitor, after.monitor),
    allClients: d(before.allClients, after.allClients),
    byResource: d(before.byResource, after.byResource),
    watchEvents: d(before.watchEvents, after.watchEvents),
  };
}

/** The sum of several regions' counts. */
export function sumCounts(all: readonly KubeCounts[]): KubeCounts {
  const sum = (pick: (c: KubeCounts) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const c of all) for (const [k, v] of Object.entries(pick(c))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    monitor: sum((c) => c.monitor),
    allClients: sum((c) => c.allClients),
    byResource: sum((c) => c.byResource),
    watchEvents: sum((c) => c.watchEvents),
  };
}

/** One scrape of every region's API server, in region order. */
export function scrapeAll(clients: readonly KubeClient[]): Promise<KubeCounts[]> {
  return Promise.all(clients.map((c) => scrape(c)));
}

/** What every region's counters grew by between two `scrapeAll`s, summed over regions. */
export function sumDiffs(before: readonly KubeCounts[], after: readonly KubeCounts[]): KubeCounts {
  return sumCounts(after.map((a, i) => diffKube(before[i]!, a)));
}
