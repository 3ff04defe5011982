// Issue 13's readers through the real DynamoDB server: status items carrying causes (written here
// as a monitor writes them) shown by `status` (one line per region, every cause in full with
// -o json, golden and checked against the schema), `list` (the worst cause), `--wait` (each new
// cause once, exit 5 on a terminal one) and `status --watch`. The monitor's side is
// test/integration/diagnosis*.test.ts. `-u` rewrites the golden files.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listSchema, statusSchema } from '../../src/cli/views.js';
import type { Cause, Condition } from '../../src/model/index.js';
import { type DynamoStore, ensureTables, openStore, type StoreClients } from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';
import { cliRunner, golden, NOW, putHeartbeat, status } from './cli-support.js';

const handle = useLocalEnv({ regions: [] });
const suffix = randomUUID().slice(0, 8);
const tables = { endpoints: `diag-endpoints-${suffix}`, status: `diag-status-${suffix}` };
let store: DynamoStore;
let clients: StoreClients;
const cli = cliRunner(() => handle.env.dynamodb.endpoint, tables);
const generationOf = async (name: string) => (await store.getEndpoint(name))?.generation;

const unschedulable: Cause = {
  reason: 'Unschedulable',
  severity: 'waiting',
  track: 'primary',
  message:
    "0/7 nodes are available: 4 Insufficient nvidia.com/gpu, 3 node(s) didn't match Pod's node affinity/selector.",
  pods: 1,
  since: '2025-06-01T11:58:00.000Z',
};
const crashLoop = (restarts: number): Cause => ({
  reason: 'CrashLooping',
  severity: restarts >= 3 ? 'terminal' : 'waiting',
  track: 'primary',
  message: `container "inference" failed with exit code 1 (Error), ${restarts} restarts: CUDA error: out of memory\nTraceback (most recent call last): …`,
  pods: 2,
  since: '2025-06-01T12:00:10.000Z',
  details: { container: 'inference', restarts, exitCode: 1, exitReason: 'Error' },
});
const canaryPull: Cause = {
  reason: 'ImagePullFailed',
  severity: 'waiting',
  track: 'canary',
  message:
    'image "example/vllm:nope" of container "inference": ImagePullBackOff: Back-off pulling image "example/vllm:nope"',
  pods: 1,
  since: '2025-06-01T11:59:30.000Z',
  details: { image: 'example/vllm:nope', waitingReason: 'ImagePullBackOff' },
};
/** The conditions a monitor writes with a cause (Ready False with the top cause; Stalled if terminal). */
const conditionsFor = (top: Cause, at: string): Condition[] => [
  { type: 'Ready', status: 'False', reason: top.reason, message: top.message, lastTransitionTime: at },
  ...(top.severity === 'terminal'
    ? [
        {
          type: 'Stalled',
          status: 'True' as const,
          reason: top.reason,
          message: top.message,
          lastTransitionTime: at,
        },
      ]
    : []),
];

beforeAll(async () => {
  ({ store, clients } = openStore({ tables, endpoint: handle.env.dynamodb.endpoint }, { now: () => NOW }));
  await ensureTables(clients.dynamodb, tables);
  for (const region of ['us-east-1', 'eu-west-1'])
    await putHeartbeat(clients, tables, { region, identity: `mon-${region}`, ageMs: 20_000 });
}, 600_000);
afterAll(() => clients?.destroy());

