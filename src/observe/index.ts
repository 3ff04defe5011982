// Public surface of observe/: from what the cluster shows to a region's status item and the
// watchdog's decision. Pure, no I/O.
export {
  causesToWrite,
  diagnoseEndpoint,
  type PodSource,
} from './diagnosis.js';
export type { StatusInput, WatchdogDecision } from './status.js';
export { computeStatus, plainProgress, watchdog } from './status.js';
export { progressWrite } from './status-writes.js';
