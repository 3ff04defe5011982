// tsx bench/heap-summary.ts FILE.heapsnapshot
// Where a monitor's heap goes (a snapshot written by `npm run bench -- --heap-snapshot DIR`): what
// each of its long-lived structures keeps alive, and the rest by kind of V8 object.
//
// "Keeps alive" = what would become unreachable from the GC roots if every instance of the
// structure's classes were gone. The watch caches and the desired cache share nothing, so their
// figures add up; the render memo is a WeakMap keyed by the desired cache's endpoints, so it is
// counted by what its per-endpoint maps hold.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/heap-summary.ts FILE.heapsnapshot');
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;
const TYPE = meta.node_fields.indexOf('type');
const NAME = meta.node_fields.indexOf('name');
const SELF = meta.node_fields.indexOf('self_size');
const EDGES = meta.node_fields.indexOf('edge_count');
const EDGE_TYPE = meta.edge_fields.indexOf('type');
const EDGE_NAME = meta.edge_fields.indexOf('name_or_index');
const EDGE_TO = meta.edge_fields.indexOf('to_node');
const WEAK = edgeTypes.indexOf('weak');

const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + EDGES]!;
}
firstEdge[count] = edges.length / EF;

const typeOf = (v: number) => nodeTypes[nodes[v * NF + TYPE]!]!;
const nameOf = (v: number) => strings[nodes[v * NF + NAME]!]!;
const selfOf = (v: number) => nodes[v * NF + SELF]!;
const MB = (bytes: number) => (bytes / 1048576).toFixed(2).padStart(7);

/** Bytes reachable from the roots without passing through a node `cut` accepts. */
function reachable(cut: (v: number) => boolean): number {
  const seen = new Uint8Array(count);
  const stack = [0];
  seen[0] = 1;
  let total = 0;
  while (stack.length > 0) {
    const v = stack.pop()!;
    total += selfOf(v);
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) {
      if (edges[e * EF + EDGE_TYPE] === WEAK) continue;
      const w = edges[e * EF + EDGE_TO]! / NF;
      if (!seen[w] && !cut(w)) {
        seen[w] = 1;
        stack.push(w);
      }
    }
  }
  return total;
}

const total = reachable(() => false);
console.log(`${MB(total)} MB reachable heap\n\nkept alive by:`);
const STRUCTURES: [string, string[]][] = [
  ['watch caches: owned objects and trimmed pods (KubeCaches)', ['KubeCaches', 'Reflector']],
  ['desired cache (DesiredCache)', ['DesiredCache']],
  ['status book (StatusBook)', ['StatusBook']],
  ['last status written, per endpoint (StatusTable)', ['StatusTable']],
  ['work queue (WorkQueue)', ['WorkQueue']],
  ['metrics (MonitorMetrics, Registry)', ['MonitorMetrics', 'Registry']],
  ['logger (Pino)', ['Pino']],
];
for (const [label, classes] of STRUCTURES) {
  const set = new Set(classes);
  const without = reachable((v) => typeOf(v) === 'object' && set.has(nameOf(v)));
  console.log(`${MB(total - without)} MB  ${label}`);
}

// The render memo: a WeakMap from each desired endpoint to a Map of its renders. V8 also links each
// key to its value, so cutting the memo alone frees nothing; cut the Maps its table holds instead.
const targets = (v: number) => {
  const out: [string, number][] = [];
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) {
    const name = edges[e * EF + EDGE_NAME]!;
    const label = edgeTypes[edges[e * EF + EDGE_TYPE]!] === 'element' ? String(name) : strings[name]!;
    out.push([label, edges[e * EF + EDGE_TO]! / NF]);
  }
  return out;
};
const memoValues = new Set<number>();
for (let v = 0; v < count; v++) {
  if (typeOf(v) !== 'object' || nameOf(v) !== 'RenderMemo') continue;
  for (const [, weakMap] of targets(v).filter(([l]) => l === 'byEndpoint'))
    for (const [, table] of targets(weakMap).filter(([l]) => l === 'table'))
      for (const [, value] of targets(table))
        if (typeOf(value) === 'object' && nameOf(value) === 'Map') memoValues.add(value);
}
const memo = total - reachable((v) => memoValues.has(v));
console.log(`${MB(memo)} MB  render memo (RenderMemo: ${memoValues.size} endpoints' renders)`);

const byKind = new Map<string, [number, number]>();
for (let v = 0; v < count; v++) {
  const type = typeOf(v);
  const key =
    type === 'object' || type === 'closure' || type === 'native'
      ? `${type} ${nameOf(v).slice(0, 40)}`
      : type === 'code' && nameOf(v).startsWith('system /')
        ? `code ${nameOf(v)}`
        : type;
  const entry = byKind.get(key) ?? [0, 0];
  entry[0] += selfOf(v);
  entry[1]++;
  byKind.set(key, entry);
}
console.log('\nself size by kind (top 25):');
for (const [key, [bytes, n]] of [...byKind].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25))
  console.log(`${MB(bytes)} MB  ${String(n).padStart(8)}  ${key}`);

// Source text V8 keeps for lazy compilation: what loading a module costs besides its code.
let sources = 0;
for (let v = 0; v < count; v++) if (typeOf(v) === 'string' && selfOf(v) > 16_384) sources += selfOf(v);
console.log(`\n${MB(sources)} MB  in strings over 16 KB (module source text)`);
