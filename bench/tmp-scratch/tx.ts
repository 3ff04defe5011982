import { ensureBinaries } from '../../src/local/binaries.js';
import { startDynamo } from '../../src/local/dynamodb.js';
import { stopProcess } from '../../src/local/processes.js';
import { parseSpecOrThrow } from '../../src/model/index.js';
import { ensureTables, openStore } from '../../src/store/index.js';
import { pool } from '../stats.js';

const b = await ensureBinaries({ kube: false });
const { proc, endpoint } = await startDynamo(b.motoServer, '/tmp/wb/moto');
try {
  const tables = { endpoints: 'e', status: 's', revisions: 'r' };
  const { store, clients } = openStore({ tables, endpoint, region: 'us-east-1' });
  await ensureTables(clients.dynamodb, tables);
  const spec = parseSpecOrThrow({ image: 'x:1', replicas: 1 });
  const N = Number(process.argv[2] ?? 1000);
  const names = Array.from({ length: N }, (_, i) => `e${i}`);
  let t = performance.now();
  await pool(names, 16, async (n) => {
    await store.createEndpoint({ name: n, spec, targetRegions: ['a'], namespace: 'ns' });
  });
  console.log('plain create', N, ((performance.now() - t) / N).toFixed(1), 'ms/write');
  const sample = names.slice(0, 100);
  t = performance.now();
  await pool(sample, 16, async (n) => {
    await store.updateSpec(n, 1, { ...spec, env: { A: '1' } });
  });
  console.log('plain update x100', ((performance.now() - t) / 100).toFixed(1), 'ms/write');
  t = performance.now();
  await pool(sample, 16, async (n) => {
    await store.updateEndpoint(
      n,
      2,
      { spec: { ...spec, env: { A: '2' } } },
      { writtenBy: 'b', summary: 's' },
    );
  });
  console.log('noted update x100', ((performance.now() - t) / 100).toFixed(1), 'ms/write');
  clients.destroy();
} finally {
  await stopProcess(proc.pid);
}
