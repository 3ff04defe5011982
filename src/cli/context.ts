// Shared plumbing for the verbs: the store for this invocation, confirmation, mutation + --wait.
import type { Command } from 'commander';
import {
  type AggregateStatus,
  aggregatePhase,
  type Endpoint,
  type EndpointSpec,
  parseEndpointItem,
  type RegionStatus,
} from '../model/index.js';
import type { EndpointChange, EndpointRecord, Store } from '../store/index.js';
import { type CliDeps, type GlobalOptions, storeConfig } from './deps.js';
import { CliError } from './errors.js';
import { type OutputFormat, printData } from './output.js';

export interface Ctx {
  readonly deps: CliDeps;
  readonly global: GlobalOptions;
  readonly store: Store;
  readonly format: OutputFormat;
  progress(line: string): void;
}

export function ctxOf(cmd: Command, deps: CliDeps): Ctx {
  const global = cmd.optsWithGlobals() as GlobalOptions;
  let store: Store | undefined;
  return {
    deps,
    global,
    format: global.output ?? 'table',
    get store() {
      store ??= deps.openStore(storeConfig(deps, global));
      return store;
    },
    progress: (line) => deps.stderr.write(`${line}\n`),
  };
}

/** Destructive verbs: ask on a terminal, otherwise require --yes. */
export async function confirmOrYes(ctx: Ctx, yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!ctx.deps.isTTY)
    throw new CliError(
      'INVALID_INPUT',
      `${question.replace(/\?$/, '')}: refusing without --yes (not a terminal)`,
    );
  if (!(await ctx.deps.confirm(question))) throw new CliError('INVALID_INPUT', 'aborted');
}

export function parsedOrThrow(rec: EndpointRecord): Endpoint {
  if (rec.parsed.ok) return rec.parsed.value;
  throw new CliError('INVALID_INPUT', `stored endpoint ${rec.name} is invalid: ${rec.parsed.error.message}`, {
    cause: rec.parsed.error,
  });
}

/** Shown after every successful write. */
export function printWriteResult(ctx: Ctx, verb: string, rec: EndpointRecord): void {
  const e = rec.parsed.ok ? rec.parsed.value : undefined;
  const data = {
    name: rec.name,
    generation: rec.generation,
    desired_state: rec.raw.desired_state,
    target_regions: rec.raw.target_regions,
  };
  printData(
    ctx.deps.stdout,
    ctx.format,
    data,
    () =>
      `${rec.name}: ${verb} (generation ${rec.generation}, ${String(rec.raw.desired_state)}, regions ${(e?.targetRegions ?? []).join(',') || '-'})\n`,
  );
}

export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
  yes?: boolean;
}

export function addWaitOptions(cmd: Command): Command {
  return cmd
    .option('--wait', 'wait until every target region reports the new generation in the wanted state')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 90s, 10m)', '10m');
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m)
    throw new CliError(
      'INVALID_INPUT',
      `--timeout: expected a duration like 90s or 10m, got ${JSON.stringify(s)}`,
    );
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

/**
 * Read → change → conditional write at the generation read, then --wait if asked. `change`
 * returns the fields to replace (or throws a CliError).
 */
export async function mutate(
  ctx: Ctx,
  name: string,
  verb: string,
  flags: WaitFlags,
  change: (rec: EndpointRecord) => EndpointChange,
): Promise<EndpointRecord> {
  const rec = await ctx.store.requireEndpoint(name);
  const patch = change(rec);
  const updated = await ctx.store.updateEndpoint(name, rec.generation, patch);
  ctx.progress(`${name}: generation ${rec.generation} → ${updated.generation}`);
  printWriteResult(ctx, verb, updated);
  if (flags.wait) await waitForRollout(ctx, name, updated.generation, parseDuration(flags.timeout ?? '10m'));
  return updated;
}

/** Refuse spec edits of an endpoint being deleted: it would otherwise look revived. */
export function refuseDeleted(rec: EndpointRecord, verb: string): void {
  if (rec.raw.desired_state === 'deleted') {
    throw new CliError('CONFLICT', `endpoint ${rec.name} is being deleted; cannot ${verb} it`);
  }
}

