// Records every module a child Node process resolves or loads: pass `--import <register>` to it,
// then read `modules()`. ES modules through loader hooks; CommonJS (which Node 20's require()
// loads past the hooks) from require.cache when the process exits.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export interface ModuleLog {
  /** The file to pass to `node --import`. */
  readonly register: string;
  /** Every URL or path recorded so far, in order. */
  modules(): string[];
}

export function moduleLog(dir: string): ModuleLog {
  const log = join(dir, 'modules.log');
  writeFileSync(log, '');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));
`,
  );
  return { register, modules: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/**
 * Runs `inferctl monitor` from `entry` with a setting it refuses: the whole monitor graph is
 * imported by then, and nothing is contacted. Resolves with how it failed (undefined if it did not).
 */
export async function monitorRefusingASetting(
  entry: string,
  register: string,
  cwd?: string,
): Promise<{ code?: number; stderr?: string } | undefined> {
  const run = promisify(execFile);
  return run(process.execPath, ['--import', pathToFileURL(register).href, entry, 'monitor'], {
    ...(cwd ? { cwd } : {}),
    env: { ...process.env, NODE_NO_WARNINGS: '1', REGION: 'us-east-1', RECONCILE_INTERVAL_SECONDS: 'nope' },
  }).then(
    () => undefined,
    (err: { code?: number; stderr?: string }) => err,
  );
}
