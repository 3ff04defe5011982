// The wave plan of an endpoint: the waves its rollout policy names, restricted to its target
// regions, then one last wave of the target regions no wave names.
import type { Endpoint } from '../model/index.js';

export type Policy = NonNullable<Endpoint['spec']['rollout']>;

/** Waves in order; empty when the endpoint has no rollout policy (every region at once). */
export function wavePlan(endpoint: Pick<Endpoint, 'spec' | 'targetRegions'>): string[][] {
  const policy = endpoint.spec.rollout;
  if (!policy) return [];
  const targets = new Set(endpoint.targetRegions);
  const named = new Set(policy.waves.flat());
  const waves = policy.waves.map((w) => w.filter((r) => targets.has(r))).filter((w) => w.length > 0);
  const rest = endpoint.targetRegions.filter((r) => !named.has(r));
  return rest.length > 0 ? [...waves, [...rest].sort()] : waves;
}

/** The index of a region's wave, or -1 when it is not a target region. */
export function waveOf(plan: readonly (readonly string[])[], region: string): number {
  return plan.findIndex((w) => w.includes(region));
}
