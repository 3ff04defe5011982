// Public surface of plan/: decide what to apply or delete, and why. Pure, no I/O.
export { findDrift } from './drift.js';
export type { Action } from './plan.js';
export { plan } from './plan.js';
