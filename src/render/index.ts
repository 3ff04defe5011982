// Public surface of render/: (endpoint, region, options) → objects, plus hashing helpers.
export { canonicalJson, hashObject, hashOf, sortedRecord, withHash } from './hash.js';
export type { RenderOptions, ServerArgs } from './render.js';
export {
  ALB_HEALTHCHECK_INTERVAL,
  ALB_HEALTHCHECK_PATH,
  DEFAULT_MODEL_SYNC_IMAGE,
  isVllmImage,
  KARPENTER_CAPACITY_TYPE,
  NEURON_DEVICE,
  NVIDIA_GPU,
  render,
  SERVICE_PORT,
  serverArgs,
} from './render.js';
