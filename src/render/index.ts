// Public surface of render/: (endpoint, region, options) → objects, plus hashing helpers.
export { canonicalJson, hashObject, hashOf } from './hash.js';
export type { RenderOptions } from './render.js';
export { render } from './render.js';
