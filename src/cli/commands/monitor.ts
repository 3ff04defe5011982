import type { Command } from 'commander';
import {
  ConfigError,
  loadMonitorConfig,
  Monitor,
  SETTINGS,
  type SettingKey,
} from '../../controller/index.js';
import {
  type AccessPlan,
  KubeconfigError,
  openKubeAccess,
  planInCluster,
  planKubeconfigFile,
} from '../../kube/index.js';
import {
  createLogger,
  MonitorMetrics,
  PortInUseError,
  startObservabilityServer,
} from '../../observability/index.js';
import { openStore, storeConfigFromEnv } from '../../store/index.js';
import type { CliDeps, GlobalOptions } from '../deps.js';
import { CliError } from '../errors.js';

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
    let config: ReturnType<typeof loadMonitorConfig>;
    try {
      config = loadMonitorConfig(deps.env, given);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError('INVALID_INPUT', err.message, { cause: err });
      throw err;
    }
    const log = createLogger({ level: config.logLevel, region: config.region, identity: config.identity });
    const metrics = new MonitorMetrics();
    // Natively (no @kubernetes/client-node in memory) unless the kubeconfig's user needs it.
    let plan: AccessPlan;
    try {
      plan = config.kubeconfig ? planKubeconfigFile(config.kubeconfig) : planInCluster(deps.env);
    } catch (err) {
      if (err instanceof KubeconfigError) throw new CliError('INVALID_INPUT', err.message, { cause: err });
      throw err;
    }
    const kubeAccess = await openKubeAccess(plan);
    log.info({ kubeAccess: kubeAccess.description }, 'kubernetes access');
    const { store, clients } = openStore(
      storeConfigFromEnv(deps.env, {
        endpoint: config.dynamodbEndpoint,
        region: config.dynamodbRegion,
        endpointsTable: config.endpointsTable,
        statusTable: config.statusTable,
      }),
      { ownRegion: config.region },
    );
    const monitor = new Monitor(config, {
      store,
      storeClients: clients,
      kubeAccess,
      log,
      metrics,
      version: command.parent?.version() ?? 'unknown',
    });
    const health = { live: () => true, ready: () => monitor.readiness() };
    const serve = (setting: 'metricsPort' | 'healthPort') =>
      startObservabilityServer({
        host: config.listenAddress,
        port: config[setting],
        registry: metrics.registry,
        health,
      }).catch((err: unknown) => {
        clients.destroy();
        if (!(err instanceof PortInUseError)) throw err;
        const s = SETTINGS[setting];
        throw new CliError(
          'UNAVAILABLE',
          `port ${err.port} on ${err.host} is already in use: stop what listens there, or choose another port with --${s.flag} or ${s.env} (0 picks a free one)`,
          { cause: err },
        );
      });
    const servers = [await serve('metricsPort')];
    if (config.healthPort !== config.metricsPort) servers.push(await serve('healthPort'));
    log.info(
      { metricsPort: servers[0]?.port, healthPort: servers.at(-1)?.port },
      'serving /metrics, /healthz, /readyz',
    );
    if (flags.once) {
      try {
        const { reconciled, failed } = await monitor.runOnce();
        log.info({ reconciled, failed }, 'single pass finished');
        if (failed.length > 0) {
          throw new CliError(
            'INTERNAL',
            `monitor --once: ${failed.length} of ${reconciled} endpoint(s) failed: ${failed.join(', ')}`,
          );
        }
        return;
      } finally {
        for (const { server } of servers) server.close();
        clients.destroy();
      }
    }
    monitor.start();
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'shutting down');
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await monitor.stop();
    for (const { server } of servers) server.close();
    clients.destroy();
  });
}
