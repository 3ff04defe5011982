import { dirname, join } from 'node:path';
import { repoRoot } from './binaries.js';
import { freePort, type Started, startDetached, stopProcess, waitUntilReady } from './processes.js';

/** moto's server without a log line per request. */
const SERVE_SCRIPT = join(repoRoot, 'hack', 'dynamodb', 'serve.py');

/**
 * Starts the local DynamoDB-compatible server (in memory) on a free loopback port, with the
 * Python of moto's virtualenv (`motoServer` is its moto_server executable).
 */
export async function startDynamo(
  motoServer: string,
  dir: string,
): Promise<{ proc: Started; endpoint: string }> {
  const python = join(dirname(motoServer), 'python');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const proc = startDetached(
      'dynamodb',
      python,
      [SERVE_SCRIPT, '-H', '127.0.0.1', '-p', String(port)],
      join(dir, 'dynamodb.log'),
    );
    try {
      // moto answers its own health path; any HTTP answer means the server is listening.
      await waitUntilReady(proc, async () => (await fetch(`${endpoint}/moto-api/`)).status < 500, 60_000);
      return { proc, endpoint };
    } catch (err) {
      await stopProcess(proc.pid);
      if (attempt < 2 && /address already in use/i.test(String(err))) continue;
      throw err;
    }
  }
}
