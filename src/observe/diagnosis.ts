// Pure: an endpoint's Deployments and pods (as the watch caches hold them) into diagnose()'s
// tracks, and the write policy's answer into the causes a status item carries.
import {
  type Cause,
  diagnoseUntil,
  type PodView,
  significantChange,
  type TrackInput,
  trimDeployment,
} from '../diagnose/index.js';
import {
  canaryName,
  deploymentName,
  type Endpoint,
  INFERENCE_CONTAINER,
  type KubeObject,
} from '../model/index.js';

/** The trimmed pods of an endpoint's Deployments, by Deployment name. */
export interface PodSource {
  podsOf(namespace: string, deployment: string): PodView[];
}

interface TemplateContainer {
  name?: string;
  image?: string;
  readinessProbe?: { httpGet?: { path?: string; port?: number | string } };
}

/** The track as the Deployment now runs it: its image and probe come from its own pod template. */
function track(obj: KubeObject | undefined, pods: readonly PodView[]): TrackInput | undefined {
  if (!obj) return undefined;
  const spec = obj.spec as { template?: { spec?: { containers?: TemplateContainer[] } } } | undefined;
  const container = spec?.template?.spec?.containers?.find((c) => c.name === INFERENCE_CONTAINER);
  const get = container?.readinessProbe?.httpGet;
  return {
    pods,
    deployment: trimDeployment(obj as Parameters<typeof trimDeployment>[0]),
    image: container?.image ?? '',
    probe: { path: get?.path ?? '/', port: Number(get?.port ?? 0) },
  };
}

export interface EndpointDiagnosis {
  readonly causes: Cause[];
  /**
   * When a threshold of the diagnosis passes with time alone (a probe's grace ending, a pull
   * failing long enough to be terminal), epoch ms: the endpoint is worth a look then, even
   * without an event. Undefined: only a change of the pods or Deployments changes the answer.
   */
  readonly recheckAt?: number;
}

export function diagnoseEndpoint(
  endpoint: Endpoint,
  observed: readonly KubeObject[],
  pods: PodSource,
  now: number,
): EndpointDiagnosis {
  const find = (name: string) => observed.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  const podsOf = (name: string) => pods.podsOf(endpoint.namespace, name);
  const primaryPods = podsOf(deploymentName(endpoint.name));
  const primary = track(find(deploymentName(endpoint.name)), primaryPods);
  if (!primary) return { causes: [] };
  const canaryPods = endpoint.spec.canary ? podsOf(canaryName(endpoint.name)) : [];
  const canary = endpoint.spec.canary ? track(find(canaryName(endpoint.name)), canaryPods) : undefined;
  const { causes, changesAt } = diagnoseUntil({ primary, ...(canary ? { canary } : {}), now });
  return changesAt === undefined ? { causes } : { causes, recheckAt: changesAt };
}

export interface CausesToWrite {
  /** What the status item carries after this pass: the new causes, or the last written ones. */
  readonly causes: readonly Cause[];
  /** The causes changed and go out with this pass's write (its time starts the next interval). */
  readonly fresh: boolean;
  /** A count-only change is being held back: look again at this time (epoch ms). */
  readonly recheckAt?: number;
}

/**
 * The write policy applied: a new, cleared or re-graded cause goes out now; a change of counts or
 * words waits until the interval since the last causes write has passed, and until then the item
 * keeps what it said, so the status content (and its conditions) stays as written.
 */
export function causesToWrite(
  written: readonly Cause[],
  next: readonly Cause[],
  lastWriteAt: number | undefined,
  now: number,
): CausesToWrite {
  const decision = significantChange(written, next, lastWriteAt, now);
  if (decision.write) return { causes: next, fresh: true };
  return {
    causes: written,
    fresh: false,
    ...(decision.recheckAt !== undefined ? { recheckAt: decision.recheckAt } : {}),
  };
}
