// What the watch caches keep of an object the monitor owns. Every reader of a cached object reads
// only some of it: plan's drift check the fields render sets (src/plan/drift.ts), plan itself
// labels, our annotations, deletionTimestamp and a Deployment's spec.replicas, status and
// diagnosis a Deployment's generation and a few status fields (src/observe/*, src/diagnose/trim.ts),
// apply the resourceVersion. The rest is what the API server and its controllers add: defaults,
// identity, bookkeeping. At 10 000 endpoints those were tens of megabytes held for nobody.
//
// The rule is "drop only what render never sets": keep.test.ts checks that keeping a rendered
// object changes nothing, so a render that starts setting one of these fields fails that test
// instead of seeing drift (and re-applying) on every resync.
import { type KubeObject, SETTLED } from '../model/index.js';

type Fields = Record<string, unknown>;

/** Set by the API server on every object; read by nothing in the monitor. */
const SERVER_METADATA = ['managedFields', 'uid', 'creationTimestamp', 'selfLink'] as const;

/**
 * Annotations other tools add to our objects: the Deployment controller's revision counter and
 * `kubectl apply`'s copy of a whole object (as large as the object itself).
 */
const FOREIGN_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
];

/** Defaults the API server fills in, by level of a Deployment; render sets none of them. */
const DEPLOYMENT_SPEC_DEFAULTS = ['progressDeadlineSeconds', 'revisionHistoryLimit', 'strategy'] as const;
const POD_SPEC_DEFAULTS = [
  'dnsPolicy',
  'restartPolicy',
  'schedulerName',
  'securityContext',
  // the deprecated alias the API server copies serviceAccountName into
  'serviceAccount',
  'terminationGracePeriodSeconds',
] as const;
const CONTAINER_DEFAULTS = ['imagePullPolicy', 'terminationMessagePath', 'terminationMessagePolicy'] as const;

/** Allocated by the API server for a ClusterIP Service; render sets only type, selector and ports. */
const SERVICE_SPEC_DEFAULTS = [
  'clusterIP',
  'clusterIPs',
  'ipFamilies',
  'ipFamilyPolicy',
  'internalTrafficPolicy',
  'sessionAffinity',
] as const;

/** The Deployment status fields status and diagnosis read (src/observe/status.ts, diagnose/trim.ts). */
const DEPLOYMENT_STATUS = [
  'replicas',
  'readyReplicas',
  'updatedReplicas',
  'availableReplicas',
  'observedGeneration',
];
const DEPLOYMENT_CONDITIONS = new Set(['Progressing', 'ReplicaFailure']);

const isFields = (v: unknown): v is Fields => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A copy of `o` without the `drop` keys and with `replace`'s values, built key by key in `o`'s
 * order. Not `{ ...o, key }` and not `delete`: V8 gives every object made by a spread that
 * overrides one of its keys a hidden class of its own (about 200 bytes per cached object), and a
 * deleted key turns an object into a slower, larger dictionary. Copies built in one key order
 * share one hidden class.
 */
function copy(o: Fields, drop: readonly string[], replace: Fields = {}): Fields {
  const out: Fields = {};
  for (const k of Object.keys(o)) {
    if (drop.includes(k)) continue;
    out[k] = k in replace ? replace[k] : o[k];
  }
  return out;
}

function metadata(m: KubeObject['metadata']): Fields {
  const annotations = m.annotations;
  const foreign = annotations !== undefined && FOREIGN_ANNOTATIONS.some((k) => k in annotations);
  return copy(m, SERVER_METADATA, foreign ? { annotations: copy(annotations, FOREIGN_ANNOTATIONS) } : {});
}

function containers(list: unknown): unknown {
  return Array.isArray(list) ? list.map((c) => (isFields(c) ? copy(c, CONTAINER_DEFAULTS) : c)) : list;
}

function podSpec(spec: Fields): Fields {
  return copy(spec, POD_SPEC_DEFAULTS, {
    containers: containers(spec.containers),
    initContainers: containers(spec.initContainers),
  });
}

function deploymentSpec(spec: Fields): Fields {
  const template = spec.template;
  if (!isFields(template)) return copy(spec, DEPLOYMENT_SPEC_DEFAULTS);
  const pod: Fields = {};
  if (isFields(template.metadata)) pod.metadata = copy(template.metadata, ['creationTimestamp']);
  if (isFields(template.spec)) pod.spec = podSpec(template.spec);
  return copy(spec, DEPLOYMENT_SPEC_DEFAULTS, { template: copy(template, [], pod) });
}

function deploymentStatus(status: Fields): Fields {
  const kept: Fields = {};
  for (const k of DEPLOYMENT_STATUS) if (status[k] !== undefined) kept[k] = status[k];
  if (Array.isArray(status.conditions)) {
    kept.conditions = status.conditions
      .filter((c) => isFields(c) && DEPLOYMENT_CONDITIONS.has(String(c.type)))
      .map((c) => copy(c as Fields, ['lastUpdateTime']));
  }
  return kept;
}

/** The part of an owned object its readers read (see the top of this file). */
export function keepOwned(obj: KubeObject): KubeObject {
  const replace: Fields = { metadata: metadata(obj.metadata) };
  if (obj.kind === 'Deployment') {
    if (isFields(obj.spec)) replace.spec = deploymentSpec(obj.spec);
    if (isFields(obj.status)) replace.status = deploymentStatus(obj.status);
  } else if (obj.kind === 'Service' && isFields(obj.spec)) {
    replace.spec = copy(obj.spec, SERVICE_SPEC_DEFAULTS);
  }
  return copy(obj, [], replace) as KubeObject;
}

/** Of a pod template's containers, what diagnosis reads (src/observe/diagnosis.ts). */
function diagnosedContainer(c: unknown): unknown {
  if (!isFields(c)) return c;
  const out: Fields = { name: c.name, image: c.image };
  const probe = c.readinessProbe;
  if (isFields(probe) && probe.httpGet !== undefined) out.readinessProbe = { httpGet: probe.httpGet };
  return out;
}

/**
 * What stays of a kept object once plan has found its rendered fields in place (SETTLED): all but
 * the spec, which only the drift check reads, except a Deployment's replicas (plan, status,
 * diagnosis) and its containers' names, images and readiness probes (diagnosis). About half of
 * what the cache holds per endpoint. A new version from the watch replaces it with a whole one.
 */
export function settleOwned(obj: KubeObject): KubeObject {
  const out: Fields = {};
  for (const k of Object.keys(obj)) if (k !== 'spec') out[k] = obj[k];
  const spec = obj.spec;
  if (obj.kind === 'Deployment' && isFields(spec)) {
    const kept: Fields = {};
    if (spec.replicas !== undefined) kept.replicas = spec.replicas;
    const template = spec.template;
    const containers = isFields(template) && isFields(template.spec) ? template.spec.containers : undefined;
    if (Array.isArray(containers))
      kept.template = { spec: { containers: containers.map(diagnosedContainer) } };
    out.spec = kept;
  }
  // Not enumerable: the mark is the cache's note about the object, not one of its fields.
  return Object.defineProperty(out as KubeObject, SETTLED, { value: true });
}
