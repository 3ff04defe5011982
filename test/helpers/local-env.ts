import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { down, type LocalEnv, up } from '../../src/local/env.js';

export interface LocalEnvHandle {
  /** Filled in by beforeAll. */
  env: LocalEnv;
  dir: string;
}

/**
 * Brings up real servers for one test file (a control plane per region and a DynamoDB server)
 * in a temporary directory, and tears them down after the file's tests.
 */
export function useLocalEnv(options: { regions?: readonly string[]; nodes?: boolean } = {}): LocalEnvHandle {
  const handle = { env: undefined as unknown as LocalEnv, dir: '' };
  beforeAll(async () => {
    handle.dir = mkdtempSync(join(tmpdir(), 'inferctl-test-'));
    const started = await up({
      regions: options.regions ?? [],
      dir: handle.dir,
      nodes: options.nodes ?? false,
    });
    handle.env = started.env;
  }, 600_000);
  afterAll(async () => {
    if (handle.dir) await down(handle.dir);
  }, 60_000);
  return handle;
}
