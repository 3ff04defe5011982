import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ensureTables, openStore, tableDefinitions } from '../../store/index.js';
import { ctxOf } from '../context.js';
import { type CliDeps, storeConfig } from '../deps.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('init')
    .description(
      'create the tables if missing (for a local DynamoDB); production tables come from infrastructure code',
    )
    .option('--print', 'print the CreateTable definitions instead of creating anything')
    .addHelpText(
      'after',
      '\nExamples:\n  inferctl init --dynamodb-endpoint http://127.0.0.1:8000\n  inferctl init --print -o json',
    )
    .action(async (flags: { print?: boolean }, command: Command) => {
      const ctx = ctxOf(command, deps);
      const config = storeConfig(deps, ctx.global);
      if (flags.print) {
        const defs = tableDefinitions(config.tables);
        deps.stdout.write(ctx.format === 'yaml' ? stringify(defs) : `${JSON.stringify(defs, null, 2)}\n`);
        return;
      }
      const { clients } = openStore(config);
      try {
        for (const r of await ensureTables(clients.dynamodb, config.tables)) {
          ctx.progress(`table ${r.table}: ${r.created ? 'created' : 'exists'}`);
        }
      } finally {
        clients.destroy();
      }
    });
}
