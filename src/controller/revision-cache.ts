// Earlier generations of an endpoint, as a region behind a wave gate (or one that reverted) serves
// them: read from the revisions table once, then kept. A revision never changes once written, so
// the cache needs no invalidation, only a bound.
import { DESIRED_STATES, type Endpoint, parseSpec } from '../model/index.js';
import type { Revision } from '../store/index.js';

const CAPACITY = 1_000;

export class RevisionCache {
  /** name|generation → the revision, or null when the table has none (expired, never written). */
  private readonly entries = new Map<string, Revision | null>();

  constructor(private readonly read: (name: string, generation: number) => Promise<Revision | undefined>) {}

  /**
   * The endpoint as it was at `generation`: the current item's name, namespace, labels and ingress
   * path with the revision's spec, target regions and desired state. Undefined when there is no
   * usable revision: the caller keeps what runs.
   */
  async endpointAt(current: Endpoint, generation: number): Promise<Endpoint | undefined> {
    const key = `${current.name}|${generation}`;
    let revision = this.entries.get(key);
    if (revision === undefined) {
      revision = (await this.read(current.name, generation)) ?? null;
      if (this.entries.size >= CAPACITY) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, revision);
    }
    return revision ? endpointFromRevision(current, revision) : undefined;
  }
}

function endpointFromRevision(current: Endpoint, revision: Revision): Endpoint | undefined {
  const spec = parseSpec(revision.spec);
  if (!spec.ok) return undefined;
  const desiredState = DESIRED_STATES.find((s) => s === revision.desiredState) ?? 'deploying';
  return {
    ...current,
    spec: spec.value,
    targetRegions: [...new Set(revision.targetRegions)].sort(),
    desiredState,
    generation: revision.generation,
  };
}
