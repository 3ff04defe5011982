// The desired state as last read from the endpoints table: checked against a paginated scan of
// every item's version each resync period (only items whose version differs are read in full) and
// kept current between scans by the change feed. Reconciles read it instead of issuing a GetItem
// each, so a resync costs one projected Scan plus reads of what changed.

import type { Endpoint, InvalidSpecError } from '../model/index.js';
import { canonicalJson } from '../render/index.js';

export type DesiredEntry =
  | { readonly kind: 'endpoint'; readonly endpoint: Endpoint }
  | {
      readonly kind: 'invalid';
      readonly name: string;
      readonly generation: number;
      readonly error: InvalidSpecError;
    };

interface ScanInput {
  readonly endpoints: readonly Endpoint[];
  readonly failures: readonly {
    readonly name: string | undefined;
    readonly error: InvalidSpecError;
    readonly raw: Readonly<Record<string, unknown>>;
  }[];
}

function fingerprint(entry: DesiredEntry | undefined): string {
  if (!entry) return '';
  return entry.kind === 'endpoint'
    ? canonicalJson(entry.endpoint)
    : `invalid:${entry.generation}:${entry.error.message}`;
}

export function invalidEntry(
  name: string,
  raw: Readonly<Record<string, unknown>>,
  error: InvalidSpecError,
): DesiredEntry {
  const generation = typeof raw.generation === 'number' ? raw.generation : Number(raw.generation ?? 0) || 0;
  return { kind: 'invalid', name, generation, error };
}

/** A full read of one item: its entry and its version (`itemVersion` of the raw item). */
interface FetchedEntry {
  readonly entry: DesiredEntry;
  readonly version: string;
}

export class DesiredCache {
  private readonly entries = new Map<string, DesiredEntry>();
  /** Version of each entry as read; absent when unknown (then the next resync reads it again). */
  private readonly versions = new Map<string, string>();
  /** For each name, the sequence number of its last single-item refresh. */
  private readonly refreshedAt = new Map<string, number>();
  private sequence = 0;
  private complete = false;
  /** Names whose endpoint has a rollout policy: the other regions' status is followed only for them. */
  private readonly withPolicy = new Set<string>();

  /** Marks the start of a scan; pass the token to replaceFromScan. */
  beginScan(): number {
    return ++this.sequence;
  }

  /** True once a full scan succeeded: only then may absence from the table delete anything. */
  get scanComplete(): boolean {
    return this.complete;
  }

  get(name: string): DesiredEntry | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Some endpoint has a rollout policy (region waves). */
  get anyRolloutPolicy(): boolean {
    return this.withPolicy.size > 0;
  }

  hasRolloutPolicy(name: string): boolean {
    return this.withPolicy.has(name);
  }

  private track(name: string, entry: DesiredEntry | undefined): void {
    if (entry?.kind === 'endpoint' && entry.endpoint.spec.rollout) this.withPolicy.add(name);
    else this.withPolicy.delete(name);
  }

  /** Replaces everything with a complete scan's result; returns the names whose entry changed. */
  replaceFromScan(scan: ScanInput, token: number = this.beginScan()): string[] {
    const next = new Map<string, DesiredEntry>();
    for (const endpoint of scan.endpoints) next.set(endpoint.name, { kind: 'endpoint', endpoint });
    for (const f of scan.failures) if (f.name) next.set(f.name, invalidEntry(f.name, f.raw, f.error));
    return this.commit(next, new Map(), token);
  }

  /**
   * Names from the change feed whose change the cache does not hold yet: a removal, an image
   * without a version, or a version other than the cached one. The others need no read.
   */
  unheldChanges(changes: readonly { name: string; version: string | undefined }[]): string[] {
    return changes
      .filter(
        (c) =>
          c.version === undefined || !this.entries.has(c.name) || this.versions.get(c.name) !== c.version,
      )
      .map((c) => c.name);
  }

  /** The version (`generation|updated_at`) of the item the cache holds, if it holds one. */
  versionOf(name: string): string | undefined {
    return this.entries.has(name) ? this.versions.get(name) : undefined;
  }

  /** Names whose scanned version differs from what the cache holds (or that it does not hold). */
  staleNames(scanned: ReadonlyMap<string, string>): string[] {
    const stale: string[] = [];
    for (const [name, version] of scanned) {
      if (!this.entries.has(name) || this.versions.get(name) !== version) stale.push(name);
    }
    return stale;
  }

  /**
   * Completes a version scan: `scanned` is every item's version (a complete scan), `fetched` the
   * full reads of the stale names (undefined: the item vanished since the scan). Names absent from
   * the scan are removed. Returns the names whose entry changed.
   */
  replaceFromVersions(
    scanned: ReadonlyMap<string, string>,
    fetched: ReadonlyMap<string, FetchedEntry | undefined>,
    token: number,
  ): string[] {
    const next = new Map<string, DesiredEntry>();
    const nextVersions = new Map<string, string>();
    for (const name of scanned.keys()) {
      if (fetched.has(name)) {
        const f = fetched.get(name);
        if (!f) continue;
        next.set(name, f.entry);
        nextVersions.set(name, f.version);
        continue;
      }
      const current = this.entries.get(name);
      if (!current) continue;
      next.set(name, current);
      const version = this.versions.get(name);
      if (version !== undefined) nextVersions.set(name, version);
    }
    return this.commit(next, nextVersions, token);
  }

  private commit(
    next: Map<string, DesiredEntry>,
    nextVersions: Map<string, string>,
    token: number,
  ): string[] {
    // A change-feed refresh that landed after the scan began is newer than what the scan read.
    for (const [name, at] of this.refreshedAt) {
      if (at <= token) continue;
      const current = this.entries.get(name);
      if (current) next.set(name, current);
      else next.delete(name);
      const version = this.versions.get(name);
      if (version !== undefined) nextVersions.set(name, version);
      else nextVersions.delete(name);
    }
    this.refreshedAt.clear();
    const changed: string[] = [];
    for (const name of new Set([...this.entries.keys(), ...next.keys()])) {
      const before = this.entries.get(name);
      const after = next.get(name);
      // Kept entries are the same value: no need to serialise 10 000 of them twice per resync.
      if (before !== after && fingerprint(before) !== fingerprint(after)) changed.push(name);
    }
    this.entries.clear();
    this.withPolicy.clear();
    for (const [k, v] of next) {
      this.entries.set(k, v);
      this.track(k, v);
    }
    this.versions.clear();
    for (const [k, v] of nextVersions) this.versions.set(k, v);
    this.complete = true;
    return changed;
  }

  /** One item re-read after a change-feed record: undefined means the read found no item. */
  set(name: string, entry: DesiredEntry | undefined, version?: string): boolean {
    const before = fingerprint(this.entries.get(name));
    this.refreshedAt.set(name, ++this.sequence);
    if (entry) this.entries.set(name, entry);
    else this.entries.delete(name);
    this.track(name, entry);
    if (entry && version !== undefined) this.versions.set(name, version);
    else this.versions.delete(name);
    return before !== fingerprint(entry);
  }
}
