// Every object name and label inferctl gives a Kubernetes object, our own annotation and our field
// manager come from here, so the renderer, the planner, the watch caches, the executor and the CLI
// agree on them. (The ALB and scheduling keys render sets on behalf of other controllers are
// render's.)

/** Longest endpoint name: `inference-{name}` (the Ingress) must still fit in 63 characters. */
const MAX_ENDPOINT_NAME_LENGTH = 53;
export const DEFAULT_NAMESPACE = 'gco-inference';
/** Our server-side-apply field manager: never shared with another tool (PRACTICES 6). */
export const FIELD_MANAGER = 'inferctl';
export const LEASE_NAME = 'inference-monitor-leader';
export const SERVICE_ACCOUNT_NAME = 'gco-service-account';
export const MODEL_CLAIM_NAME = 'efs-claim';
export const MODEL_VOLUME_NAME = 'model-storage';
export const MODEL_MOUNT_PATH = '/models';
export const INFERENCE_CONTAINER = 'inference';
export const MODEL_SYNC_CONTAINER = 'model-sync';
/** Name of the ALB action (annotation suffix and backend service name) used for weighted routing. */
export const WEIGHTED_ACTION_NAME = 'weighted-routing';

export const LABEL_APP = 'app';
export const LABEL_PROJECT = 'project';
export const LABEL_TYPE = 'gco.io/type';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_ENDPOINT = 'gco.io/endpoint';
/** Set on the Ingress while it routes to a canary (as the seed does) and on canary objects. */
export const LABEL_CANARY = 'gco.io/canary';
export const PROJECT_VALUE = 'gco';
export const TYPE_VALUE = 'inference';
export const MANAGED_BY_VALUE = 'inferctl';

/** Hash of the object's own rendered content (see render/hash.ts). */
export const ANNOTATION_SPEC_HASH = 'inferctl.io/spec-hash';

/** Label selector of the watch caches: every object inferctl owns, across endpoints. */
export const OWNED_LABEL_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;
/**
 * Label selector of the pod watch: the labels render puts on every pod template. Pods carry no
 * managed-by or endpoint label (they keep the seed's labels so adoption rolls no pod); `app` names
 * the Deployment, which names the endpoint.
 */
export const POD_LABEL_SELECTOR = `${LABEL_PROJECT}=${PROJECT_VALUE},${LABEL_TYPE}=${TYPE_VALUE},${LABEL_APP}`;

export const deploymentName = (endpoint: string): string => endpoint;
export const serviceName = (endpoint: string): string => endpoint;
export const hpaName = (endpoint: string): string => endpoint;
export const canaryName = (endpoint: string): string => `${endpoint}-canary`;
export const ingressName = (endpoint: string): string => `inference-${endpoint}`;
export const ingressPathFor = (endpoint: string): string => `/inference/${endpoint}`;
export const weightedActionAnnotation = (action: string = WEIGHTED_ACTION_NAME): string =>
  `alb.ingress.kubernetes.io/actions.${action}`;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** RFC 1123 label: what Kubernetes requires of namespaces and most object names. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** RFC 1123 subdomain: dot-separated labels, at most 253 characters. */
function isDns1123Subdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((part) => DNS1123_LABEL.test(part));
}

/** A label (or node selector) key: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63. */
export function isLabelKey(s: string): boolean {
  const slash = s.lastIndexOf('/');
  const prefix = slash >= 0 ? s.slice(0, slash) : undefined;
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

/** A label value: empty, or ≤ 63 alphanumerics with `-_.` inside. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && LABEL_NAME.test(s));
}

/**
 * Why an endpoint name is unusable, or undefined when it is fine. The name becomes a Service
 * name (RFC 1035: starts with a letter), and `{name}-canary` / `inference-{name}` must still be
 * valid, hence the 53-character limit.
 */
export function endpointNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_ENDPOINT_NAME_LENGTH) {
    // No "got" here: callers append the rejected value itself.
    return `must be at most ${MAX_ENDPOINT_NAME_LENGTH} characters so that "inference-{name}" fits in 63 (this one has ${name.length})`;
  }
  if (!DNS1035_LABEL.test(name)) {
    return 'must be lowercase letters, digits and "-", start with a letter and end with a letter or digit';
  }
  return undefined;
}
