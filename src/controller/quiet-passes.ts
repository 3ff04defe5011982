// Endpoints whose last pass found nothing to write, with what that pass read. A resync skips such
// an endpoint while none of it has been replaced since: a change reaches the queue by itself (the
// watch caches, the change feed), and what changes with time alone (the watchdog, diagnosis
// thresholds) is a later look the pass asked the queue for, which the queue keeps. At 10 000
// endpoints a resync that passed over every endpoint kept an idle monitor a third of a core busy
// (BENCHMARKS.md, session 10).

import type { KubeObject } from '../model/index.js';

/**
 * Everything a pass reads about one endpoint, as the values its sources hold. Each source replaces
 * a value when it changes (a watch event brings a new object, the change feed a new entry, a pass
 * a new status), so comparing them by identity tells whether anything changed.
 */
export type ReadInputs = (name: string) => readonly unknown[];

export class QuietPasses {
  private readonly seen = new Map<string, readonly unknown[]>();

  constructor(private readonly read: ReadInputs) {}

  /** The endpoint's pass just ended quiet: what it read now stands for "nothing to do". */
  record(name: string): void {
    this.seen.set(name, this.read(name));
  }

  /** The endpoint's pass wrote something or failed. */
  forget(name: string): void {
    this.seen.delete(name);
  }

  /** A new term (leadership won again) starts from nothing: another replica may have acted. */
  clear(): void {
    this.seen.clear();
  }

  /** The last pass was quiet and nothing it read has been replaced since: a pass would find the same. */
  unchanged(name: string): boolean {
    const before = this.seen.get(name);
    if (!before) return false;
    const now = this.read(name);
    return now.length === before.length && now.every((value, i) => value === before[i]);
  }

  get size(): number {
    return this.seen.size;
  }
}

interface InputSources {
  readonly desired: { get(name: string): unknown };
  readonly statuses: { get(name: string): unknown };
  readonly observed: {
    byEndpoint(name: string): readonly KubeObject[];
    podsOf(namespace: string, deployment: string): readonly unknown[];
  };
}

/**
 * What a pass reads: the desired entry, the status it builds on, the cached objects and the pods
 * of each cached Deployment (diagnosis reads them). A watch event, a change-feed entry or a pass's
 * status each replace their value, so a stamp of these references goes stale with any of them.
 */
export function passInputs({ desired, statuses, observed }: InputSources): ReadInputs {
  return (name) => {
    const objects = observed.byEndpoint(name);
    const inputs: unknown[] = [desired.get(name), statuses.get(name), ...objects];
    for (const o of objects) {
      if (o.kind === 'Deployment')
        inputs.push(...observed.podsOf(o.metadata.namespace ?? '', o.metadata.name));
    }
    return inputs;
  };
}
