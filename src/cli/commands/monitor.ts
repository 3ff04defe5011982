import type { Command } from 'commander';
import { SETTINGS, type SettingKey } from '../../controller/config.js';
import type { CliDeps, GlobalOptions } from '../deps.js';

// Settings that the program already takes as global options.
const GLOBAL: Partial<Record<SettingKey, keyof GlobalOptions>> = {
  dynamodbEndpoint: 'dynamodbEndpoint',
  dynamodbRegion: 'dynamodbRegion',
  endpointsTable: 'endpointsTable',
  statusTable: 'statusTable',
};

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function register(program: Command, deps: CliDeps): void {
  const cmd = program
    .command('monitor')
    .description('run the regional monitor: reconcile this cluster with the endpoints table until stopped')
    .addHelpText('after', '\nEvery flag can also be set by the environment variable named in its help.\n');
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
    if (GLOBAL[key]) continue;
    cmd.option(`--${s.flag} <value>`, `${s.help} (env ${s.env}${s.default ? `, default ${s.default}` : ''})`);
  }
  cmd.option(
    '--once',
    'take the lease, run one full pass over every endpoint, release it and exit (1 if any failed)',
  );
  cmd.action(async (flags: Record<string, string | undefined> & { once?: boolean }, command: Command) => {
    const globals = command.optsWithGlobals() as GlobalOptions & Record<string, string | undefined>;
    const given: Partial<Record<SettingKey, string>> = {};
    for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
      const globalKey = GLOBAL[key];
      const value = globalKey ? (globals[globalKey] as string | undefined) : flags[camel(s.flag)];
      if (value !== undefined) given[key] = value;
    }
    // The monitor's code (controller, Kubernetes edge, metrics) loads only when this verb runs, so
    // every other verb starts without it.
    const { runMonitor } = await import('./monitor-run.js');
    await runMonitor(deps, given, {
      once: flags.once === true,
      version: command.parent?.version() ?? 'unknown',
    });
  });
}
