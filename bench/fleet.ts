// The bench's endpoints and its own clients of each region's API server.
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type KubeCaches, KubeClient, KubeExecutor } from '../src/kube/index.js';
import type { LocalEnv } from '../src/local/env.js';
import { type Endpoint, parseEndpointItem, parseSpecOrThrow } from '../src/model/index.js';

export const NS = 'gco-inference';
const IMAGE = 'vllm/vllm-openai:v0.9.0';
// A small model: 100m CPU per pod, so N = 1 000 pods per region fit the simulated nodes (the
// default request of 1 CPU stops at 768 pods, and the bench waits for every pod to be ready).
export const SPEC = {
  image: IMAGE,
  replicas: 1,
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
};

/**
 * The rollout policy of a --waves run: wave 1 the first region, wave 2 the others. The endpoints
 * carry it from their first generation, as a user declares it, so the waves phase writes only the
 * change it measures (writing the policy as a generation of its own, one endpoint at a time, took
 * longer than 18 minutes at N = 1 000, R = 3 on the local DynamoDB server).
 */
export function benchRollout(regions: readonly string[], bakeSeconds: number) {
  return {
    waves: [regions.slice(0, 1), regions.slice(1)],
    bake_seconds: bakeSeconds,
    on_failure: 'halt' as const,
    progress_deadline_seconds: 900,
  };
}

export const endpointName = (prefix: string, i: number, width: number) =>
  `${prefix}${String(i).padStart(width, '0')}`;

export function endpointValue(name: string, regions: readonly string[]): Endpoint {
  const parsed = parseEndpointItem({
    endpoint_name: name,
    desired_state: 'deploying',
    target_regions: [...regions].sort(),
    namespace: NS,
    spec: parseSpecOrThrow(SPEC),
    ingress_path: `/inference/${name}`,
    labels: {},
    generation: 1,
  });
  if (!parsed.ok) throw new Error(`bench endpoint ${name} does not parse: ${JSON.stringify(parsed.error)}`);
  return parsed.value;
}

/** A region: admin clients and (from the converge phase on) the bench's own watch caches. */
export interface Region {
  readonly name: string;
  readonly kc: KubeConfig;
  readonly client: KubeClient;
  readonly executor: KubeExecutor;
  caches?: KubeCaches;
  readonly monitorKubeconfig: string;
}

export function regionClient(name: string, env: LocalEnv, dir: string): Region {
  const kc = new KubeConfig();
  kc.loadFromFile(env.regions[name]!.kubeconfig);
  const client = KubeClient.fromConfig(kc);
  return {
    name,
    kc,
    client,
    executor: new KubeExecutor(client),
    monitorKubeconfig: join(dir, name, 'monitor-kubeconfig.yaml'),
  };
}
