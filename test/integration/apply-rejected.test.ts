// An object the API server refuses as invalid is not retried forever: the endpoint is Stalled with
// the server's own message until its spec changes. The refusal here comes from a real
// ValidatingAdmissionPolicy (a cluster rule our schema knows nothing about), enforced by a real
// kube-apiserver, against a real monitor process.
import { beforeAll, describe, expect, test } from 'vitest';
import { KubeApiError } from '../../src/kube/index.js';
import { parseSpecOrThrow, type RegionStatus } from '../../src/model/index.js';
import type { ClusterHandle } from '../helpers/cluster.js';
import { useFleet } from '../helpers/fleet.js';
import type { TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const fleet = useFleet({ regions: [A] });
let ts: TestStore;
let c: ClusterHandle;

const RULE = 'images from the quarantine registry are not allowed here';
const GROUP = 'admissionregistration.k8s.io/v1';

async function create(body: { apiVersion: string; kind: string; metadata: { name: string } }) {
  const path = await c.client.pathFor(
    { apiVersion: body.apiVersion, kind: body.kind, namespace: '', name: '' },
    false,
  );
  await c.client.send({ method: 'POST', path, body, contentType: 'application/json', verb: 'create' });
}

beforeAll(async () => {
  ts = fleet.ts;
  c = fleet.clusters[A]!;
  await create({
    apiVersion: GROUP,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'no-quarantined-images' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['deployments'],
          },
        ],
      },
      validations: [
        {
          expression:
            "!object.spec.template.spec.containers.exists(c, c.image.startsWith('quarantine.example/'))",
          message: RULE,
        },
      ],
    },
  } as never);
  await create({
    apiVersion: GROUP,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'no-quarantined-images' },
    spec: { policyName: 'no-quarantined-images', validationActions: ['Deny'] },
  } as never);
  // The policy takes effect once the server has compiled it: wait until a dry run is refused.
  const probe = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'probe' } },
      template: {
        metadata: { labels: { app: 'probe' } },
        spec: { containers: [{ name: 'x', image: 'quarantine.example/x:1' }] },
      },
    },
  };
  await waitFor(
    'the admission policy to refuse a quarantined image',
    async () => {
      const path = await c.client.pathFor({ kind: 'Deployment', namespace: 'default', name: '' }, false);
      const refused = await c.client
        .send({
          method: 'POST',
          path,
          query: { dryRun: 'All' },
          body: probe,
          contentType: 'application/json',
          verb: 'create',
        })
        .then(() => false)
        .catch((err: unknown) => err instanceof KubeApiError && err.isInvalid);
      return refused ? true : undefined;
    },
    30_000,
  );
}, 60_000);

const statusOf = async (name: string): Promise<RegionStatus | undefined> =>
  (await ts.store.listStatus(name)).find((s) => s.region === A);
const stalled = (s: RegionStatus | undefined) =>
  s?.conditions.find((x) => x.type === 'Stalled' && x.status === 'True');

describe('an apply the API server refuses', () => {
  test("stalls the endpoint with the server's message; a fixed spec recovers it", async () => {
    let rec = await ts.store.createEndpoint({
      name: 'refused',
      spec: parseSpecOrThrow({ image: 'quarantine.example/vllm:1' }),
      targetRegions: [A],
      namespace: 'gco-inference',
    });
    const s = await waitFor(
      'the endpoint to be Stalled',
      async () => {
        const st = await statusOf('refused');
        return stalled(st) ? st : undefined;
      },
      60_000,
    );
    expect(s.state).toBe('error');
    expect(stalled(s)?.reason).toBe('ApplyRejected');
    expect(stalled(s)?.message).toContain(RULE);
    // What the server accepted before the refusal exists; the refused Deployment does not.
    expect(await c.read('Service', 'refused')).toBeDefined();
    expect(await c.read('Deployment', 'refused')).toBeUndefined();
    expect(s.observedGeneration).toBeLessThan(rec.generation);

    rec = await ts.store.updateSpec(
      'refused',
      rec.generation,
      parseSpecOrThrow({ image: 'vllm/vllm-openai:v0.9.0' }),
    );
    const fixed = await waitFor(
      'the fixed endpoint to run',
      async () => {
        const st = await statusOf('refused');
        return st?.state === 'running' && st.observedGeneration === rec.generation ? st : undefined;
      },
      60_000,
    );
    expect(stalled(fixed)).toBeUndefined();
  });
});
