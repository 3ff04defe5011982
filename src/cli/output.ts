// Output: human tables by default, -o json / -o yaml for scripts. Data goes to stdout only.
import { stringify } from 'yaml';
import type { Writer } from './deps.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

/** Left-aligned columns separated by three spaces; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function printData(out: Writer, format: OutputFormat, data: unknown, table: () => string): void {
  if (format === 'json') out.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (format === 'yaml') out.write(stringify(data, { sortMapEntries: false }));
  else out.write(table());
}
