import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import * as apply from './commands/apply.js';
import * as canary from './commands/canary.js';
import * as del from './commands/delete.js';
import * as deploy from './commands/deploy.js';
import * as get from './commands/get.js';
import * as init from './commands/init.js';
import * as list from './commands/list.js';
import * as monitor from './commands/monitor.js';
import * as promote from './commands/promote.js';
import * as regions from './commands/regions.js';
import * as render from './commands/render.js';
import * as rollback from './commands/rollback.js';
import * as scale from './commands/scale.js';
import * as start from './commands/start.js';
import * as status from './commands/status.js';
import * as stop from './commands/stop.js';
import * as update from './commands/update.js';
import * as updateImage from './commands/update-image.js';
import { type CliDeps, defaultDeps } from './deps.js';
import { causeChain, EXIT_CODE, toCliError } from './errors.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const VERBS = [
  deploy,
  apply,
  get,
  list,
  status,
  update,
  scale,
  updateImage,
  canary,
  promote,
  rollback,
  stop,
  start,
  del,
  regions,
  init,
  render,
  monitor,
];

export function buildProgram(deps: CliDeps = defaultDeps()): Command {
  const program = new Command('inferctl')
    .description('Declare GPU inference endpoints once; run them in every target region.')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print the full error chain on failure')
    .option('--dynamodb-endpoint <url>', 'DynamoDB endpoint, e.g. a local server (env DYNAMODB_ENDPOINT)')
    .option('--dynamodb-region <region>', 'region of the tables (env DYNAMODB_REGION)')
    .option('--endpoints-table <name>', 'endpoints table (env INFERENCE_ENDPOINTS_TABLE_NAME)')
    .option('--status-table <name>', 'status table (env INFERENCE_STATUS_TABLE_NAME)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
    });
  for (const verb of VERBS) verb.register(program, deps);
  for (const cmd of program.commands) {
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (s) => deps.stdout.write(s), writeErr: (s) => deps.stderr.write(s) });
  }
  (program as Command & { deps?: CliDeps }).deps = deps;
  return program;
}

/** Runs the CLI and returns its exit code; the one place errors are printed. */
export async function runCli(program: Command, argv: string[]): Promise<number> {
  const deps = (program as Command & { deps?: CliDeps }).deps ?? defaultDeps();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is a usage error (already printed).
      return err.exitCode === 0 ? 0 : EXIT_CODE.INVALID_INPUT;
    }
    const cliErr = toCliError(err);
    deps.stderr.write(`error: ${cliErr.message}\n`);
    if (program.opts().debug || argv.includes('--debug')) {
      for (const line of causeChain(cliErr.cause ?? cliErr)) deps.stderr.write(`${line}\n`);
    }
    return EXIT_CODE[cliErr.code];
  } finally {
    deps.close();
  }
}
