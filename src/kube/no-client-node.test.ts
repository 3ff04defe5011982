// The monitor must not load @kubernetes/client-node: importing it adds ~72 MB of RSS (generated
// API models), against a 150 MB budget (docs/decisions/0006). A type-only import is fine; a value
// import anywhere in the CLI's graph is not. This runs the real entry point in a fresh process with
// a module hook that records every module Node resolves or loads.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { moduleLog, monitorRefusingASetting } from '../../test/helpers/module-log.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'no-client-node-'));
  const { register, modules } = moduleLog(dir);
  const kubeconfig = (user: Record<string, unknown>) => {
    const file = join(dir, `kubeconfig-${Object.keys(user).join('-')}`);
    writeFileSync(
      file,
      stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    return file;
  };
  return { dir, register, kubeconfig, modules };
}

const clientNode = (m: string) =>
  m.includes('@kubernetes/client-node') || m.includes('@kubernetes+client-node');

// Child processes transpile the source tree with tsx: seconds on an idle machine, more under load.
describe('the monitor does not load @kubernetes/client-node', { timeout: 60_000 }, () => {
  test('`inferctl monitor` through the real entry point, up to reading its configuration (the whole monitor graph is imported)', async () => {
    const { register, modules } = setUp();
    // The verb's code loads only when it runs (not for --help), so run it, with a setting it
    // refuses: everything the monitor needs is imported by then, and nothing is contacted.
    const failed = await monitorRefusingASetting(join(repo, 'bin', 'inferctl.js'), register, repo);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('RECONCILE_INTERVAL_SECONDS');
    const loaded = modules();
    // The hook saw the graph (else an empty log would pass vacuously).
    expect(loaded.some((m) => m.endsWith('/src/kube/caches.ts'))).toBe(true);
    expect(loaded.some((m) => m.endsWith('/src/controller/monitor.ts'))).toBe(true);
    expect(loaded.filter(clientNode).slice(0, 3)).toEqual([]);
  });

  test('opening access from a token kubeconfig stays native; an exec user loads client-node', async () => {
    const { dir, register, kubeconfig, modules } = setUp();
    const script = join(dir, 'open.mts');
    writeFileSync(
      script,
      `const kube = await import(${JSON.stringify(pathToFileURL(join(repo, 'src', 'kube', 'index.ts')).href)});
await import(${JSON.stringify(pathToFileURL(join(repo, 'src', 'controller', 'index.ts')).href)});
const file = process.argv[2];
const access = await kube.openKubeAccess(kube.planKubeconfigFile(file));
console.log(access.description);
`,
    );
    const open = (file: string) =>
      run(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(register).href, script, file], {
        cwd: repo,
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      });

    const native = await open(kubeconfig({ token: 't' }));
    expect(native.stdout).not.toContain('via client-node');
    expect(modules().some((m) => m.endsWith('/src/kube/connection.ts'))).toBe(true);
    expect(modules().filter(clientNode).slice(0, 3)).toEqual([]);

    const exec = await open(
      kubeconfig({ exec: { command: 'true', apiVersion: 'client.authentication.k8s.io/v1' } }),
    );
    expect(exec.stdout).toContain('via client-node (user.exec)');
    // The same hook does see client-node when it is loaded: the assertions above are not vacuous.
    expect(modules().filter(clientNode).length).toBeGreaterThan(0);
  });
});
