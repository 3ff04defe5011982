// Public surface of plan/: decide what to apply or delete, and why. Pure, no I/O.
export { findDrift, subsetDiff } from './drift.js';
export type { Action, ActionReason, ActionVerb, PlanContext } from './plan.js';
export { ACTION_REASONS, ownedBy, plan, sortActions } from './plan.js';
