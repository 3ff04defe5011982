// Shared pieces of the fault tests: reading a monitor's metrics and readiness, waiting for many
// endpoints to converge, and a status poller that fails if any status item ever goes backwards.
import { expect } from 'vitest';
import { assertStatusInvariants, type RegionStatus } from '../../src/model/index.js';
import type { DynamoStore } from '../../src/store/index.js';
import type { MonitorProcess } from './monitor.js';
import { waitFor } from './wait.js';

/** The value of an unlabelled gauge or counter on the monitor's /metrics, or undefined. */
export async function metric(m: MonitorProcess, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${m.healthUrl()}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : undefined;
}

/** Sum of every series of a (labelled) counter whose labels contain `match`. */
export async function metricSum(m: MonitorProcess, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${m.healthUrl()}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

export async function readyz(m: MonitorProcess): Promise<{ status: number; body: string }> {
  const res = await fetch(`${m.healthUrl()}/readyz`);
  return { status: res.status, body: await res.text() };
}

export async function waitLeader(m: MonitorProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${m.identity} to lead`,
    async () => ((await metric(m, 'inferctl_leader')) === 1 ? true : undefined),
    timeoutMs,
  );
}

/** Waits until every name reports `state` at `generations[name]` or later in `region`, invariants holding. */
export async function waitAll(
  store: DynamoStore,
  region: string,
  generations: ReadonlyMap<string, number>,
  state: string,
  timeoutMs: number,
): Promise<Map<string, RegionStatus>> {
  return waitFor(
    `${generations.size} endpoints to be ${state} in ${region}`,
    async () => {
      const all = (await store.listAllStatus()).filter((s) => s.region === region);
      const byName = new Map(all.map((s) => [s.endpointName, s]));
      for (const [name, generation] of generations) {
        const s = byName.get(name);
        if (s) assertStatusInvariants(s);
        if (!s || s.state !== state || s.observedGeneration < generation) return undefined;
        assertStatusInvariants(s, generation);
      }
      return byName;
    },
    timeoutMs,
  );
}

interface StatusWatcher {
  /** Complete samples taken. */
  readonly samples: number;
  readonly violations: string[];
  stop(): Promise<void>;
}

/**
 * Polls every status item of `region` until stopped and records any step back of
 * `observedGeneration` and any invariant violation.
 */
export function watchStatuses(store: DynamoStore, region: string, periodMs = 250): StatusWatcher {
  const last = new Map<string, number>();
  const violations: string[] = [];
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const s of await store.listAllStatus()) {
          if (s.region !== region) continue;
          const prev = last.get(s.endpointName);
          if (prev !== undefined && s.observedGeneration < prev)
            violations.push(`${s.endpointName}: observedGeneration ${prev} → ${s.observedGeneration}`);
          try {
            assertStatusInvariants(s);
          } catch (err) {
            violations.push(String(err));
          }
          last.set(s.endpointName, Math.max(s.observedGeneration, prev ?? 0));
        }
        samples++;
      } catch {
        // the poller's own read failed (e.g. the store is being faulted): try again
      }
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  return {
    get samples() {
      return samples;
    },
    violations,
    async stop() {
      running = false;
      await loop;
      expect(samples).toBeGreaterThan(0);
    },
  };
}
