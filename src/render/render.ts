// (endpoint, region, options) → the exact objects a region should run. Pure and deterministic:
// maps are emitted with sorted keys, lists in a fixed order, and every object carries the hash
// of its own content.
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1Ingress,
  V1PodDisruptionBudget,
  V1Service,
  V1Toleration,
  V2HorizontalPodAutoscaler,
  V2MetricSpec,
} from '@kubernetes/client-node';
import {
  canaryName,
  deploymentName,
  type Endpoint,
  type EndpointSpec,
  effectiveImage,
  hpaName,
  INFERENCE_CONTAINER,
  ingressName,
  type KubeObject,
  LABEL_APP,
  LABEL_CANARY,
  LABEL_ENDPOINT,
  LABEL_MANAGED_BY,
  LABEL_PROJECT,
  LABEL_TYPE,
  MANAGED_BY_VALUE,
  MODEL_CLAIM_NAME,
  MODEL_MOUNT_PATH,
  MODEL_SYNC_CONTAINER,
  MODEL_VOLUME_NAME,
  ownedKind,
  PROJECT_VALUE,
  SERVICE_ACCOUNT_NAME,
  serviceName,
  TYPE_VALUE,
  WEIGHTED_ACTION_NAME,
  weightedActionAnnotation,
} from '../model/index.js';
import { sortedRecord, withHash } from './hash.js';

/**
 * The seed's default. Production should pin a version (or digest) through the monitor's
 * configuration; render takes whatever it is given.
 */
const DEFAULT_MODEL_SYNC_IMAGE = 'amazon/aws-cli:latest';

export interface RenderOptions {
  /** Image of the `model-sync` init container (runs `aws s3 sync`). */
  readonly modelSyncImage?: string;
  /** The watchdog has pulled this endpoint's Ingress: render none until it recovers. */
  readonly ingressPulled?: boolean;
}

const ALB_HEALTHCHECK_PATH = 'alb.ingress.kubernetes.io/healthcheck-path';
const ALB_HEALTHCHECK_INTERVAL = 'alb.ingress.kubernetes.io/healthcheck-interval-seconds';
const KARPENTER_CAPACITY_TYPE = 'karpenter.sh/capacity-type';
const NVIDIA_GPU = 'nvidia.com/gpu';
const NEURON_DEVICE = 'aws.amazon.com/neuron';
const SERVICE_PORT = 80;

/**
 * Objects for one endpoint in one region, in apply order (Services, Deployments, HPA, PDB, Ingress).
 *
 * - `deleted`, or a region not in `target_regions`: nothing (plan deletes what exists).
 * - `stopped`: Deployments (and canary) at 0 replicas, Services kept, no HPA (an HPA cannot hold a
 *   Deployment at 0 without the HPAScaleToZero gate, and would scale it back up) and no Ingress
 *   (an ALB target group with no healthy targets can mark the whole regional ALB unhealthy).
 * - autoscaling on: the Deployment has no `spec.replicas`; the HPA owns it.
 * - two or more replicas (autoscaling: a minimum of two or more), not stopped: a PodDisruptionBudget
 *   over the primary's pods, `max_unavailable` 1 unless the spec says otherwise. None for a single
 *   replica, where any budget would either allow nothing (a drain blocked forever) or protect nothing.
 * - a canary: `{name}-canary` Deployment and Service, and the Ingress forwards by weight.
 * - `ingressPulled`: no Ingress.
 * - every object carries the endpoint's `labels` (our labels win on a clash); pod templates do not,
 *   so a label change never restarts pods.
 */
