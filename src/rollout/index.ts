// Region waves: which generation each region serves, when a rollout halts, and the clocks on the
// status items that both read. Pure; the monitor and the CLI share it (docs/rollout.md).
export { goodGeneration, healthyForMs, withRolloutClocks } from './clocks.js';
export {
  chooseServe,
  type Gate,
  type GateWait,
  gate,
  type HaltVerdict,
  haltVerdict,
  revertTarget,
  type Serve,
} from './gate.js';
export { type Policy, waveOf, wavePlan } from './waves.js';
