import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ctxOf } from '../context.js';
import type { CliDeps } from '../deps.js';
import { subjectOf } from '../document.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('get')
    .description('print the stored endpoint in exactly the form `apply -f` accepts (YAML unless -o json)')
    .argument('<name>', 'endpoint name')
    .addHelpText('after', '\nExample:\n  inferctl get llama3 -o yaml > llama3.yaml')
    .action(async (name: string, _flags: unknown, command: Command) => {
      const ctx = ctxOf(command, deps);
      // An item the schema rejects is printed as stored, so it can be fixed and applied back.
      const { desired_state: _state, ...doc } = subjectOf(await ctx.store.requireEndpoint(name));
      deps.stdout.write(ctx.format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc));
    });
}