export function render(
  endpoint: Endpoint,
  region: string,
  options: RenderOptions = {},
): readonly KubeObject[] {
  if (endpoint.desiredState === 'deleted' || !endpoint.targetRegions.includes(region)) return [];
  const { spec, name } = endpoint;
  const stopped = endpoint.desiredState === 'stopped';
  const hpaOn = !stopped && spec.autoscaling?.enabled === true;
  const canary = spec.canary;
  const syncImage = options.modelSyncImage ?? DEFAULT_MODEL_SYNC_IMAGE;

  const primaryImage = effectiveImage(spec, region);
  const primary = serverArgs(spec, primaryImage, endpoint.ingressPath);
  const out: KubeObject[] = [];

  out.push(service(endpoint, serviceName(name), false, healthPath(spec, primary)));
  const canaryArgs = canary ? serverArgs(spec, canary.image, endpoint.ingressPath) : undefined;
  if (canary && canaryArgs) {
    out.push(service(endpoint, canaryName(name), true, healthPath(spec, canaryArgs)));
  }
  out.push(
    deployment(endpoint, {
      objectName: deploymentName(name),
      image: primaryImage,
      replicas: stopped ? 0 : hpaOn ? undefined : spec.replicas,
      server: primary,
      syncImage,
      canary: false,
    }),
  );
  if (canary && canaryArgs) {
    out.push(
      deployment(endpoint, {
        objectName: canaryName(name),
        image: canary.image,
        replicas: stopped ? 0 : canary.replicas,
        server: canaryArgs,
        syncImage,
        canary: true,
      }),
    );
  }
  if (hpaOn) out.push(hpa(endpoint));
  const minReplicas = hpaOn ? (spec.autoscaling?.min_replicas ?? 1) : spec.replicas;
  if (!stopped && minReplicas >= 2) out.push(disruptionBudget(endpoint));
  if (!stopped && options.ingressPulled !== true) {
    out.push(ingress(endpoint, healthPath(spec, primary), canary?.weight));
  }
  return out.map(withHash);
}

// ---------------------------------------------------------------------------------------------
// Root path

interface ServerArgs {
  /** The container's args after root-path handling (undefined: image default). */
  readonly args: readonly string[] | undefined;
  /** The prefix the server serves under ('' when none): probes go to `{prefix}{health path}`. */
  readonly prefix: string;
}

/** vLLM images accept `--root-path`; matched on the image path and tag, not the registry host. */
function isVllmImage(image: string): boolean {
  const withoutDigest = image.split('@')[0] ?? image;
  const parts = withoutDigest.toLowerCase().split('/');
  const first = parts[0] ?? '';
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const rest = (hasRegistry ? parts.slice(1) : parts).join('/');
  return /(^|[^a-z0-9])vllm([^a-z0-9]|$)/.test(rest);
}

/** Value of a `--root-path X` or `--root-path=X` already present in args. */
function rootPathIn(args: readonly string[] | undefined): string | undefined {
  if (!args) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--root-path') return args[i + 1] ?? '';
    if (a.startsWith('--root-path=')) return a.slice('--root-path='.length);
  }
  return undefined;
}

/**
 * Decide whether the server is told its root path. The canary gets the PRIMARY's path: its
 * traffic and ALB health checks arrive on `/inference/{name}` too (DESIGN §4.14).
 */
function serverArgs(
  spec: Pick<EndpointSpec, 'args' | 'command' | 'server_root_path'>,
  image: string,
  ingressPath: string,
): ServerArgs {
  const given = rootPathIn(spec.args);
  if (given !== undefined) return { args: spec.args, prefix: given.replace(/\/+$/, '') };
  const wanted =
    spec.server_root_path === true ||
    (spec.server_root_path === 'auto' && spec.command === undefined && isVllmImage(image));
  if (!wanted) return { args: spec.args, prefix: '' };
  return { args: [...(spec.args ?? []), '--root-path', ingressPath], prefix: ingressPath };
}

function healthPath(spec: Pick<EndpointSpec, 'health_check_path'>, server: ServerArgs): string {
  return `${server.prefix}${spec.health_check_path}`;
}

// ---------------------------------------------------------------------------------------------
// Objects

/** The endpoint's own `labels` on every object, under ours: ours win, so ownership never changes. */
function labels(endpoint: Endpoint, app: string, canary: boolean): Record<string, string> {
  return sortedRecord({
    ...endpoint.labels,
    [LABEL_APP]: app,
    [LABEL_PROJECT]: PROJECT_VALUE,
    [LABEL_TYPE]: TYPE_VALUE,
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_ENDPOINT]: endpoint.name,
    ...(canary ? { [LABEL_CANARY]: 'true' } : {}),
  });
}

/** Pod labels stay exactly the seed's, so adopting a seed-created Deployment does not roll pods. */
function podLabels(app: string): Record<string, string> {
  return sortedRecord({ [LABEL_APP]: app, [LABEL_PROJECT]: PROJECT_VALUE, [LABEL_TYPE]: TYPE_VALUE });
}

function meta(
  endpoint: Endpoint,
  name: string,
  app: string,
  canary: boolean,
  annotations: Record<string, string> = {},
) {
  return {
    name,
    namespace: endpoint.namespace,
    labels: labels(endpoint, app, canary),
    annotations: sortedRecord(annotations),
  };
}

