import type { Command } from 'commander';
import { ctxOf } from '../context.js';
import type { CliDeps } from '../deps.js';
import { formatTable, printData } from '../output.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('regions')
    .description('list regions known from monitor heartbeats, with their last heartbeat')
    .addHelpText('after', '\nExample:\n  inferctl regions -o json')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = ctxOf(command, deps);
      const regions = await ctx.store.listRegions();
      const rows = regions.map((r) => ({
        region: r.region,
        last_heartbeat: r.lastHeartbeat,
        monitor: r.identity,
        alive: r.alive,
      }));
      printData(ctx.deps.stdout, ctx.format, rows, () =>
        formatTable(
          ['REGION', 'LAST HEARTBEAT', 'MONITOR', 'ALIVE'],
          rows.map((r) => [r.region, r.last_heartbeat, r.monitor || '-', r.alive ? 'yes' : 'stale']),
        ),
      );
    });
}