describe('status and list show why', () => {
  test('status: the worst cause per region on one line, every cause in full in a table and -o json|yaml', async () => {
    expect(
      (await cli('deploy nogpu -i vllm/vllm-openai:v0.9.0 -r us-east-1 -r eu-west-1 --gpu-count 8')).code,
    ).toBe(0);
    await store.putStatusIfChanged(
      status('nogpu', 'us-east-1', {
        state: 'creating',
        replicasReady: 0,
        causes: [unschedulable],
        conditions: conditionsFor(unschedulable, '2025-06-01T11:58:00.000Z'),
      }),
    );
    await store.putStatusIfChanged(
      status('nogpu', 'eu-west-1', {
        canaryReady: 0,
        canaryWeight: 10,
        address: 'k8s-gco-eu.elb.example',
        causes: [canaryPull],
      }),
    );
    const json = await cli('status nogpu -o json');
    expect(json.code).toBe(0);
    const view = statusSchema.parse(JSON.parse(json.stdout));
    await expect(json.stdout).toMatchFileSnapshot(golden('status-diagnosed.json'));
    const us = view.regions.find((r) => r.region === 'us-east-1')!;
    expect(us.causes).toEqual([{ ...unschedulable, details: {} }]);
    expect(us.message).toBe(`Unschedulable, 1 pod since 2025-06-01T11:58:00.000Z: ${unschedulable.message}`);
    const eu = view.regions.find((r) => r.region === 'eu-west-1')!;
    expect(eu).toMatchObject({ ready: true, url: 'http://k8s-gco-eu.elb.example/inference/nogpu' });
    expect(eu.message).toMatch(/^1\/1 replicas ready; canary ImagePullFailed, 1 pod since /);
    const yaml = await cli('status nogpu -o yaml');
    expect(yaml.stdout).toContain('reason: ImagePullFailed');

    const table = await cli('status nogpu');
    await expect(table.stdout).toMatchFileSnapshot(golden('status-diagnosed.txt'));
    expect(table.stdout).toMatch(/^us-east-1 +creating .* no +Unschedulable, 1 pod since /m);
    expect(table.stdout).toMatch(/^REGION +TRACK +CAUSE +SEVERITY +PODS +SINCE +MESSAGE$/m);
    expect(table.stdout).toContain(unschedulable.message);
  });

  test('list: MESSAGE is the worst cause of any region, terminal first', async () => {
    expect(
      (await cli('deploy crashy -i example/vllm:simulate-crashloop -r us-east-1 -r eu-west-1')).code,
    ).toBe(0);
    await store.putStatusIfChanged(
      status('crashy', 'us-east-1', {
        state: 'creating',
        replicasReady: 0,
        replicasDesired: 2,
        causes: [unschedulable],
      }),
    );
    await store.putStatusIfChanged(
      status('crashy', 'eu-west-1', {
        state: 'creating',
        replicasReady: 0,
        replicasDesired: 2,
        causes: [crashLoop(4)],
        conditions: conditionsFor(crashLoop(4), '2025-06-01T12:00:40.000Z'),
      }),
    );
    const table = await cli('list');
    expect(table.code).toBe(0);
    await expect(table.stdout).toMatchFileSnapshot(golden('list-diagnosed.txt'));
    expect(table.stdout).toMatch(
      /^crashy .* 0\/2 regions ready; eu-west-1: CrashLooping \(terminal\), 2 pods since 2025-06-01T12:00:10.000Z: container "inference" failed with exit code 1 \(Error\), 4 restarts: CUDA error: out of memory Traceback/m,
    );
    const json = listSchema.parse(JSON.parse((await cli('list -o json')).stdout));
    expect(json.endpoints.find((e) => e.name === 'crashy')?.cause).toEqual({
      region: 'eu-west-1',
      ...crashLoop(4),
    });
    expect(json.endpoints.find((e) => e.name === 'nogpu')?.cause).toMatchObject({
      region: 'us-east-1',
      reason: 'Unschedulable',
    });
  });
});

