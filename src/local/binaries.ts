import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalEnvError } from './processes.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Binaries {
  readonly kubeBin: string;
  readonly motoServer: string;
}

/** Runs a hack/ script; its progress goes to our stderr, its last stdout line is the result. */
function script(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'hack', name)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', (err) => reject(new LocalEnvError(`hack/${name} could not start: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else reject(new LocalEnvError(`hack/${name} failed with exit code ${code}; its output is above`));
    });
  });
}

/** Builds or reuses the cached control-plane binaries and the local DynamoDB server. */
export async function ensureBinaries(parts: { kube: boolean } = { kube: true }): Promise<Binaries> {
  // Sequential on purpose: the Go build already uses both cores.
  const kubeBin = parts.kube ? await script('build-kube.sh') : '';
  const motoServer = await script('install-dynamodb.sh');
  return { kubeBin, motoServer };
}
