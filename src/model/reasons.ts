// Condition types and PascalCase reasons written into status items, events and logs.

export const ConditionType = {
  Ready: 'Ready',
  /** Abnormal-true: work in progress. */
  Reconciling: 'Reconciling',
  /** Abnormal-true: cannot progress until the spec changes. */
  Stalled: 'Stalled',
  CanaryReady: 'CanaryReady',
  WatchdogTripped: 'WatchdogTripped',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  Succeeded: 'Succeeded',
  Progressing: 'Progressing',
  WaitingForReplicas: 'WaitingForReplicas',
  CanaryNotReady: 'CanaryNotReady',
  CanaryReady: 'CanaryReady',
  InvalidSpec: 'InvalidSpec',
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  ApplyFailed: 'ApplyFailed',
  /** The API server refused a rendered object as invalid: retrying the same object cannot help. */
  ApplyRejected: 'ApplyRejected',
  DeleteFailed: 'DeleteFailed',
  WatchdogTripped: 'WatchdogTripped',
  Stopped: 'Stopped',
  Deleted: 'Deleted',
  /** Region waves: an earlier wave has not reported this generation healthy for its bake yet. */
  WaitingForWave: 'WaitingForWave',
  /** Region waves: a region halted the rollout of this generation. */
  RolloutHalted: 'RolloutHalted',
  /** Region waves: the generation this region should serve has no revision to render it from. */
  RevisionMissing: 'RevisionMissing',
  /** Event: the gate opened and this region applies the generation. */
  WaveStarted: 'WaveStarted',
  /** Event: this region went back to the last generation good everywhere. */
  RolloutReverted: 'RolloutReverted',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
