// One ordering for the names, regions, reasons and messages the monitor and the CLI sort: by UTF-16
// code unit, as `<` compares strings. Not `localeCompare`: its order depends on the ICU locale the
// process starts with, and its first call loads ICU's collation tables, about 3 MB of RSS in a
// monitor that compares only identifiers (BENCHMARKS.md, issue 15).

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
