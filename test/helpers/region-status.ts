// A region's status item for tests: running, one replica ready, no conditions, unless overridden.
import type { RegionStatus } from '../../src/model/index.js';

const AT = '2026-11-30T12:00:00.000Z';

export function regionStatus(
  fields: Pick<RegionStatus, 'endpointName' | 'region' | 'observedGeneration'> & Partial<RegionStatus>,
): RegionStatus {
  return {
    state: 'running',
    replicasReady: 1,
    replicasDesired: 1,
    ingressPulled: false,
    conditions: [],
    lastSync: AT,
    lastTransition: AT,
    ...fields,
  };
}
