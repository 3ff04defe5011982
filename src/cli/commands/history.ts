import type { Command } from 'commander';
import { z } from 'zod';
import type { EndpointRecord, Revision } from '../../store/index.js';
import { REVISIONS_KEPT } from '../../store/index.js';
import { ctxOf } from '../context.js';
import type { CliDeps } from '../deps.js';
import { diffLines } from '../diff.js';
import { formatTable, printData } from '../output.js';

/** What `history -o json|yaml` prints. */
export const historySchema = z.strictObject({
  name: z.string(),
  /** The endpoint's generation now. */
  generation: z.number().int(),
  /** Newest first; at most the last REVISIONS_KEPT generations. */
  revisions: z.array(
    z.strictObject({
      generation: z.number().int(),
      current: z.boolean(),
      written_at: z.string(),
      written_by: z.string(),
      reason: z.string().nullable(),
      summary: z.string(),
      desired_state: z.string(),
      target_regions: z.array(z.string()),
    }),
  ),
  /** Why the history is empty or stops short of the item, when it does. */
  note: z.string().nullable(),
});
export type HistoryView = z.infer<typeof historySchema>;

/**
 * Writers that keep no revisions (the Python tooling) leave either no revision at all, or a stored
 * spec that no longer matches the newest one (they change the item without bumping generation).
 */
function noteOf(rec: EndpointRecord, revisions: readonly Revision[]): string | null {
  const newest = revisions[0];
  if (!newest)
    return `no revisions stored for ${rec.name}: it was written by a tool that keeps none (e.g. the Python tooling) or before revisions existed; the next inferctl write starts its history`;
  if (newest.generation !== rec.generation)
    return `generation ${rec.generation} has no revision: it was written by a tool that keeps none`;
  const drift = diffLines(
    { spec: newest.spec, target_regions: newest.targetRegions },
    { spec: rec.raw.spec ?? {}, target_regions: rec.raw.target_regions ?? [] },
  );
  return drift.length > 0
    ? `the stored endpoint differs from generation ${rec.generation}'s revision (changed by a tool that keeps no revisions): ${drift.join('; ')}`
    : null;
}

export function historyView(rec: EndpointRecord, revisions: readonly Revision[]): HistoryView {
  return {
    name: rec.name,
    generation: rec.generation,
    revisions: revisions.map((r) => ({
      generation: r.generation,
      current: r.generation === rec.generation,
      written_at: r.writtenAt,
      written_by: r.writtenBy,
      reason: r.reason ?? null,
      summary: r.summary,
      desired_state: r.desiredState,
      target_regions: [...r.targetRegions],
    })),
    note: noteOf(rec, revisions),
  };
}

function historyTable(view: HistoryView): string {
  const rows = view.revisions.map((r) => [
    `${r.generation}${r.current ? ' (current)' : ''}`,
    r.written_at,
    r.written_by,
    r.reason ?? '-',
    r.summary,
  ]);
  const table =
    rows.length > 0 ? formatTable(['GENERATION', 'WRITTEN', 'BY', 'REASON', 'SUMMARY'], rows) : '';
  return `${table}${view.note ? `${view.name}: ${view.note}\n` : ''}`;
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command('history')
    .description(`list the endpoint's last ${REVISIONS_KEPT} generations: when, who or why, and what changed`)
    .argument('<name>', 'endpoint name')
    .addHelpText('after', '\nExamples:\n  inferctl history llama3\n  inferctl history llama3 -o json')
    .action(async (name: string, _flags: unknown, command: Command) => {
      const ctx = ctxOf(command, deps);
      const rec = await ctx.store.requireEndpoint(name);
      const view = historyView(rec, await ctx.store.listRevisions(name, rec.generation));
      printData(deps.stdout, ctx.format, view, () => historyTable(view));
    });
}
