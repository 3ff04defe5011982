// --wait: poll the status items until every target region reports the generation in the wanted
// state, print each cause and each rollout gate once as it appears, fail fast on a terminal region
// error, a terminal cause or a halted rollout, and say which monitors are stale or absent.
import {
  type Cause,
  ConditionType,
  compareCauses,
  conditionOf,
  type Endpoint,
  type RegionStatus,
  type RolloutHalt,
  regionReady,
} from '../model/index.js';
import { wavePlan } from '../rollout/index.js';
import type { RegionHeartbeat } from '../store/index.js';
import { causeKey, causeLine, isCauseReason, unseenCauses, whatToDo, worstCause } from './causes.js';
import type { Ctx } from './context.js';
import { parsedOrThrow } from './document.js';
import { CliError } from './errors.js';
import { leftSeconds, planLine, type RolloutRead, readRollout } from './rollout.js';
import { monitorState } from './views.js';

/**
 * A Stalled condition (or a terminal cause) older than the write being waited on may be about the
 * previous generation, which the new one might fix; it counts as terminal once the monitor had
 * this long to react.
 */
export const STALL_GRACE_MS = 15_000;

export type RegionVerdict =
  | { readonly kind: 'done' }
  /** `key` is what must change for the line to be printed again (a bake's seconds left must not). */
  | { readonly kind: 'pending'; readonly line: string; readonly key?: string }
  /** The rollout of the generation waited on halted in `region` (itself or an earlier wave). */
  | { readonly kind: 'halted'; readonly region: string; readonly halt: RolloutHalt }
  | { readonly kind: 'failed'; readonly line: string }
  /** A terminal cause at the generation waited on: no retry succeeds without a change. */
  | { readonly kind: 'blocked'; readonly line: string; readonly cause: Cause };

export interface VerdictInput {
  readonly endpoint: Endpoint;
  readonly region: string;
  readonly status: RegionStatus | undefined;
  readonly heartbeat: RegionHeartbeat | undefined;
  /** How long this wait has been running. */
  readonly waitedMs: number;
  /** The region's rollout gate and halt (src/cli/rollout.ts); absent without a policy. */
  readonly rollout?: RolloutRead;
}

