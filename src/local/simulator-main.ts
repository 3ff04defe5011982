// Entry point of the node simulator process that `local up` starts per region.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { defaultNodes, Simulator } from './simulator.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'ready-file': { type: 'string' },
    'gpu-nodes': { type: 'string', default: '2' },
  },
});
if (!values.kubeconfig) throw new Error('--kubeconfig is required');
const kc = new KubeConfig();
kc.loadFromFile(values.kubeconfig);
const log = (msg: string) => console.log(JSON.stringify({ time: new Date().toISOString(), msg }));
const simulator = new Simulator(kc, defaultNodes(Number(values['gpu-nodes'])));
await simulator.registerNodes();
await simulator.run(log);
log('simulator ready');
if (values['ready-file']) writeFileSync(values['ready-file'], 'ready\n');
