// Shared by the CLI integration tests: run `inferctl` in-process against the file's real DynamoDB
// server, with fixed store time so golden files are stable.

import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { buildProgram, type CliDeps, runCli } from '../../src/cli/index.js';
import type { RegionStatus } from '../../src/model/index.js';
import { HEARTBEAT_KEY, openStore, type StoreClients, type TableNames } from '../../src/store/index.js';

export const NOW = new Date('2025-06-01T12:00:00.000Z');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  tty?: boolean;
  answer?: boolean;
  /** Ends `status --watch`, as Ctrl-C does. */
  signal?: AbortSignal;
  /** Called with stdout / stderr as they grow (for --watch and --wait progress). */
  onStdout?: (all: string) => void;
  onStderr?: (all: string) => void;
}

export function cliRunner(endpoint: () => string, tables: TableNames) {
  function deps(out: { stdout: string; stderr: string }, opts: CliOptions): CliDeps {
    const opened: StoreClients[] = [];
    return {
      stdout: {
        write: (s: string) => {
          out.stdout += s;
          opts.onStdout?.(out.stdout);
        },
      },
      stderr: {
        write: (s: string) => {
          out.stderr += s;
          opts.onStderr?.(out.stderr);
        },
      },
      env: {
        DYNAMODB_ENDPOINT: endpoint(),
        INFERENCE_ENDPOINTS_TABLE_NAME: tables.endpoints,
        INFERENCE_STATUS_TABLE_NAME: tables.status,
        USER: 'tester',
      },
      isTTY: opts.tty ?? false,
      now: () => new Date(),
      pollMs: 50,
      ...(opts.signal ? { interrupted: () => opts.signal as AbortSignal } : {}),
      confirm: async () => opts.answer ?? false,
      openStore(config) {
        const o = openStore(config, { now: () => NOW });
        opened.push(o.clients);
        return o.store;
      },
      close: () => {
        for (const c of opened.splice(0)) c.destroy();
      },
    };
  }
  return async function cli(args: string, opts: CliOptions = {}): Promise<Run> {
    const out = { stdout: '', stderr: '' };
    const argv = args.match(/'[^']*'|\S+/g)?.map((a) => a.replace(/^'|'$/g, '')) ?? [];
    const code = await runCli(buildProgram(deps(out, opts)), ['node', 'inferctl', ...argv]);
    return { code, ...out };
  };
}

export const status = (name: string, region: string, over: Partial<RegionStatus> = {}): RegionStatus => ({
  endpointName: name,
  region,
  state: 'running',
  replicasReady: 1,
  replicasDesired: 1,
  observedGeneration: 1,
  ingressPulled: false,
  conditions: [],
  lastSync: '2025-06-01T11:59:00.000Z',
  lastTransition: '2025-06-01T11:00:00.000Z',
  ...over,
});

/**
 * A heartbeat as a monitor writes it, with the fields the CLI reads (allow-list, version,
 * withdrawal); written through the real server like any other item.
 */
export async function putHeartbeat(
  clients: StoreClients,
  tables: TableNames,
  hb: {
    region: string;
    identity: string;
    ageMs: number;
    allowedNamespaces?: string[];
    version?: string;
    withdrawnAt?: string;
  },
): Promise<void> {
  await clients.doc.send(
    new PutCommand({
      TableName: tables.status,
      Item: {
        endpoint_name: HEARTBEAT_KEY,
        region: hb.region,
        last_heartbeat: new Date(NOW.getTime() - hb.ageMs).toISOString(),
        monitor_identity: hb.identity,
        ...(hb.allowedNamespaces ? { allowed_namespaces: hb.allowedNamespaces } : {}),
        ...(hb.version ? { version: hb.version } : {}),
        ...(hb.withdrawnAt ? { withdrawn_at: hb.withdrawnAt } : {}),
      },
    }),
  );
}

export const golden = (file: string) => join(__dirname, 'golden', 'cli', file);
