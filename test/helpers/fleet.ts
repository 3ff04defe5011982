// Regions with a monitor each, for tests that watch the whole system: local servers, fresh
// tables, one `inferctl monitor` process per region, and handles to read each cluster.
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type ClusterHandle, cluster } from './cluster.js';
import { type LocalEnvHandle, useLocalEnv } from './local-env.js';
import { type MonitorProcess, startMonitor } from './monitor.js';
import { freshStore, type TestStore } from './store.js';

interface Fleet {
  readonly handle: LocalEnvHandle;
  /** Filled in by beforeAll. */
  ts: TestStore;
  readonly clusters: Record<string, ClusterHandle>;
  readonly monitors: MonitorProcess[];
}

export function useFleet(options: {
  regions: readonly string[];
  nodes?: boolean;
  monitorEnv?: Record<string, string>;
}): Fleet {
  const handle = useLocalEnv({ regions: options.regions, nodes: options.nodes ?? true });
  const fleet: Fleet = { handle, ts: undefined as unknown as TestStore, clusters: {}, monitors: [] };
  beforeAll(async () => {
    fleet.ts = await freshStore(handle.env.dynamodb.endpoint);
    for (const region of options.regions) {
      fleet.clusters[region] = cluster(handle.env.regions[region]!.kubeconfig);
      fleet.monitors.push(
        await startMonitor({
          env: handle.env,
          region,
          tables: fleet.ts.tables,
          logDir: join(handle.dir, 'monitors'),
          ...(options.monitorEnv ? { extraEnv: options.monitorEnv } : {}),
        }),
      );
    }
  }, 180_000);
  afterAll(async () => {
    for (const m of fleet.monitors.splice(0)) await m.stop();
    fleet.ts?.clients.destroy();
  });
  return fleet;
}
