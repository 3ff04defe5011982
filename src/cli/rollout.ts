// Region waves as readers show them: what each region waits on, computed with the same pure rules
// the monitors decide by (src/rollout), so `status` and `--wait` say what a region's monitor does
// without any region writing a countdown (docs/decisions/0010-region-waves.md).
import type { Endpoint, RegionStatus, RolloutHalt } from '../model/index.js';
import { chooseServe, type GateWait, type Policy } from '../rollout/index.js';
import { shorten } from './causes.js';

export interface RolloutRead {
  /** The closed gate this region waits on before it applies the endpoint's generation. */
  readonly wait?: GateWait;
  /** This region halted the rollout of the endpoint's generation. */
  readonly halt?: RolloutHalt;
}

export function readRollout(
  endpoint: Endpoint,
  region: string,
  statusOf: (region: string) => RegionStatus | undefined,
  now: Date,
): RolloutRead {
  const own = statusOf(region);
  const halt = own?.halt?.generation === endpoint.generation ? own.halt : undefined;
  const serve = chooseServe({ endpoint, region, own, statusOf, now });
  const wait = serve.kind === 'current' ? undefined : serve.wait;
  return { ...(wait ? { wait } : {}), ...(halt ? { halt } : {}) };
}

/** Whole seconds, rounded up: "0 s left" would read as done while the gate is still closed. */
export const leftSeconds = (ms: number): number => Math.ceil(ms / 1000);

/** `waiting: us-east-1 baking, 212 s left`, as `status` shows it for the waiting region. */
export function waitLine(w: GateWait, generation: number): string {
  switch (w.kind) {
    case 'waiting':
      return `waiting: ${w.region} not healthy at generation ${generation} yet`;
    case 'baking':
      return `waiting: ${w.region} baking, ${leftSeconds(w.leftMs)} s left`;
    case 'halted':
      return `halted: ${w.region} ${w.halt.reason}`;
  }
}

/** The halting region's own line. */
export function haltLine(h: RolloutHalt): string {
  const back = h.revertedTo !== undefined ? `; reverted to generation ${h.revertedTo}` : '';
  return `halted here: ${h.reason}: ${shorten(h.message)}${back}`;
}

/**
 * `us-east-1 → eu-west-1, ap-northeast-1; bake 300 s; on failure revert; progress deadline 900 s`
 * for a policy whose waves are the plan (`wavePlan`: unnamed targets last).
 */
export function planLine(plan: Policy): string {
  const waves = plan.waves.map((w) => w.join(', ')).join(' → ');
  return `${waves}; bake ${plan.bake_seconds} s; on failure ${plan.on_failure}; progress deadline ${plan.progress_deadline_seconds} s`;
}