/** One region's progress towards the endpoint's generation and desired state. */
export function regionVerdict({
  endpoint,
  region,
  status: s,
  heartbeat,
  waitedMs,
  rollout,
}: VerdictInput): RegionVerdict {
  const gen = endpoint.generation;
  // Before the causes: a halted rollout is the verdict, whichever region the wait looks at first.
  if (rollout?.halt) return { kind: 'halted', region, halt: rollout.halt };
  const wait = rollout?.wait;
  if (wait?.kind === 'halted') return { kind: 'halted', region: wait.region, halt: wait.halt };
  const monitor = monitorState(heartbeat);
  const monitorNote =
    monitor === 'absent'
      ? ' (no monitor has ever reported from this region)'
      : monitor === 'stale'
        ? ` (monitor stale: last heartbeat ${heartbeat?.lastHeartbeat ?? '?'})`
        : monitor === 'withdrawn'
          ? ` (monitor stopped at ${heartbeat?.withdrawnAt ?? '?'})`
          : '';
  if (wait) {
    const why =
      wait.kind === 'baking'
        ? `baking, ${leftSeconds(wait.leftMs)} s left`
        : `not healthy at generation ${gen} yet`;
    return {
      kind: 'pending',
      line: `${region}: waiting for ${wait.region} (${why})${monitorNote}`,
      key: `${region}: waiting for ${wait.region} (${wait.kind})${monitorNote}`,
    };
  }
  if (!s)
    return { kind: 'pending', line: `${region}: waiting for the monitor (no status yet)${monitorNote}` };
  const current = s.observedGeneration >= gen;
  const stalled = conditionOf(s, ConditionType.Stalled);
  // The monitor names a stall after the terminal cause behind it; the cause decides, below.
  const causeStall = stalled?.status === 'True' && isCauseReason(stalled.reason);
  const top = [...(s.causes ?? [])].sort(compareCauses)[0];
  if (current && top?.severity === 'terminal') {
    // The first status at this generation may still carry the previous pods' diagnosis.
    const after = (t: string | undefined) =>
      t !== undefined && endpoint.updatedAt !== undefined && t >= endpoint.updatedAt;
    const fresh =
      (causeStall && after(stalled.lastTransitionTime)) || after(top.since) || waitedMs >= STALL_GRACE_MS;
    if (fresh) return { kind: 'blocked', line: `${region}: ${causeLine(top)}`, cause: top };
  }
  if (stalled?.status === 'True' && !causeStall) {
    // Terminal whatever the observed generation: a refused item never advances observed_generation.
    const fresh =
      current ||
      (endpoint.updatedAt !== undefined && stalled.lastTransitionTime >= endpoint.updatedAt) ||
      waitedMs >= STALL_GRACE_MS;
    if (fresh) return { kind: 'failed', line: `${region}: ${stalled.reason}: ${stalled.message}` };
  }
  if (current && s.state === 'error') return { kind: 'failed', line: `${region}: ${s.error ?? 'error'}` };
  const progress = `${region}: ${s.state} ${s.replicasReady}/${s.replicasDesired} ready, generation ${s.observedGeneration}/${gen}${monitorNote}`;
  if (!current) return { kind: 'pending', line: progress };
  const want = endpoint.desiredState;
  if (want === 'stopped' || want === 'deleted') {
    return s.state === want ? { kind: 'done' } : { kind: 'pending', line: progress };
  }
  if (!regionReady(s)) return { kind: 'pending', line: progress };
  const canary = endpoint.spec.canary;
  if (canary && ((s.canaryReady ?? 0) < canary.replicas || s.canaryWeight !== canary.weight)) {
    return {
      kind: 'pending',
      line: `${region}: canary ${s.canaryReady ?? 0}/${canary.replicas} ready at ${s.canaryWeight ?? 0}% (want ${canary.weight}%)${monitorNote}`,
    };
  }
  return { kind: 'done' };
}

/** Regions whose monitor cannot be expected to report, named in the timeout message. */
function monitorProblems(
  regions: readonly string[],
  heartbeats: ReadonlyMap<string, RegionHeartbeat>,
): string {
  const by = (state: string) => regions.filter((r) => monitorState(heartbeats.get(r)) === state);
  const parts = [
    [by('stale'), 'monitor stale'],
    [by('withdrawn'), 'monitor stopped'],
    [by('absent'), 'no monitor ever reported'],
  ] as const;
  const text = parts.filter(([rs]) => rs.length > 0).map(([rs, what]) => `${what}: ${rs.join(', ')}`);
  return text.length > 0 ? ` (${text.join('; ')})` : '';
}

/** What still holds the pending regions back (a waiting cause, e.g. Unschedulable), in the timeout message. */
function pendingCauses(
  regions: readonly string[],
  statuses: ReadonlyMap<string, RegionStatus>,
  generation: number,
): string {
  const held = regions.flatMap((region) => {
    const s = statuses.get(region);
    const top =
      s && s.observedGeneration >= generation ? worstCause([{ region, causes: s.causes ?? [] }]) : undefined;
    return top ? [`${region}: ${causeLine(top.cause)}`] : [];
  });
  return held.length > 0 ? `; ${held.join('; ')}` : '';
}

