// What commands need from the outside world; tests pass their own streams, clock and env.
import { createInterface } from 'node:readline/promises';
import { openStore, type Store, type StoreConfig, storeConfigFromEnv } from '../store/index.js';

export interface Writer {
  write(s: string): unknown;
}

export interface CliDeps {
  readonly stdout: Writer;
  readonly stderr: Writer;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTTY: boolean;
  readonly now: () => Date;
  /** Poll interval for --wait / --watch. */
  readonly pollMs: number;
  /** Aborted when the user interrupts; `status --watch` ends on it. Default: the first SIGINT. */
  interrupted?(): AbortSignal;
  /** Ask a yes/no question on the terminal. */
  confirm(question: string): Promise<boolean>;
  /** Opens the store for these global options; closed by runCli. */
  openStore(config: StoreConfig): Store;
  close(): void;
}

export function defaultDeps(): CliDeps {
  const opened: Array<{ destroy(): void }> = [];
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    now: () => new Date(),
    pollMs: Number(process.env.INFERCTL_POLL_MS ?? '') || 2_000,
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
    openStore(config) {
      const { store, clients } = openStore(config);
      opened.push(clients);
      return store;
    },
    close() {
      for (const c of opened.splice(0)) c.destroy();
    },
  };
}

export interface GlobalOptions {
  readonly dynamodbEndpoint?: string;
  readonly dynamodbRegion?: string;
  readonly endpointsTable?: string;
  readonly statusTable?: string;
  readonly output: 'table' | 'json' | 'yaml';
  readonly debug?: boolean;
}

export function storeConfig(deps: CliDeps, g: GlobalOptions): StoreConfig {
  return storeConfigFromEnv(deps.env, {
    endpoint: g.dynamodbEndpoint,
    region: g.dynamodbRegion,
    endpointsTable: g.endpointsTable,
    statusTable: g.statusTable,
  });
}

/** Aborted on the first Ctrl-C; only verbs that run until interrupted ask for it. */
export function sigintSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  return ac.signal;
}