describe('--wait', () => {
  test('prints each new cause once as it appears, and exits 5 when one turns terminal', async () => {
    let progress = '';
    const run = cli('deploy oom -i example/vllm:simulate-oom -r us-east-1 --wait --timeout 60s', {
      onStderr: (all) => (progress = all),
    });
    await waitFor('oom created', async () => (await generationOf('oom')) === 1);
    const creating = { state: 'creating', replicasReady: 0, replicasDesired: 2 } as const;
    await store.putStatusIfChanged(status('oom', 'us-east-1', { ...creating, causes: [unschedulable] }));
    await waitFor('the first cause printed', () => progress.includes('Unschedulable'));
    // The same causes with new counts are not new.
    await store.putStatusIfChanged(
      status('oom', 'us-east-1', { ...creating, causes: [{ ...unschedulable, pods: 2 }, crashLoop(1)] }),
    );
    await waitFor('the second cause printed', () => progress.includes('CrashLooping'));
    await store.putStatusIfChanged(
      status('oom', 'us-east-1', {
        ...creating,
        causes: [crashLoop(3), { ...unschedulable, pods: 2 }],
        conditions: conditionsFor(crashLoop(3), '2025-06-01T12:00:30.000Z'),
      }),
    );
    const r = await run;
    expect(r.code).toBe(5);
    expect(r.stderr.match(/Unschedulable/g)).toHaveLength(1);
    expect(r.stderr).toContain(
      `oom us-east-1: Unschedulable, 1 pod since 2025-06-01T11:58:00.000Z: 0/7 nodes are available`,
    );
    expect(r.stderr).toContain(
      'oom us-east-1: CrashLooping, 2 pods since 2025-06-01T12:00:10.000Z: container "inference" failed with exit code 1 (Error), 1 restarts',
    );
    expect(r.stderr).toContain(
      'error: oom: us-east-1: CrashLooping (terminal), 2 pods since 2025-06-01T12:00:10.000Z: container "inference" failed with exit code 1 (Error), 3 restarts',
    );
    expect(r.stderr).toMatch(/; to fix: read the container's logs/);
  });

  test('a waiting cause does not end the wait; the timeout names it', async () => {
    const r = await cli('status nogpu --wait --timeout 300ms');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error: nogpu: timed out waiting for generation 1 in us-east-1; us-east-1: Unschedulable, 1 pod since 2025-06-01T11:58:00.000Z: ${unschedulable.message}\n`,
    );
  });

  test("a fix waits past the old generation's terminal cause and succeeds once the new one runs", async () => {
    let progress = '';
    const run = cli('update-image oom -i example/vllm:v1 --wait --timeout 60s', {
      onStderr: (all) => (progress = all),
    });
    await waitFor('generation 2', async () => (await generationOf('oom')) === 2);
    // The monitor has not applied generation 2 yet: its item still says generation 1 is stuck.
    await waitFor('pending on generation 2', () => progress.includes('generation 1/2'));
    await store.putStatusIfChanged(status('oom', 'us-east-1', { observedGeneration: 2, replicasDesired: 1 }));
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('CrashLooping');
    expect(r.stderr).toContain('oom: generation 2 ready in every target region');
  });
});

test('status --watch redraws when a cause appears and when it clears', async () => {
  const ac = new AbortController();
  let seen = '';
  const draws = () => (seen.match(/^Endpoint:/gm) ?? []).length;
  const run = cli('status oom --watch', { signal: ac.signal, onStdout: (all) => (seen = all) });
  await waitFor('first draw', () => draws() === 1);
  await store.putStatusIfChanged(
    status('oom', 'us-east-1', {
      observedGeneration: 2,
      replicasDesired: 1,
      causes: [{ ...canaryPull, track: 'primary', severity: 'terminal' }],
    }),
  );
  await waitFor('redrawn with the cause', () => /ImagePullFailed \(terminal\)/.test(seen));
  await store.putStatusIfChanged(status('oom', 'us-east-1', { observedGeneration: 2, replicasDesired: 1 }));
  await waitFor('redrawn without it', () => draws() === 3);
  expect(seen.slice(seen.lastIndexOf('Endpoint:'))).not.toContain('ImagePullFailed');
  ac.abort();
  expect((await run).code).toBe(0);
});
