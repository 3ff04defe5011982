// Phase 1: servers, the bench's clients, the monitors' identity, fresh tables, the request counter.
import { join } from 'node:path';
import { down, up } from '../../src/local/env.js';
import {
  type DynamoStore,
  ensureTables,
  openStore,
  type StoreClients,
  type TableNames,
} from '../../src/store/index.js';
import type { BenchOptions } from '../args.js';
import { CpuMeter } from '../cpu.js';
import { RequestCounter } from '../dynamo-counts.js';
import { type Region, regionClient } from '../fleet.js';
import { setUpMonitorIdentity } from '../kube-side.js';
import { buildMonitor } from '../monitors.js';
import { log } from '../stats.js';
import { enableStatusStream } from '../status-stream.js';
import type { Teardown } from '../teardown.js';

const repoRoot = join(import.meta.dirname, '..', '..');

export interface Bench {
  readonly opts: BenchOptions;
  readonly dir: string;
  readonly logDir: string;
  /** The monitor's entry point: compiled, or bin/inferctl.js with --tsx. */
  readonly entry: string;
  readonly regionNames: readonly string[];
  readonly regions: readonly Region[];
  readonly N: number;
  /** Digits of N, for names that sort as numbers. */
  readonly width: number;
  readonly tables: TableNames;
  readonly store: DynamoStore;
  readonly clients: StoreClients;
  readonly statusStreamArn: string;
  readonly cpu: CpuMeter;
  /** The monitors' DynamoDB requests, as the server counted them. */
  readonly dynamoRequests: RequestCounter;
  /** Where the monitors reach DynamoDB (the server itself). */
  readonly dynamoEndpoint: string;
}

export async function setUp(
  opts: BenchOptions,
  regionNames: readonly string[],
  dir: string,
  logDir: string,
  teardown: Teardown,
): Promise<Bench> {
  const entry = opts.tsx ? join(repoRoot, 'bin', 'inferctl.js') : await buildMonitor();
  log(`monitor entry point: ${entry}`);
  log(`bringing up ${opts.regions} region(s)${opts.pods ? ' with simulated nodes' : ''} in ${dir}`);
  teardown.add(() => down(dir));
  const { env } = await up({ regions: regionNames, dir, nodes: opts.pods });
  const regions = regionNames.map((name) => regionClient(name, env, dir));
  for (const r of regions) await setUpMonitorIdentity(r.client, env.regions[r.name]!, r.monitorKubeconfig);

  const suffix = Date.now().toString(36);
  const tables: TableNames = {
    endpoints: `bench-endpoints-${suffix}`,
    status: `bench-status-${suffix}`,
    // Gated regions render the generation they serve from its revision (--waves only, so the
    // other phases write exactly what they always did).
    ...(opts.waves ? { revisions: `bench-revisions-${suffix}` } : {}),
  };
  const { store, clients } = openStore({ tables, endpoint: env.dynamodb.endpoint, region: 'us-east-1' });
  teardown.add(() => clients.destroy());
  await ensureTables(clients.dynamodb, tables);
  const statusStreamArn = await enableStatusStream(clients.dynamodb, tables.status);
  const cpu = new CpuMeter(dir);
  const dynamoRequests = new RequestCounter(env.dynamodb.endpoint);
  const N = opts.endpoints;
  return {
    opts,
    dir,
    logDir,
    entry,
    regionNames,
    regions,
    N,
    width: String(N).length,
    tables,
    store,
    clients,
    statusStreamArn,
    cpu,
    dynamoRequests,
    dynamoEndpoint: env.dynamodb.endpoint,
  };
}