export function specOf(rec: EndpointRecord): EndpointSpec {
  return parsedOrThrow(rec).spec;
}

export interface EndpointView {
  readonly endpoint: Endpoint;
  readonly statuses: readonly RegionStatus[];
  readonly aggregate: AggregateStatus;
}

export async function staleRegions(store: Store): Promise<Set<string>> {
  return new Set((await store.listRegions()).filter((r) => !r.alive).map((r) => r.region));
}

export async function viewOf(
  ctx: Ctx,
  name: string,
  stale?: ReadonlySet<string>,
): Promise<EndpointView | undefined> {
  const rec = await ctx.store.getEndpoint(name);
  if (!rec) return undefined;
  const endpoint = parsedOrThrow(rec);
  const statuses = await ctx.store.listStatus(name);
  const staleSet = stale ?? (await staleRegions(ctx.store));
  return { endpoint, statuses, aggregate: aggregatePhase(endpoint, statuses, { staleRegions: staleSet }) };
}

type RegionVerdict = { done: true } | { done: false; line: string } | { failed: string };

function regionVerdict(endpoint: Endpoint, region: string, s: RegionStatus | undefined): RegionVerdict {
  const gen = endpoint.generation;
  if (!s) return { done: false, line: `${region}: waiting for the monitor (no status yet)` };
  const current = s.observedGeneration >= gen;
  const stalled = s.conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (current && (s.state === 'error' || stalled)) {
    return { failed: `${region}: ${s.error ?? stalled?.message ?? 'error'}` };
  }
  const progress = `${region}: ${s.state} ${s.replicasReady}/${s.replicasDesired} ready, generation ${s.observedGeneration}/${gen}`;
  if (!current) return { done: false, line: progress };
  const want = endpoint.desiredState;
  if (want === 'stopped') return s.state === 'stopped' ? { done: true } : { done: false, line: progress };
  if (want === 'deleted') return s.state === 'deleted' ? { done: true } : { done: false, line: progress };
  const ready = s.state === 'running' && s.replicasReady >= s.replicasDesired && !s.ingressPulled;
  return ready ? { done: true } : { done: false, line: progress };
}

/**
 * Poll the status items until every target region reports observed_generation ≥ generation in
 * the wanted state (success), or an error at that generation (fail), or the timeout.
 */
export async function waitForRollout(
  ctx: Ctx,
  name: string,
  generation: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = ctx.deps.now().getTime() + timeoutMs;
  const last = new Map<string, string>();
  for (;;) {
    const rec = await ctx.store.getEndpoint(name);
    if (!rec) {
      ctx.progress(`${name}: purged`);
      return;
    }
    const endpoint = parsedOrThrow(rec);
    if (endpoint.generation > generation) {
      throw new CliError(
        'CONFLICT',
        `${name} changed again while waiting (generation ${endpoint.generation} > ${generation})`,
      );
    }
    const statuses = new Map((await ctx.store.listStatus(name)).map((s) => [s.region, s]));
    let allDone = endpoint.targetRegions.length > 0 || endpoint.desiredState === 'deleted';
    for (const region of endpoint.targetRegions) {
      const v = regionVerdict(endpoint, region, statuses.get(region));
      if ('failed' in v) throw new CliError('INTERNAL', `${name}: ${v.failed}`);
      const line = v.done ? `${region}: done` : v.line;
      if (last.get(region) !== line) {
        ctx.progress(`${name} ${line}`);
        last.set(region, line);
      }
      if (!v.done) allDone = false;
    }
    if (allDone) {
      ctx.progress(
        `${name}: generation ${generation} ${endpoint.desiredState === 'deleted' ? 'deleted' : endpoint.desiredState === 'stopped' ? 'stopped' : 'ready'} in every target region`,
      );
      return;
    }
    if (ctx.deps.now().getTime() >= deadline) {
      const pending = endpoint.targetRegions.filter((r) => last.get(r) !== `${r}: done`);
      throw new CliError(
        'TIMEOUT',
        `${name}: timed out waiting for generation ${generation} in ${pending.join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, ctx.deps.pollMs));
  }
}

export { parseEndpointItem };
