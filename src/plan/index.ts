// Public surface of plan/: decide what to apply or delete, and why. Pure, no I/O.
export { findDrift } from './drift.js';
export type { Action, RenderedRef } from './plan.js';
export { plan, planSettled, renderedRefs } from './plan.js';
