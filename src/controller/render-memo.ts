// Rendered objects per desired Endpoint value. The desired cache replaces an endpoint's value when
// its item changes and keeps the same value otherwise, so the reconciles an unchanged endpoint
// gets (a watch event on its pods, every resync) reuse one render and its content hashes instead
// of rendering and hashing again: at 1 000 endpoints that was the monitor's largest own CPU cost.
import type { Endpoint, KubeObject } from '../model/index.js';
import type { RenderOptions } from '../render/index.js';

export class RenderMemo {
  private readonly byEndpoint = new WeakMap<Endpoint, Map<string, readonly KubeObject[]>>();

  constructor(
    private readonly renderFn: (
      endpoint: Endpoint,
      region: string,
      options: RenderOptions,
    ) => readonly KubeObject[],
  ) {}

  render(endpoint: Endpoint, region: string, options: RenderOptions): readonly KubeObject[] {
    const key = `${region}\u0000${options.modelSyncImage ?? ''}\u0000${options.ingressPulled === true}`;
    let forEndpoint = this.byEndpoint.get(endpoint);
    if (!forEndpoint) {
      forEndpoint = new Map();
      this.byEndpoint.set(endpoint, forEndpoint);
    }
    let objects = forEndpoint.get(key);
    if (!objects) {
      // Shared between reconciles from now on: frozen, so a caller that mutated one would fail
      // loudly instead of changing what the next reconcile applies.
      objects = deepFreeze(this.renderFn(endpoint, region, options));
      forEndpoint.set(key, objects);
    }
    return objects;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
