import { readFileSync } from 'node:fs';
import { Command } from 'commander';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('inferctl')
    .description('Declare GPU inference endpoints once; run them in every target region.')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print the full error chain on failure')
    .showHelpAfterError();
  return program;
}

export async function runCli(program: Command, argv: string[]): Promise<void> {
  await program.parseAsync(argv);
}
