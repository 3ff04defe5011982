import type { RegionStatus } from '../model/index.js';

/** This region's status items as last written or read: the previous state each reconcile builds on. */
export class StatusBook {
  private readonly items = new Map<string, RegionStatus>();
  /** When each endpoint's causes last changed in a write (epoch ms): the write policy's interval. */
  private readonly causesWritten = new Map<string, number>();
  /** Endpoints whose status is being held back (not written yet), and since when (epoch ms). */
  private readonly held = new Map<string, number>();

  get(name: string): RegionStatus | undefined {
    return this.items.get(name);
  }

  /** A status as written (or found written): it ends any hold. */
  set(status: RegionStatus): void {
    this.items.set(status.endpointName, status);
    this.held.delete(status.endpointName);
  }

  /** A status computed but held back by the write policy: the next pass builds on it all the same. */
  setHeld(status: RegionStatus, since: number): void {
    this.items.set(status.endpointName, status);
    this.held.set(status.endpointName, since);
  }

  heldSince(name: string): number | undefined {
    return this.held.get(name);
  }

  delete(name: string): void {
    this.items.delete(name);
    this.causesWritten.delete(name);
    this.held.delete(name);
  }

  causesWrittenAt(name: string): number | undefined {
    return this.causesWritten.get(name);
  }

  markCausesWritten(name: string, at: number): void {
    this.causesWritten.set(name, at);
  }

  names(): string[] {
    return [...this.items.keys()];
  }

  replaceAll(statuses: readonly RegionStatus[]): void {
    this.items.clear();
    this.held.clear();
    for (const s of statuses) this.items.set(s.endpointName, s);
  }

  countByState(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.items.values()) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
    return counts;
  }
}
