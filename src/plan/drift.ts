// Local drift check: do the fields WE render still hold on the live object from the watch cache?
// Only what we set is compared (server defaults and other managers' fields are ignored), with
// quantities normalised. A difference is something a server-side apply would put back.
import { type KubeObject, quantitiesEqual } from '../model/index.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** Paths whose string values are resource quantities ("1000m" == "1"). */
const isQuantityPath = (path: string): boolean => /\.resources\.(requests|limits)\.[^.]+$/.test(path);

/**
 * First path where `live` does not carry what `desired` says, or undefined when it does.
 * - maps: every desired key must match; extra live keys are ignored;
 * - lists of named items (containers, env, volumes…): matched by `name`, extra live items
 *   ignored (another manager or a webhook may own them; our apply would not remove them);
 * - other lists (args, tolerations, rules, metrics, ports): same length, compared in order.
 */
function subsetDiff(desired: unknown, live: unknown, path: string): string | undefined {
  if (desired === undefined) return undefined;
  if (Array.isArray(desired)) {
    const liveList = live === undefined || live === null ? [] : live;
    if (!Array.isArray(liveList)) return path;
    const named = desired.length > 0 && desired.every((d) => isPlainObject(d) && typeof d.name === 'string');
    if (named) {
      for (const d of desired as Record<string, unknown>[]) {
        const l = liveList.find((x) => isPlainObject(x) && x.name === d.name);
        const p = `${path}[name=${String(d.name)}]`;
        if (l === undefined) return p;
        const diff = subsetDiff(d, l, p);
        if (diff) return diff;
      }
      return undefined;
    }
    if (desired.length !== liveList.length) return path;
    for (let i = 0; i < desired.length; i++) {
      const diff = subsetDiff(desired[i], liveList[i], `${path}[${i}]`);
      if (diff) return diff;
    }
    return undefined;
  }
  if (isPlainObject(desired)) {
    const liveObj = live === undefined || live === null ? {} : live;
    if (!isPlainObject(liveObj)) return path;
    for (const key of Object.keys(desired).sort()) {
      const diff = subsetDiff(desired[key], liveObj[key], path ? `${path}.${key}` : key);
      if (diff) return diff;
    }
    return undefined;
  }
  if (desired === live) return undefined;
  if (
    isQuantityPath(path) &&
    (typeof desired === 'string' || typeof desired === 'number') &&
    (typeof live === 'string' || typeof live === 'number') &&
    quantitiesEqual(desired, live)
  ) {
    return undefined;
  }
  return path;
}

/**
 * Where the live object drifted from the rendered one: our labels and annotations, then every
 * top-level field we render other than apiVersion/kind/metadata (spec, …). With the HPA on, the
 * rendered Deployment has no `spec.replicas`, so the HPA's value is never seen as drift.
 */
export function findDrift(desired: KubeObject, live: KubeObject): string | undefined {
  const m = live.metadata;
  const labels = subsetDiff(desired.metadata.labels, m.labels, 'metadata.labels');
  if (labels) return labels;
  const annotations = subsetDiff(desired.metadata.annotations, m.annotations, 'metadata.annotations');
  if (annotations) return annotations;
  for (const key of Object.keys(desired).sort()) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'status') continue;
    const diff = subsetDiff(desired[key], live[key], key);
    if (diff) return diff;
  }
  return undefined;
}
