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
import type { KubeObject } from '../model/index.js';

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

function without(o: Fields, keys: readonly string[]): Fields {
  if (!keys.some((k) => k in o)) return o;
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
}

function metadata(m: KubeObject['metadata']): KubeObject['metadata'] {
  const kept = without(m, SERVER_METADATA) as KubeObject['metadata'];
  const annotations = m.annotations;
  if (!annotations || !FOREIGN_ANNOTATIONS.some((k) => k in annotations)) return kept;
  return { ...kept, annotations: without(annotations, FOREIGN_ANNOTATIONS) as Record<string, string> };
}

function containers(list: unknown): unknown {
  return Array.isArray(list) ? list.map((c) => (isFields(c) ? without(c, CONTAINER_DEFAULTS) : c)) : list;
}

function deploymentSpec(spec: Fields): Fields {
  const kept = without(spec, DEPLOYMENT_SPEC_DEFAULTS);
  const template = kept.template;
  if (!isFields(template)) return kept;
  const podMeta = isFields(template.metadata) ? without(template.metadata, ['creationTimestamp']) : undefined;
  const pod = isFields(template.spec) ? without(template.spec, POD_SPEC_DEFAULTS) : undefined;
  return {
    ...kept,
    template: {
      ...template,
      ...(podMeta ? { metadata: podMeta } : {}),
      ...(pod
        ? {
            spec: {
              ...pod,
              ...('containers' in pod ? { containers: containers(pod.containers) } : {}),
              ...('initContainers' in pod ? { initContainers: containers(pod.initContainers) } : {}),
            },
          }
        : {}),
    },
  };
}

function deploymentStatus(status: Fields): Fields {
  const kept: Fields = {};
  for (const k of DEPLOYMENT_STATUS) if (status[k] !== undefined) kept[k] = status[k];
  if (Array.isArray(status.conditions)) {
    kept.conditions = status.conditions
      .filter((c) => isFields(c) && DEPLOYMENT_CONDITIONS.has(String(c.type)))
      .map((c) => without(c as Fields, ['lastUpdateTime']));
  }
  return kept;
}

/** The part of an owned object its readers read (see the top of this file). */
export function keepOwned(obj: KubeObject): KubeObject {
  const kept: Record<string, unknown> = { ...obj, metadata: metadata(obj.metadata) };
  if (obj.kind === 'Deployment') {
    if (isFields(obj.spec)) kept.spec = deploymentSpec(obj.spec);
    if (isFields(obj.status)) kept.status = deploymentStatus(obj.status);
  } else if (obj.kind === 'Service' && isFields(obj.spec)) {
    kept.spec = without(obj.spec, SERVICE_SPEC_DEFAULTS);
  }
  return kept as KubeObject;
}
