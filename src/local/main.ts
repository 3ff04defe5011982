// `npm run local -- up|down|env`: the local multi-region environment (DESIGN.md §5).
import { Command, Option } from 'commander';
import { defaultDir, down, envFile, readEnv, up } from './env.js';
import { LOCAL_REGIONS } from './regions.js';

const program = new Command('local')
  .description('Local regions (kube-apiserver + etcd each) and one DynamoDB server, on loopback')
  .addOption(new Option('--dir <path>', 'where state, logs and data live').default(defaultDir));

program
  .command('up')
  .description('start (or restart) the local environment; prints the env JSON path last')
  .option('--regions <list>', 'comma-separated region names', LOCAL_REGIONS.join(','))
  .option('--no-nodes', 'skip the controller manager, scheduler and simulated GPU nodes')
  .action(async (opts: { regions: string; nodes: boolean }) => {
    const dir = program.opts<{ dir: string }>().dir;
    const regions = opts.regions
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    const started = Date.now();
    const { env, envPath } = await up({ regions, dir, nodes: opts.nodes });
    for (const [name, r] of Object.entries(env.regions))
      console.error(`region ${name}: ${r.server}  (kubeconfig ${r.kubeconfig})`);
    console.error(`dynamodb: ${env.dynamodb.endpoint}`);
    console.error(`up in ${((Date.now() - started) / 1000).toFixed(1)} s; stop with: npm run local -- down`);
    console.log(envPath);
  });

program
  .command('down')
  .description('stop everything `up` started and remove its data')
  .action(async () => {
    const stopped = await down(program.opts<{ dir: string }>().dir);
    console.error(`stopped ${stopped} process(es)`);
  });

program
  .command('env')
  .description('print the env JSON of the running environment')
  .action(() => {
    const dir = program.opts<{ dir: string }>().dir;
    readEnv(dir);
    console.log(envFile(dir));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`local: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
