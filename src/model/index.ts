// Public surface of model/: endpoint types, the schema, names, owned kinds, object shape and phases.
// Pure, no I/O.

export {
  CAUSE_REASONS,
  type Cause,
  type CauseReason,
  compareCauses,
  type Severity,
  type Track,
} from './causes.js';
export type { Endpoint, ParseResult } from './endpoint.js';
export {
  effectiveImage,
  keepImagesConsistent,
  parseEndpointItem,
  parseSpec,
  parseSpecOrThrow,
  unknownSpecKeys,
  withImage,
} from './endpoint.js';
export { formatIssue, InvalidSpecError } from './errors.js';
export type { EndpointFile } from './input.js';
export { didYouMean, labelIssues, parseEndpointFile } from './input.js';
export type { RbacVerb } from './kinds.js';
export { apiGroupOf, DELETE_REASONS, findOwnedKind, OWNED_KINDS, ownedKind } from './kinds.js';
export * from './names.js';
export type { KubeObject, KubeRef } from './objects.js';
export { isSettled, refKey, refOf, SETTLED } from './objects.js';
export { compareText } from './order.js';
export type {
  AggregatePhase,
  Condition,
  RegionState,
  RegionStatus,
  RolloutHalt,
} from './phases.js';
export {
  AGGREGATE_PHASES,
  aggregatePhase,
  assertStatusInvariants,
  conditionOf,
  REGION_STATES,
  regionHealthy,
  regionReady,
  removeCondition,
  setCondition,
  statusInvariantViolations,
} from './phases.js';
export { quantitiesEqual } from './quantity.js';
export { ConditionType, Reason } from './reasons.js';
export type {
  DesiredState,
  EndpointSpec,
  EndpointSpecInput,
} from './schema.js';
export { DESIRED_STATES, ON_FAILURE, waveRegionIssues } from './schema.js';