export async function waitForRollout(
  ctx: Ctx,
  name: string,
  generation: number,
  timeoutMs: number,
): Promise<void> {
  const started = ctx.deps.now().getTime();
  const deadline = started + timeoutMs;
  const last = new Map<string, string>();
  const seen = new Set<string>();
  let planShown = false;
  let cleanedShown = false;
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
        `${name} changed again while waiting (generation ${endpoint.generation} > ${generation}); wait on the newer change with \`inferctl status ${name} --wait\``,
      );
    }
    const [statusList, heartbeatList] = await Promise.all([
      ctx.store.listStatus(name),
      ctx.store.listRegions(),
    ]);
    const statuses = new Map(statusList.map((s) => [s.region, s]));
    const heartbeats = new Map(heartbeatList.map((h) => [h.region, h]));
    const now = ctx.deps.now();
    const waitedMs = now.getTime() - started;
    const policy = endpoint.spec.rollout;
    if (policy && !planShown) {
      ctx.progress(`${name}: rollout in waves: ${planLine({ ...policy, waves: wavePlan(endpoint) })}`);
      planShown = true;
    }
    const pending: string[] = [];
    const gated: string[] = [];
    // Every region's new causes first: a halt found below must not hide the cause behind it.
    for (const region of endpoint.targetRegions) {
      const status = statuses.get(region);
      // Causes a monitor reports before it applied this generation are about the previous one.
      if (status && status.observedGeneration >= generation) {
        for (const { cause } of unseenCauses(seen, region, status.causes ?? [])) {
          ctx.progress(`${name} ${region}: ${causeLine(cause)}`);
          seen.add(causeKey(region, cause));
        }
      }
    }
    for (const region of endpoint.targetRegions) {
      const status = statuses.get(region);
      const rollout = policy ? readRollout(endpoint, region, (r) => statuses.get(r), now) : undefined;
      const v = regionVerdict({
        endpoint,
        region,
        status,
        heartbeat: heartbeats.get(region),
        waitedMs,
        ...(rollout ? { rollout } : {}),
      });
      if (v.kind === 'halted') {
        const h = v.halt;
        const back = h.revertedTo !== undefined ? ` (reverted to generation ${h.revertedTo})` : '';
        const fix = isCauseReason(h.reason)
          ? whatToDo(h.reason)
          : `find why it was not healthy in time (\`inferctl status ${name}\`), then apply a fix`;
        throw new CliError(
          'BLOCKED',
          `${name}: rollout of generation ${generation} halted in ${v.region}: ${h.reason}: ${h.message}${back}; later waves keep what they run; to resume: ${fix}, or go back with \`inferctl revert ${name}\``,
        );
      }
      if (v.kind === 'failed') {
        throw new CliError('FAILED', `${name}: ${v.line}; fix the spec (or the cluster) and apply again`);
      }
      if (v.kind === 'blocked') {
        throw new CliError('BLOCKED', `${name}: ${v.line}; to fix: ${whatToDo(v.cause.reason)}`);
      }
      const line = v.kind === 'done' ? `${region}: done` : v.line;
      const key = (v.kind === 'pending' && v.key) || line;
      if (last.get(region) !== key) {
        ctx.progress(`${name} ${line}`);
        last.set(region, key);
      }
      if (v.kind === 'pending') {
        pending.push(region);
        if (v.key) gated.push(v.line);
      }
    }
    // A delete is done when the item is gone, not when the regions are clean: the monitor that
    // sees every region report deleted purges it a moment later, and until then `status` still
    // finds the endpoint. So --wait on a delete returns at the top of the loop, on "purged".
    const cleaned = pending.length === 0 && endpoint.desiredState === 'deleted';
    if (cleaned && !cleanedShown) {
      ctx.progress(
        `${name}: generation ${generation} deleted in every target region; waiting for the item to be purged`,
      );
      cleanedShown = true;
    }
    if (pending.length === 0 && endpoint.targetRegions.length > 0 && !cleaned) {
      const what = endpoint.desiredState === 'stopped' ? 'stopped' : 'ready';
      ctx.progress(`${name}: generation ${generation} ${what} in every target region`);
      return;
    }
    if (ctx.deps.now().getTime() >= deadline) {
      if (cleaned) {
        throw new CliError(
          'TIMEOUT',
          `${name}: timed out waiting for the item to be purged: every target region reports generation ${generation} deleted, but no monitor has removed the item${monitorProblems(endpoint.targetRegions, heartbeats)}; if the monitors are gone for good: \`inferctl delete ${name} --force\``,
        );
      }
      throw new CliError(
        'TIMEOUT',
        `${name}: timed out waiting for generation ${generation} in ${pending.join(', ') || 'any region (no target regions)'}${monitorProblems(pending, heartbeats)}${pendingCauses(pending, statuses, generation)}${gated.length > 0 ? `; ${gated.join('; ')}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, ctx.deps.pollMs));
  }
}
