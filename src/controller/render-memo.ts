// Rendered objects per desired Endpoint value. The desired cache replaces an endpoint's value when
// its item changes and keeps the same value otherwise, so the reconciles an unchanged endpoint
// gets (a watch event on its pods, every resync) reuse one render and its content hashes instead
// of rendering and hashing again: at 1 000 endpoints that was the monitor's largest own CPU cost.
import type { Endpoint, KubeObject } from '../model/index.js';
import { type RenderedRef, renderedRefs } from '../plan/index.js';
import type { RenderOptions } from '../render/index.js';

/**
 * How many endpoint values keep their render. The reuse comes in bursts (a rollout's watch events
 * for one endpoint arrive within seconds of each other), so the most recently used ones are the
 * ones worth keeping. Few are: a render costs about 0.085 ms of CPU (1 000 endpoints in 85 ms, V8
 * lite mode), while keeping one costs 3.4 KB; at 1 000 endpoints a memo holding all of them was
 * 3.35 MB of a 24 MB live heap (BENCHMARKS.md, issue 15).
 */
export const RENDER_MEMO_ENDPOINTS = 64;

export class RenderMemo {
  // Insertion order is recency: a hit moves its endpoint to the end, the first one is evicted.
  private readonly byEndpoint = new Map<Endpoint, Map<string, readonly KubeObject[]>>();
  // The keys and hashes of every render, kept after its objects are evicted and for as long as the
  // endpoint value lives (the desired cache drops a replaced value): about 0.5 KB an endpoint,
  // where its objects were 3.4 KB. Enough for planSettled, so a pass over settled objects (every
  // resync's, for each endpoint) needs no render at all.
  private readonly refs = new WeakMap<Endpoint, Map<string, readonly RenderedRef[]>>();

  constructor(
    private readonly renderFn: (
      endpoint: Endpoint,
      region: string,
      options: RenderOptions,
    ) => readonly KubeObject[],
    private readonly capacity = RENDER_MEMO_ENDPOINTS,
  ) {}

  render(endpoint: Endpoint, region: string, options: RenderOptions): readonly KubeObject[] {
    const key = keyOf(region, options);
    let forEndpoint = this.byEndpoint.get(endpoint);
    if (forEndpoint) this.byEndpoint.delete(endpoint);
    else forEndpoint = new Map();
    this.byEndpoint.set(endpoint, forEndpoint);
    if (this.byEndpoint.size > this.capacity) {
      const oldest = this.byEndpoint.keys().next().value;
      if (oldest !== undefined) this.byEndpoint.delete(oldest);
    }
    let objects = forEndpoint.get(key);
    if (!objects) {
      // Shared between reconciles from now on: frozen, so a caller that mutated one would fail
      // loudly instead of changing what the next reconcile applies.
      objects = deepFreeze(this.renderFn(endpoint, region, options));
      forEndpoint.set(key, objects);
      const refs = this.refs.get(endpoint) ?? new Map<string, readonly RenderedRef[]>();
      refs.set(key, renderedRefs(objects));
      this.refs.set(endpoint, refs);
    }
    return objects;
  }

  /** The keys and hashes of the last render of this endpoint value with these options, if any. */
  renderedRefs(
    endpoint: Endpoint,
    region: string,
    options: RenderOptions,
  ): readonly RenderedRef[] | undefined {
    return this.refs.get(endpoint)?.get(keyOf(region, options));
  }

  /** Endpoint values holding a render now. */
  get size(): number {
    return this.byEndpoint.size;
  }
}

function keyOf(region: string, options: RenderOptions): string {
  return `${region}\u0000${options.modelSyncImage ?? ''}\u0000${options.ingressPulled === true}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
