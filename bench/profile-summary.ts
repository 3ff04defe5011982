// tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [FROM_S TO_S]
// Summarises a V8 CPU profile (node --cpu-prof): self time by function and by package/file area,
// over the whole profile or the window FROM_S..TO_S seconds after its start (a monitor's profile
// spans every phase of a bench; the busy seconds it prints first show where convergence was).
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [FROM_S TO_S]');
const top = Number(topArg ?? 20);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const idleId = profile.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
const fromUs = fromArg === undefined ? 0 : Number(fromArg) * 1e6;
const toUs = toArg === undefined ? Number.POSITIVE_INFINITY : Number(toArg) * 1e6;
const selfUs = new Map<number, number>();
const busyBySecond: number[] = [];
let t = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (id !== idleId) busyBySecond[Math.floor(t / 1e6)] = (busyBySecond[Math.floor(t / 1e6)] ?? 0) + dt;
  if (t < fromUs || t >= toUs) continue;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
}
const total = Math.min(toUs, profile.endTime - profile.startTime) - fromUs;
process.stdout.write(
  `busy ms per second since the start (seconds with > 100 ms): ${busyBySecond
    .map((us, s) => [s, Math.round((us ?? 0) / 1000)] as const)
    .filter(([, ms]) => ms > 100)
    .map(([s, ms]) => `${s}:${ms}`)
    .join(' ')}\n`,
);

function area(url: string): string {
  if (!url) return '(native/VM)';
  const own = /inferctl-bench[^/]*\/dist\/([^/]+)\//.exec(url);
  if (own) return `inferctl/${own[1]}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url;
  const src = /\/dist\/([^/]+)\//.exec(url) ?? /\/src\/([^/]+)\//.exec(url);
  return src ? `inferctl/${src[1]}` : url;
}

const byFn = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/')}:${f.lineNumber + 1}` : ''}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const a = area(f.url);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
const idle = byFn.get('(idle) ') ?? 0;
process.stdout.write(`profile ${file}: ${(total / 1e6).toFixed(1)} s wall, ${pct(total - idle)} busy\n\n`);
process.stdout.write('self time by area:\n');
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top))
  process.stdout.write(`  ${pct(us).padStart(6)}  ${a}\n`);
process.stdout.write('\nself time by function:\n');
for (const [k, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top))
  process.stdout.write(`  ${pct(us).padStart(6)}  ${k}\n`);
