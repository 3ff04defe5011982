import type { Command } from 'commander';
import { ctxOf } from '../context.js';
import type { CliDeps } from '../deps.js';
import { formatTable, printData } from '../output.js';
import { regionsView } from '../views.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('regions')
    .description('list regions known from monitor heartbeats: monitor alive, stale or stopped')
    .addHelpText('after', '\nExample:\n  inferctl regions -o json')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = ctxOf(command, deps);
      const rows = regionsView(await ctx.store.listRegions());
      printData(ctx.deps.stdout, ctx.format, rows, () =>
        formatTable(
          ['REGION', 'LAST HEARTBEAT', 'MONITOR', 'IDENTITY', 'VERSION', 'NAMESPACES'],
          rows.map((r) => [
            r.region,
            r.last_heartbeat,
            r.monitor,
            r.identity || '-',
            r.version ?? '-',
            r.allowed_namespaces?.join(',') ?? '-',
          ]),
        ),
      );
    });
}
