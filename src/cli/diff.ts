// A field-by-field diff of two endpoint documents, one line per leaf: what every writing verb
// prints, and all `--dry-run` prints. Lists are compared whole (their order matters); an empty
// map has no leaves, which is what a user means by "no env".

type Leaves = Map<string, string>;

function leaves(value: unknown, path: string, out: Leaves): Leaves {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    for (const [k, v] of entries) leaves(v, path ? `${path}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(path, JSON.stringify(value));
  }
  return out;
}

/**
 * `~ path: old → new`, `+ path: new`, `- path: old`, sorted by path; empty when nothing differs.
 */
export function diffLines(before: unknown, after: unknown): string[] {
  const a = leaves(before, '', new Map());
  const b = leaves(after, '', new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: string[] = [];
  for (const p of paths) {
    const x = a.get(p);
    const y = b.get(p);
    if (x === y) continue;
    if (x === undefined) out.push(`+ ${p}: ${y}`);
    else if (y === undefined) out.push(`- ${p}: ${x}`);
    else out.push(`~ ${p}: ${x} → ${y}`);
  }
  return out;
}
