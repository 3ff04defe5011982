// Why an endpoint is not serving, from its pods and Deployments: pure (docs/diagnosis.md).
export { diagnose, diagnoseUntil } from './diagnose.js';
export { type DeploymentLike, type PodLike, trimDeployment, trimPod } from './trim.js';
export * from './types.js';
export { significantChange, type WriteDecision } from './write-policy.js';
