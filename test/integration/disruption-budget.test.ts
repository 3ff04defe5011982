// The PodDisruptionBudget an endpoint gets once it runs two or more replicas, end to end: a real
// monitor process against a real kube-apiserver creates it, converges it to the spec, puts it back
// after a hand edit or a deletion, and removes it when it is no longer wanted (one replica,
// stopped) and with the endpoint.
import { beforeAll, describe, expect, test } from 'vitest';
import { type EndpointSpecInput, parseSpecOrThrow } from '../../src/model/index.js';
import type { ClusterHandle } from '../helpers/cluster.js';
import { useFleet } from '../helpers/fleet.js';
import type { TestStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const A = 'us-east-1';
const fleet = useFleet({ regions: [A], monitorEnv: { RECONCILE_INTERVAL_SECONDS: '5' } });
let ts: TestStore;
let c: ClusterHandle;
beforeAll(() => {
  ts = fleet.ts;
  c = fleet.clusters[A]!;
});

const IMAGE = 'vllm/vllm-openai:v0.9.0';
type Budget = {
  metadata: { labels?: Record<string, string> };
  spec: { maxUnavailable?: number | string; selector?: { matchLabels?: Record<string, string> } };
};
const budget = async (name: string) => (await c.read('PodDisruptionBudget', name)) as Budget | undefined;

/** Waits until the budget's maxUnavailable is `want` (undefined: until there is no budget). */
async function budgetBecomes(name: string, want: number | string | undefined, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const b = await budget(name);
      if (want === undefined) return b === undefined ? true : undefined;
      return b?.spec.maxUnavailable === want ? true : undefined;
    },
    60_000,
  );
}

async function update(name: string, input: EndpointSpecInput): Promise<void> {
  const rec = await ts.store.requireEndpoint(name);
  await ts.store.updateSpec(name, rec.generation, parseSpecOrThrow(input));
}

describe('PodDisruptionBudget', () => {
  test('two replicas get a budget of one unavailable over the primary pods; one replica gets none', async () => {
    await ts.store.createEndpoint({
      name: 'pdb',
      spec: parseSpecOrThrow({ image: IMAGE, replicas: 2 }),
      targetRegions: [A],
      namespace: 'gco-inference',
    });
    await budgetBecomes('pdb', 1, 'a budget with maxUnavailable 1');
    const b = await budget('pdb');
    expect(b?.spec.selector?.matchLabels).toEqual({ app: 'pdb' });
    expect(b?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'inferctl',
      'gco.io/endpoint': 'pdb',
    });

    await ts.store.createEndpoint({
      name: 'single',
      spec: parseSpecOrThrow({ image: IMAGE, replicas: 1 }),
      targetRegions: [A],
      namespace: 'gco-inference',
    });
    await waitFor(
      'single deployed',
      async () => ((await c.read('Deployment', 'single')) ? true : undefined),
      60_000,
    );
    expect(await budget('single')).toBeUndefined();
  });

  test('converges to the spec, and puts back a hand edit and a deleted budget', async () => {
    await update('pdb', { image: IMAGE, replicas: 4, disruption: { max_unavailable: '50%' } });
    await budgetBecomes('pdb', '50%', 'maxUnavailable 50% from the spec');

    await c.patch('PodDisruptionBudget', 'pdb', { spec: { maxUnavailable: 3 } });
    await budgetBecomes('pdb', '50%', 'the hand edit reverted');

    await c.remove('PodDisruptionBudget', 'pdb');
    await budgetBecomes('pdb', '50%', 'the deleted budget recreated');
  });

  test('goes when no longer wanted: down to one replica, stopped; and with the endpoint', async () => {
    await update('pdb', { image: IMAGE, replicas: 1 });
    await budgetBecomes('pdb', undefined, 'the budget removed at one replica');

    await update('pdb', { image: IMAGE, replicas: 2 });
    await budgetBecomes('pdb', 1, 'the budget back at two replicas');
    let rec = await ts.store.requireEndpoint('pdb');
    rec = await ts.store.setDesiredState('pdb', rec.generation, 'stopped');
    await budgetBecomes('pdb', undefined, 'the budget removed while stopped');

    rec = await ts.store.setDesiredState('pdb', rec.generation, 'running');
    await budgetBecomes('pdb', 1, 'the budget back after start');
    await ts.store.setDesiredState('pdb', rec.generation, 'deleted');
    await waitFor(
      'item purged',
      async () => ((await ts.store.getEndpoint('pdb')) ? undefined : true),
      60_000,
    );
    expect(await budget('pdb')).toBeUndefined();
  });
});