interface DeploymentParams {
  readonly objectName: string;
  readonly image: string;
  readonly replicas: number | undefined;
  readonly server: ServerArgs;
  readonly syncImage: string;
  readonly canary: boolean;
}

function deployment(endpoint: Endpoint, p: DeploymentParams): KubeObject {
  const { spec } = endpoint;
  const accel = spec.accelerator === 'neuron' ? NEURON_DEVICE : NVIDIA_GPU;
  const requests: Record<string, string> = { ...spec.resources.requests };
  const limits: Record<string, string> = { ...spec.resources.limits };
  if (spec.gpu_count > 0) {
    requests[accel] = String(spec.gpu_count);
    limits[accel] = String(spec.gpu_count);
  }
  const usesModelVolume = spec.model_path !== undefined || spec.model_source !== undefined;
  const mounts = usesModelVolume ? [{ name: MODEL_VOLUME_NAME, mountPath: MODEL_MOUNT_PATH }] : undefined;
  // An empty value is sent as no value: the API server drops `value: ""` (omitempty), so a live
  // object would never carry it and the drift check would re-apply forever.
  const env: V1EnvVar[] = Object.keys(spec.env)
    .sort()
    .map((k) => {
      const value = spec.env[k] ?? '';
      return value === '' ? { name: k } : { name: k, value };
    });
  const probePath = healthPath(spec, p.server);

  const container: V1Container = {
    name: INFERENCE_CONTAINER,
    image: p.image,
    ...(spec.command ? { command: [...spec.command] } : {}),
    ...(p.server.args ? { args: [...p.server.args] } : {}),
    ports: [{ containerPort: spec.port }],
    ...(env.length > 0 ? { env } : {}),
    resources: { requests: sortedRecord(requests), limits: sortedRecord(limits) },
    ...(mounts ? { volumeMounts: mounts } : {}),
    livenessProbe: {
      httpGet: { path: probePath, port: spec.port },
      initialDelaySeconds: 120,
      periodSeconds: 15,
      failureThreshold: 5,
    },
    readinessProbe: {
      httpGet: { path: probePath, port: spec.port },
      initialDelaySeconds: 30,
      periodSeconds: 10,
    },
  };

  const initContainers =
    spec.model_source !== undefined ? [modelSync(endpoint, spec.model_source, p.syncImage)] : undefined;

  const tolerations: V1Toleration[] = [
    { key: accel, operator: 'Equal', value: 'true', effect: 'NoSchedule' },
  ];
  const nodeSelector: Record<string, string> = { ...(spec.node_selector ?? {}) };
  if (spec.gpu_count > 0 && Object.keys(nodeSelector).length === 0) {
    if (spec.accelerator === 'neuron') nodeSelector.accelerator = 'neuron';
    else nodeSelector['eks.amazonaws.com/instance-gpu-manufacturer'] = 'nvidia';
  }
  if (spec.capacity_type) nodeSelector[KARPENTER_CAPACITY_TYPE] = spec.capacity_type;

  const obj = {
    apiVersion: ownedKind('Deployment').apiVersion,
    kind: 'Deployment',
    metadata: meta(endpoint, p.objectName, p.objectName, p.canary),
    spec: {
      ...(p.replicas !== undefined ? { replicas: p.replicas } : {}),
      selector: { matchLabels: { [LABEL_APP]: p.objectName } },
      template: {
        metadata: { labels: podLabels(p.objectName) },
        spec: {
          serviceAccountName: SERVICE_ACCOUNT_NAME,
          ...(initContainers ? { initContainers } : {}),
          containers: [container],
          tolerations,
          ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector: sortedRecord(nodeSelector) } : {}),
          ...(usesModelVolume
            ? {
                volumes: [
                  { name: MODEL_VOLUME_NAME, persistentVolumeClaim: { claimName: MODEL_CLAIM_NAME } },
                ],
              }
            : {}),
        },
      },
    },
  } satisfies V1Deployment & KubeObject;
  return obj;
}

/**
 * `aws s3 sync SOURCE /models/{endpoint}` as an argument list, no shell: the URI is validated
 * by the schema and can't be interpreted as shell syntax; `sync` only copies what changed, so a
 * warm cache costs a listing, not a download. Primary and canary sync into the same directory
 * (the endpoint's), so a `model_path` under it means the same files for both.
 */
