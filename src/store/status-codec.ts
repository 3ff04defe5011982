// RegionStatus (camelCase, model/) ⇄ status table item (snake_case, the contract).
import { createHash } from 'node:crypto';
import {
  CAUSE_REASONS,
  type Cause,
  type Condition,
  REGION_STATES,
  type RegionState,
  type RegionStatus,
  type RolloutHalt,
} from '../model/index.js';

/** The hash key of the per-region heartbeat items in the status table. */
export const HEARTBEAT_KEY = '_region';

export type StatusItem = Record<string, unknown>;

export function statusToItem(s: RegionStatus): StatusItem {
  const item: StatusItem = {
    endpoint_name: s.endpointName,
    region: s.region,
    state: s.state,
    replicas_ready: s.replicasReady,
    replicas_desired: s.replicasDesired,
    observed_generation: s.observedGeneration,
    ingress_pulled: s.ingressPulled,
    conditions: s.conditions.map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      last_transition_time: c.lastTransitionTime,
    })),
    last_sync: s.lastSync,
    last_transition: s.lastTransition,
  };
  if (s.canaryReady !== undefined) item.canary_ready = s.canaryReady;
  if (s.canaryWeight !== undefined) item.canary_weight = s.canaryWeight;
  if (s.unreadySince !== undefined) item.unready_since = s.unreadySince;
  if (s.error !== undefined) item.error = s.error;
  if (s.address !== undefined) item.address = s.address;
  if (s.servingSince !== undefined) item.serving_since = s.servingSince;
  if (s.healthySince !== undefined) item.healthy_since = s.healthySince;
  if (s.lastGoodGeneration !== undefined) item.last_good_generation = s.lastGoodGeneration;
  if (s.halt)
    item.halt = {
      generation: s.halt.generation,
      reason: s.halt.reason,
      message: s.halt.message,
      at: s.halt.at,
      ...(s.halt.revertedTo !== undefined ? { reverted_to: s.halt.revertedTo } : {}),
    };
  // Healthy items carry no attribute at all, so they stay byte-identical to older monitors' items.
  if (s.causes && s.causes.length > 0)
    item.causes = s.causes.map((c) => ({
      reason: c.reason,
      severity: c.severity,
      track: c.track,
      message: c.message,
      pods: c.pods,
      since: c.since,
      ...(c.details ? { details: { ...c.details } } : {}),
    }));
  return item;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Lenient: an item from an older or newer monitor still reads; unknown states read as `error`. */
export function itemToStatus(item: StatusItem): RegionStatus {
  const state = str(item.state);
  const conditions: Condition[] = Array.isArray(item.conditions)
    ? item.conditions.flatMap((c): Condition[] => {
        if (!c || typeof c !== 'object') return [];
        const o = c as Record<string, unknown>;
        const status = str(o.status);
        return [
          {
            type: str(o.type) ?? 'Unknown',
            status: status === 'True' || status === 'False' ? status : 'Unknown',
            reason: str(o.reason) ?? '',
            message: str(o.message) ?? '',
            lastTransitionTime: str(o.last_transition_time) ?? '',
          },
        ];
      })
    : [];
  const known = (REGION_STATES as readonly string[]).includes(state ?? '');
  const error = str(item.error) ?? (known ? undefined : `unknown state ${JSON.stringify(state ?? null)}`);
  const canaryReady = num(item.canary_ready);
  const canaryWeight = num(item.canary_weight);
  const unreadySince = str(item.unready_since);
  const address = str(item.address);
  const causes = Array.isArray(item.causes) ? item.causes.flatMap(causeFromItem) : [];
  const servingSince = str(item.serving_since);
  const healthySince = str(item.healthy_since);
  const lastGoodGeneration = num(item.last_good_generation);
  const halt = haltFromItem(item.halt);
  return {
    endpointName: str(item.endpoint_name) ?? '',
    region: str(item.region) ?? '',
    state: known ? (state as RegionState) : 'error',
    replicasReady: num(item.replicas_ready) ?? 0,
    replicasDesired: num(item.replicas_desired) ?? 0,
    observedGeneration: num(item.observed_generation) ?? 0,
    ingressPulled: item.ingress_pulled === true,
    conditions,
    lastSync: str(item.last_sync) ?? '',
    lastTransition: str(item.last_transition) ?? '',
    ...(canaryReady !== undefined ? { canaryReady } : {}),
    ...(canaryWeight !== undefined ? { canaryWeight } : {}),
    ...(unreadySince !== undefined ? { unreadySince } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(causes.length > 0 ? { causes } : {}),
    ...(servingSince !== undefined ? { servingSince } : {}),
    ...(healthySince !== undefined ? { healthySince } : {}),
    ...(lastGoodGeneration !== undefined ? { lastGoodGeneration } : {}),
    ...(halt ? { halt } : {}),
  };
}

function haltFromItem(h: unknown): RolloutHalt | undefined {
  if (!h || typeof h !== 'object') return undefined;
  const o = h as Record<string, unknown>;
  const generation = num(o.generation);
  if (generation === undefined) return undefined;
  const revertedTo = num(o.reverted_to);
  return {
    generation,
    reason: str(o.reason) ?? '',
    message: str(o.message) ?? '',
    at: str(o.at) ?? '',
    ...(revertedTo !== undefined ? { revertedTo } : {}),
  };
}

/** A cause from a newer monitor with a reason this reader does not know is dropped, not guessed. */
function causeFromItem(c: unknown): Cause[] {
  if (!c || typeof c !== 'object') return [];
  const o = c as Record<string, unknown>;
  const reason = CAUSE_REASONS.find((r) => r === o.reason);
  if (!reason) return [];
  const details =
    o.details && typeof o.details === 'object'
      ? Object.fromEntries(
          Object.entries(o.details as Record<string, unknown>).filter(
            (e): e is [string, string | number] => typeof e[1] === 'string' || typeof e[1] === 'number',
          ),
        )
      : undefined;
  return [
    {
      reason,
      severity: o.severity === 'terminal' ? 'terminal' : 'waiting',
      track: o.track === 'canary' ? 'canary' : 'primary',
      message: str(o.message) ?? '',
      pods: num(o.pods) ?? 0,
      since: str(o.since) ?? '',
      ...(details ? { details } : {}),
    },
  ];
}

/** A digest of an item without `last_sync`: two items with the same key are "unchanged" (equal). */
export function statusContentKey(item: StatusItem): string {
  const { last_sync: _ignored, ...rest } = item;
  // A digest, not the canonical JSON itself: the status table keeps one key per endpoint it has
  // written, and the JSON (about 0.7 KB) was most of what the monitor holds per status item.
  return createHash('sha256').update(canonical(rest)).digest('base64');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
