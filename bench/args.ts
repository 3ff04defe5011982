// The bench's command line (see run.ts for the usage line).
export const REGION_NAMES = ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2', 'eu-central-1'];

export interface BenchOptions {
  endpoints: number;
  regions: number;
  json: string;
  idleSeconds: number;
  changes: number;
  /** Pods broken one at a time for the pod → status latency (with pods only). */
  diagnoses: number;
  pods: boolean;
  cpuProf: string;
  /** Skip the limit loop: no `limit_s` or `converge_over_limit` (null in the JSON). */
  skipLimit: boolean;
  /** Where the first region's monitor writes a heap snapshot once the run has measured its RSS. */
  heapSnapshot: string;
  timeoutMinutes: number;
  dir: string;
  logDir: string;
  tsx: boolean;
  /** The region-waves phase: wave 1 is the first region, wave 2 the others. */
  waves: boolean;
  /** The waves phase's bake_seconds. */
  bakeSeconds: number;
  /** The waves phase's new generations: 0 = all at once, else one at a time this far apart. */
  waveGapMs: number;
  /**
   * How many times the loop with the bench's watches and the convergence are measured, in
   * alternation; the report gives each pair's ratio and their median (bench/phases/rounds.ts).
   */
  rounds: number;
}

export function parseArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    endpoints: 100,
    regions: 1,
    json: '',
    idleSeconds: 120,
    changes: 50,
    diagnoses: 20,
    pods: true,
    cpuProf: '',
    skipLimit: false,
    heapSnapshot: '',
    timeoutMinutes: 0,
    dir: '',
    logDir: '',
    tsx: false,
    waves: false,
    bakeSeconds: 10,
    waveGapMs: 0,
    rounds: 1,
  };
  let wavesOnly = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: expected a positive integer, got ${v}`);
      return n;
    };
    if (a === '--endpoints') opts.endpoints = int(next());
    else if (a === '--regions') opts.regions = int(next());
    else if (a === '--json') opts.json = next();
    else if (a === '--idle-seconds') opts.idleSeconds = int(next());
    else if (a === '--changes') opts.changes = int(next());
    else if (a === '--diagnoses') opts.diagnoses = int(next());
    else if (a === '--no-pods') opts.pods = false;
    else if (a === '--skip-limit') opts.skipLimit = true;
    else if (a === '--tsx') opts.tsx = true;
    else if (a === '--heap-snapshot') opts.heapSnapshot = next();
    else if (a === '--waves') opts.waves = true;
    else if (a === '--bake-seconds') {
      opts.bakeSeconds = int(next());
      wavesOnly = a;
    } else if (a === '--wave-gap-ms') {
      opts.waveGapMs = int(next());
      wavesOnly = a;
    } else if (a === '--cpu-prof') opts.cpuProf = next();
    else if (a === '--rounds') opts.rounds = int(next());
    else if (a === '--timeout-minutes') opts.timeoutMinutes = int(next());
    else if (a === '--dir') opts.dir = next();
    else if (a === '--log-dir') opts.logDir = next();
    else if (a === '--') continue;
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.regions > REGION_NAMES.length) throw new Error(`at most ${REGION_NAMES.length} regions`);
  if (opts.waves && opts.regions < 2)
    throw new Error('--waves needs --regions 2 or more: wave 1 is the first region, wave 2 the others');
  if (opts.rounds > 1 && opts.skipLimit)
    throw new Error('--rounds compares the loop with convergence: it cannot go with --skip-limit');
  if (wavesOnly && !opts.waves)
    throw new Error(`${wavesOnly} is an option of the --waves phase: add --waves`);
  // N=1000 R=3 with pods took ≈ 26 min on a loaded 2-core machine: leave room.
  if (!opts.timeoutMinutes)
    opts.timeoutMinutes =
      30 +
      Math.ceil((opts.endpoints * opts.regions) / 200) +
      // Two fleet-wide generations rolled wave by wave, and a second idle window.
      (opts.waves ? 10 + Math.ceil((opts.endpoints * opts.regions) / 300) : 0) +
      // Each further round: a loop, a convergence and two clean-ups.
      (opts.rounds - 1) * (2 + Math.ceil((opts.endpoints * opts.regions) / 150));
  return opts;
}
