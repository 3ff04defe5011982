// The monitor's own applies that its watch caches have not shown yet (controller-runtime calls
// these expectations). An apply returns at once, but the watch event that carries the new object
// arrives a few tens of ms later; a reconcile in between (triggered by the watch event of a sibling
// object) would find the object missing or stale and apply it again. From the moment a pass plans
// an apply until the watch shows it, the desired object (in flight) and then the object the apply
// returned stand in for the cache's copy.
import { type KubeObject, type KubeRef, refKey, refOf } from '../model/index.js';

/** An expectation the watch never met (a lost event) is dropped after this: the cache decides again. */
export const EXPECTATION_TTL_MS = 30_000;

interface Expectation {
  /** The object as the apply returned it. */
  readonly applied: KubeObject;
  /** resourceVersion of the copy the apply was planned against; undefined: there was none. */
  readonly beforeVersion: string | undefined;
  readonly expiresAt: number;
}

export class ApplyExpectations {
  /** endpoint → object key → expectation. Only objects applied and not yet seen: usually empty. */
  private readonly byEndpoint = new Map<string, Map<string, Expectation>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = EXPECTATION_TTL_MS,
  ) {}

  /**
   * Remembers an apply of one of `endpoint`'s objects: the desired object while the apply is in
   * flight, then the object the API server returned. `before` is the copy the plan saw (null:
   * none). A no-op apply (same resourceVersion) produces no watch event: nothing stays expected.
   */
  expect(endpoint: string, before: KubeObject | null, applied: KubeObject): void {
    const key = refKey(refOf(applied));
    const beforeVersion = before?.metadata.resourceVersion;
    if (beforeVersion !== undefined && beforeVersion === applied.metadata.resourceVersion) {
      this.forgetKey(endpoint, key);
      return;
    }
    let objects = this.byEndpoint.get(endpoint);
    if (!objects) {
      objects = new Map();
      this.byEndpoint.set(endpoint, objects);
    }
    objects.set(key, { applied, beforeVersion, expiresAt: this.now() + this.ttlMs });
  }

  /** Whether an apply of this endpoint's is still waiting for the watch to show it. */
  pending(endpoint: string): boolean {
    return this.byEndpoint.has(endpoint);
  }

  /** An apply that failed or was never sent: the cache decides again. */
  forget(endpoint: string, ref: KubeRef): void {
    this.forgetKey(endpoint, refKey(ref));
  }

  private forgetKey(endpoint: string, key: string): void {
    const objects = this.byEndpoint.get(endpoint);
    objects?.delete(key);
    if (objects?.size === 0) this.byEndpoint.delete(endpoint);
  }

  /**
   * The endpoint's objects as the watch shows them, with each own write the watch has not shown
   * yet in place of the cache's copy (or added, for a create). The watch has shown a write once
   * its copy moved away from the one the apply was planned against: present after a create, a
   * different resourceVersion (or gone) after an update. Met and expired expectations are dropped.
   */
  overlay(endpoint: string, live: readonly KubeObject[]): KubeObject[] {
    const objects = this.byEndpoint.get(endpoint);
    if (!objects) return live as KubeObject[];
    const now = this.now();
    const out = new Map(live.map((o) => [refKey(refOf(o)), o]));
    for (const [key, e] of objects) {
      const copy = out.get(key);
      const shown =
        e.beforeVersion === undefined
          ? copy !== undefined
          : copy?.metadata.resourceVersion !== e.beforeVersion;
      if (shown || now >= e.expiresAt) {
        objects.delete(key);
        continue;
      }
      out.set(key, e.applied);
    }
    if (objects.size === 0) this.byEndpoint.delete(endpoint);
    return [...out.values()];
  }
}
