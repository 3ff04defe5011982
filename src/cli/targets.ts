// Target regions and namespaces are checked against what monitors publish in their heartbeats,
// before anything is written: a typo in a region would otherwise wait forever for a monitor that
// does not exist, and a namespace outside a monitor's allow-list would only fail in that region.
import { didYouMean } from '../model/index.js';
import type { RegionHeartbeat, Store } from '../store/index.js';
import { CliError } from './errors.js';

export interface TargetCheck {
  readonly regions: readonly string[];
  readonly namespace: string;
  /** Accept regions no monitor has ever reported from (a cluster being set up). */
  readonly allowUnknownRegion?: boolean;
  /** Regions the endpoint already targets: kept as they are even if unknown. */
  readonly alreadyTargeted?: readonly string[];
}

export function checkTargets(heartbeats: readonly RegionHeartbeat[], check: TargetCheck): void {
  const known = heartbeats.map((h) => h.region);
  const unknown = check.regions.filter((r) => !known.includes(r) && !check.alreadyTargeted?.includes(r));
  if (unknown.length > 0 && !check.allowUnknownRegion) {
    const hints = unknown
      .map((r) => [r, didYouMean(r, known)] as const)
      .filter(([, g]) => g)
      .map(([r, g]) => `did you mean ${g} for ${r}?`);
    throw new CliError(
      'INVALID_INPUT',
      `target_regions: no monitor has ever reported from ${unknown.join(', ')} (known: ${known.join(', ') || 'none'})${hints.length > 0 ? `; ${hints.join('; ')}` : ''}; pass --allow-unknown-region to target it anyway`,
    );
  }
  for (const h of heartbeats) {
    if (!check.regions.includes(h.region) || !h.alive || !h.allowedNamespaces) continue;
    if (!h.allowedNamespaces.includes(check.namespace)) {
      throw new CliError(
        'INVALID_INPUT',
        `namespace: the monitor in ${h.region} only manages ${h.allowedNamespaces.join(', ')}, got ${JSON.stringify(check.namespace)}; use one of those or add it to that monitor's ALLOWED_NAMESPACES`,
      );
    }
  }
}

export async function verifyTargets(store: Store, check: TargetCheck): Promise<void> {
  checkTargets(await store.listRegions(), check);
}