function modelSync(endpoint: Endpoint, source: string, image: string): V1Container {
  return {
    name: MODEL_SYNC_CONTAINER,
    image,
    command: ['aws', 's3', 'sync', source, `${MODEL_MOUNT_PATH}/${endpoint.name}`, '--only-show-errors'],
    volumeMounts: [{ name: MODEL_VOLUME_NAME, mountPath: MODEL_MOUNT_PATH }],
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '4', memory: '8Gi' } },
  };
}

function service(endpoint: Endpoint, name: string, canary: boolean, health: string): KubeObject {
  const obj = {
    apiVersion: ownedKind('Service').apiVersion,
    kind: 'Service',
    // The ALB controller reads target-group settings from the Service before the Ingress, so a
    // canary whose image serves at a different prefix still gets the right health check path.
    metadata: meta(endpoint, name, name, canary, { [ALB_HEALTHCHECK_PATH]: health }),
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL_APP]: name },
      ports: [{ port: SERVICE_PORT, targetPort: endpoint.spec.port, protocol: 'TCP' }],
    },
  } satisfies V1Service & KubeObject;
  return obj;
}

function hpa(endpoint: Endpoint): KubeObject {
  const a = endpoint.spec.autoscaling;
  const metrics: V2MetricSpec[] = (a?.metrics ?? [{ type: 'cpu', target: 70 }]).map((m) => ({
    type: 'Resource',
    resource: { name: m.type, target: { type: 'Utilization', averageUtilization: m.target } },
  }));
  const obj = {
    apiVersion: ownedKind('HorizontalPodAutoscaler').apiVersion,
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(endpoint, hpaName(endpoint.name), endpoint.name, false),
    spec: {
      scaleTargetRef: {
        apiVersion: ownedKind('Deployment').apiVersion,
        kind: 'Deployment',
        name: deploymentName(endpoint.name),
      },
      minReplicas: a?.min_replicas ?? 1,
      maxReplicas: a?.max_replicas ?? 10,
      metrics,
    },
  } satisfies V2HorizontalPodAutoscaler & KubeObject;
  return obj;
}

/**
 * Evictions (node drains, Karpenter consolidation, spot interruption handling) wait while
 * `max_unavailable` of the primary's pods are already down. Pods that are not ready may always be
 * evicted: a crash-looping replica must not hold a GPU node's drain hostage.
 */
function disruptionBudget(endpoint: Endpoint): KubeObject {
  const { name } = endpoint;
  const kind = ownedKind('PodDisruptionBudget');
  const [objectName = name] = kind.names(name);
  const obj = {
    apiVersion: kind.apiVersion,
    kind: 'PodDisruptionBudget',
    metadata: meta(endpoint, objectName, deploymentName(name), false),
    spec: {
      maxUnavailable: endpoint.spec.disruption?.max_unavailable ?? 1,
      selector: { matchLabels: { [LABEL_APP]: deploymentName(name) } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  } satisfies V1PodDisruptionBudget & KubeObject;
  return obj;
}

function ingress(endpoint: Endpoint, health: string, canaryWeight: number | undefined): KubeObject {
  const name = endpoint.name;
  const annotations: Record<string, string> = {
    [ALB_HEALTHCHECK_PATH]: health,
    [ALB_HEALTHCHECK_INTERVAL]: '15',
  };
  let backend: { service: { name: string; port: { number: number } | { name: string } } };
  if (canaryWeight !== undefined) {
    annotations[weightedActionAnnotation()] = JSON.stringify({
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { serviceName: serviceName(name), servicePort: SERVICE_PORT, weight: 100 - canaryWeight },
          { serviceName: canaryName(name), servicePort: SERVICE_PORT, weight: canaryWeight },
        ],
      },
    });
    backend = { service: { name: WEIGHTED_ACTION_NAME, port: { name: 'use-annotation' } } };
  } else {
    backend = { service: { name: serviceName(name), port: { number: SERVICE_PORT } } };
  }
  const m = meta(endpoint, ingressName(name), name, canaryWeight !== undefined, annotations);
  const obj = {
    apiVersion: ownedKind('Ingress').apiVersion,
    kind: 'Ingress',
    metadata: m,
    spec: {
      ingressClassName: 'alb',
      rules: [{ http: { paths: [{ path: endpoint.ingressPath, pathType: 'Prefix', backend }] } }],
    },
  } satisfies V1Ingress & KubeObject;
  return obj;
}
