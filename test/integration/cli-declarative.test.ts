// Issue 12 through the real DynamoDB server: strict input, declarative and safe edits, one state
// model with typed output (golden files, checked against the documented schema), waiting that
// knows about stalled regions and dead monitors, and a way out for an endpoint no monitor can
// finish. `npx vitest run --project integration test/integration/cli-declarative.test.ts -u`
// rewrites the golden files.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listSchema, regionsSchema, statusSchema } from '../../src/cli/views.js';
import { type DynamoStore, ensureTables, openStore, type StoreClients } from '../../src/store/index.js';
import { useLocalEnv } from '../helpers/local-env.js';
import { waitFor } from '../helpers/wait.js';
import { cliRunner, golden, NOW, putHeartbeat, status } from './cli-support.js';

const handle = useLocalEnv({ regions: [] });
const suffix = randomUUID().slice(0, 8);
const tables = {
  endpoints: `cli2-endpoints-${suffix}`,
  status: `cli2-status-${suffix}`,
  revisions: `cli2-revisions-${suffix}`,
};
let store: DynamoStore;
let clients: StoreClients;
const cli = cliRunner(() => handle.env.dynamodb.endpoint, tables);
const dir = mkdtempSync(join(tmpdir(), 'inferctl-cli2-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const generationOf = async (name: string) => (await store.requireEndpoint(name)).generation;

beforeAll(async () => {
  ({ store, clients } = openStore({ tables, endpoint: handle.env.dynamodb.endpoint }, { now: () => NOW }));
  await ensureTables(clients.dynamodb, tables);
  const live = { ageMs: 20_000, version: '0.1.0', allowedNamespaces: ['gco-inference', 'team-a'] };
  await putHeartbeat(clients, tables, { region: 'us-east-1', identity: 'mon-a-1', ...live });
  await putHeartbeat(clients, tables, { region: 'eu-west-1', identity: 'mon-b-1', ...live });
  await putHeartbeat(clients, tables, { region: 'ap-south-1', identity: 'mon-c-1', ageMs: 3_600_000 });
  await putHeartbeat(clients, tables, {
    region: 'sa-east-1',
    identity: 'mon-d-1',
    ageMs: 30_000,
    withdrawnAt: '2025-06-01T11:59:40.000Z',
  });
}, 600_000);
afterAll(() => clients?.destroy());

describe('strict input: refused before anything is written, exit 2', () => {
  test('unknown fields at any level of a file, with the path and a did-you-mean', async () => {
    const typo = file(
      'typo.yaml',
      'name: typo\ntarget_regions: [us-east-1]\nspec:\n  image: img:1\n  gpu_cont: 2\n',
    );
    const r = await cli(`apply -f ${typo}`);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`error: ${typo}: spec.gpu_cont: unknown field, did you mean gpu_count?\n`);
    const top = file('top.yaml', 'name: typo\ntarget_region: [us-east-1]\nspec:\n  image: img:1\n');
    const t = await cli(`deploy -f ${top}`);
    expect(t.code).toBe(2);
    expect(t.stderr).toBe(`error: ${top}: target_region: unknown field, did you mean target_regions?\n`);
    expect(await store.getEndpoint('typo')).toBeUndefined();
  });

  test('regions no monitor ever reported from are refused (did you mean), unless forced', async () => {
    const r = await cli('deploy typo -i img:1 -r us-eats-1');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: target_regions: no monitor has ever reported from us-eats-1 (known: ap-south-1, eu-west-1, sa-east-1, us-east-1); did you mean us-east-1 for us-eats-1?; pass --allow-unknown-region to target it anyway\n',
    );
    expect(await store.getEndpoint('typo')).toBeUndefined();
    expect((await cli('deploy forced -i img:1 -r us-west-9 --allow-unknown-region')).code).toBe(0);
    expect((await store.requireEndpoint('forced')).raw.target_regions).toEqual(['us-west-9']);
  });

  test("labels follow Kubernetes rules and reach the item; namespaces follow the monitors' allow-lists", async () => {
    const bad = await cli("deploy typo -i img:1 -r us-east-1 --label 'bad key=v'");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: labels\.bad key: keys must be \[DNS-subdomain prefix\/\]name/);
    const ours = await cli('deploy typo -i img:1 -r us-east-1 --label app=x');
    expect(ours.stderr).toMatch(/^error: labels\.app: is set by inferctl on every object/);
    const ns = await cli('deploy typo -i img:1 -r us-east-1 --namespace kube-system');
    expect(ns.code).toBe(2);
    expect(ns.stderr).toBe(
      'error: namespace: the monitor in us-east-1 only manages gco-inference, team-a, got "kube-system"; use one of those or add it to that monitor\'s ALLOWED_NAMESPACES\n',
    );
    expect(await store.getEndpoint('typo')).toBeUndefined();
  });

  test('messages say it once: a too-long name, a YAML error with its place, an unknown -o', async () => {
    const long = await cli(`deploy ${'a'.repeat(70)} -i img:1 -r us-east-1`);
    expect(long.stderr.match(/got/g)).toHaveLength(1);
    expect(long.stderr).toMatch(/fits in 63 \(this one has 70\), got "aaaa/);
    const broken = file('broken.yaml', 'name: x\nspec:\n  image: img:1\n  env: {A: 1\n');
    const y = await cli(`apply -f ${broken}`);
    expect(y.code).toBe(2);
    expect(y.stderr.trim().split('\n')).toHaveLength(1);
    expect(y.stderr).toMatch(
      new RegExp(`^error: ${broken}: line \\d+, column \\d+: .+; fix the YAML there\\n$`),
    );
    const o = await cli('list -o xml');
    expect(o.code).toBe(2);
    expect(o.stderr.trim().split('\n')).toEqual([
      "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are table, json, yaml.",
    ]);
  });
});

describe('declarative and safe edits', () => {
  const llama = `name: llama
namespace: team-a
target_regions: [us-east-1, eu-west-1]
labels: {team: ml}
spec:
  image: vllm/vllm-openai:v0.9.0
  replicas: 2
  env: {HF_TOKEN: secret, A: "1"}
  node_selector: {pool: gpu}
`;

  test('apply creates, then an unchanged file writes nothing; get -o yaml|json round-trips', async () => {
    const f = file('llama.yaml', llama);
    const created = await cli(`apply -f ${f}`);
    expect(created).toMatchObject({
      code: 0,
      stdout: 'llama: created (generation 1, deploying, regions eu-west-1,us-east-1)\n',
    });
    const again = await cli(`apply -f ${f}`);
    expect(again).toMatchObject({ code: 0, stdout: 'llama: unchanged (generation 1); nothing written\n' });
    expect(await generationOf('llama')).toBe(1);
    for (const format of ['yaml', 'json']) {
      const got = await cli(`get llama -o ${format}`);
      expect(got.code).toBe(0);
      const back = file(`llama-got.${format}`, got.stdout);
      expect((await cli(`apply -f ${back}`)).stdout).toBe(
        'llama: unchanged (generation 1); nothing written\n',
      );
    }
    expect(await generationOf('llama')).toBe(1);
    const doc = (await cli('get llama -o json')).stdout;
    expect(Object.keys(JSON.parse(doc))).toEqual(['name', 'namespace', 'target_regions', 'labels', 'spec']);
  });

  test('apply of an edited file prints each changed field and bumps the generation once', async () => {
    const edited = file(
      'llama2.yaml',
      llama.replace('replicas: 2', 'replicas: 3').replace('labels: {team: ml}', 'labels: {}'),
    );
    const r = await cli(`apply -f ${edited}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'llama: configured (generation 2, deploying, regions eu-west-1,us-east-1)\n  - labels.team: "ml"\n  ~ spec.replicas: 2 → 3\n',
    );
    expect(await generationOf('llama')).toBe(2);
  });

  test('edits merge: -e adds one key and keeps the rest; --unset-* removes one; a no-op writes nothing', async () => {
    const r = await cli(
      'update llama -e B=2 --unset-env A --label tier=gold --node-selector zone=a --unset-node-selector pool',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      '  + labels.tier: "gold"',
      '  - spec.env.A: "1"',
      '  + spec.env.B: "2"',
      '  - spec.node_selector.pool: "gpu"',
      '  + spec.node_selector.zone: "a"',
      '',
    ]);
    const rec = await store.requireEndpoint('llama');
    expect(rec.raw).toMatchObject({
      generation: 3,
      labels: { tier: 'gold' },
      spec: { env: { HF_TOKEN: 'secret', B: '2' }, node_selector: { zone: 'a' } },
    });
    const noop = await cli('update llama -e B=2');
    expect(noop.stdout).toBe('llama: unchanged (generation 3); nothing written\n');
    expect((await cli('scale llama --replicas 3')).stdout).toBe(
      'llama: unchanged (generation 3); nothing written\n',
    );
    expect(await generationOf('llama')).toBe(3);
  });

  test('--dry-run on every writing verb prints the diff and writes nothing', async () => {
    const cases: [string, string][] = [
      ['scale llama --replicas 5 --dry-run', '~ spec.replicas: 3 → 5'],
      [
        'update llama -i vllm/vllm-openai:v1 --dry-run',
        '~ spec.image: "vllm/vllm-openai:v0.9.0" → "vllm/vllm-openai:v1"',
      ],
      ['update-image llama -i img:2 --dry-run', '~ spec.image:'],
      ['canary llama -i img:3 --dry-run', '+ spec.canary.image: "img:3"'],
      ['stop llama --dry-run --yes', '~ desired_state: "deploying" → "stopped"'],
      ['delete llama --dry-run', '~ desired_state: "deploying" → "deleted"'],
      ['deploy other -i img:1 -r us-east-1 --dry-run', '+ spec.image: "img:1"'],
      [`apply -f ${file('llama3.yaml', llama)} --dry-run`, '+ spec.env.A: "1"'],
    ];
    for (const [args, line] of cases) {
      const r = await cli(args);
      expect(r.code, args).toBe(0);
      expect(r.stdout, args).toMatch(/would be .* \(dry run, nothing written\)/);
      expect(r.stdout, args).toContain(line);
    }
    expect(await generationOf('llama')).toBe(3);
    expect(await store.getEndpoint('other')).toBeUndefined();
  });

  test('scale on an autoscaled endpoint refuses, saying what to do instead', async () => {
    expect((await cli('update llama --min-replicas 1 --max-replicas 4')).code).toBe(0);
    const gen = await generationOf('llama');
    const r = await cli('scale llama --replicas 6');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: scale: llama is autoscaled (1-4 replicas) and the HPA owns the count;',
    );
    expect(r.stderr).toContain('--no-autoscaling');
    expect(await generationOf('llama')).toBe(gen);
  });

  test('render -f renders a file with no table at all', async () => {
    const f = file('render.yaml', llama);
    const r = await cli(`render -f ${f} -r eu-west-1 --dynamodb-endpoint http://127.0.0.1:9`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kind: Deployment');
    expect(r.stdout).toContain('namespace: team-a');
  });
});

describe('one state model, typed output', () => {
  test('list --state filters on the computed state; JSON carries typed values (golden, schema)', async () => {
    // llama: autoscaled, the HPA runs 3 in us-east-1; eu-west-1 still on the previous generation.
    const gen = await generationOf('llama');
    await store.putStatusIfChanged(
      status('llama', 'us-east-1', {
        observedGeneration: gen,
        replicasReady: 3,
        replicasDesired: 3,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Succeeded',
            message: '3/3 replicas ready',
            lastTransitionTime: '2025-06-01T11:58:00.000Z',
          },
        ],
      }),
    );
    await store.putStatusIfChanged(
      status('llama', 'eu-west-1', { observedGeneration: gen - 1, replicasReady: 2, replicasDesired: 2 }),
    );
    await store.putStatusIfChanged(status('forced', 'us-west-9'));
    const running = await cli('list --state running -o json');
    expect(JSON.parse(running.stdout).endpoints.map((e: { name: string }) => e.name)).toEqual(['forced']);
    const deploying = await cli('list --state deploying -o json');
    expect(JSON.parse(deploying.stdout).endpoints.map((e: { name: string }) => e.name)).toEqual(['llama']);

    const list = await cli('list -o json');
    listSchema.parse(JSON.parse(list.stdout));
    await expect(list.stdout).toMatchFileSnapshot(golden('list.json'));
    const st = await cli('status llama -o json');
    const view = statusSchema.parse(JSON.parse(st.stdout));
    await expect(st.stdout).toMatchFileSnapshot(golden('status-llama.json'));
    expect(view.replicas).toEqual({ spec: 3, autoscaling: { min: 1, max: 4 }, desired: 5, ready: 5 });
    const regions = await cli('regions -o json');
    regionsSchema.parse(JSON.parse(regions.stdout));
    await expect(regions.stdout).toMatchFileSnapshot(golden('regions.json'));
    // The table agrees with itself: a region on an old generation is "applying", not "2/2 ready".
    const table = await cli('status llama');
    await expect(table.stdout).toMatchFileSnapshot(golden('status-llama.txt'));
    expect(table.stdout).toContain('Replicas:   autoscaled 1-4; desired now: eu-west-1 2, us-east-1 3');
    expect(table.stdout).toMatch(/eu-west-1 .* no +applying generation \d+ \(observed \d+\)/);
  });
});

describe('waiting that knows', () => {
  test('--wait fails fast on a stalled region even at an older observed generation', async () => {
    const run = cli('deploy forbidden -i img:1 -r us-east-1 --wait --timeout 60s');
    await waitFor('forbidden created', () => store.getEndpoint('forbidden'));
    await store.putStatusIfChanged(
      status('forbidden', 'us-east-1', {
        state: 'error',
        observedGeneration: 0,
        replicasReady: 0,
        replicasDesired: 0,
        error: 'namespace gco-inference is not in ALLOWED_NAMESPACES',
        conditions: [
          {
            type: 'Stalled',
            status: 'True',
            reason: 'NamespaceNotAllowed',
            message: 'namespace gco-inference is not in ALLOWED_NAMESPACES',
            lastTransitionTime: '2025-06-01T12:00:01.000Z',
          },
        ],
      }),
    );
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: forbidden: us-east-1: NamespaceNotAllowed: namespace gco-inference is not in ALLOWED_NAMESPACES; fix the spec',
    );
  });

  test('stale, stopped and absent monitors are shown as such and named when the wait times out', async () => {
    expect(
      (await cli('deploy lost -i img:1 -r ap-south-1 -r sa-east-1 -r us-west-9 --allow-unknown-region')).code,
    ).toBe(0);
    const r = await cli('status lost --wait --timeout 300ms');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'lost ap-south-1: waiting for the monitor (no status yet) (monitor stale: last heartbeat 2025-06-01T11:00:00.000Z)',
    );
    expect(r.stderr).toContain(
      'error: lost: timed out waiting for generation 1 in ap-south-1, sa-east-1, us-west-9 (monitor stale: ap-south-1; monitor stopped: sa-east-1; no monitor ever reported: us-west-9)',
    );
  });

  test('canary --wait waits for the canary to be ready too', async () => {
    expect((await cli('deploy bird -i img:1 -r us-east-1')).code).toBe(0);
    await store.putStatusIfChanged(status('bird', 'us-east-1'));
    let progress = '';
    const run = cli('canary bird -i img:2 --weight 20 --wait --timeout 30s', {
      onStderr: (all) => (progress = all),
    });
    await waitFor('generation 2', async () => ((await generationOf('bird')) === 2 ? true : undefined));
    await store.putStatusIfChanged(
      status('bird', 'us-east-1', { observedGeneration: 2, canaryReady: 0, canaryWeight: 20 }),
    );
    // The primary is ready at generation 2; the wait goes on for the canary.
    await waitFor('canary pending', () => (progress.includes('canary 0/1 ready') ? true : undefined));
    await store.putStatusIfChanged(
      status('bird', 'us-east-1', { observedGeneration: 2, canaryReady: 1, canaryWeight: 20 }),
    );
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('bird us-east-1: canary 0/1 ready at 20% (want 20%)');
    expect(r.stderr).toContain('bird: generation 2 ready in every target region');
  });

  test('status --watch follows until interrupted, redraws only on change, and shows a monitor going stale', async () => {
    const ac = new AbortController();
    const draws = () => (seen.match(/^Endpoint:/gm) ?? []).length;
    let seen = '';
    const run = cli('status bird --watch', { signal: ac.signal, onStdout: (all) => (seen = all) });
    await waitFor('first draw', () => (draws() === 1 ? true : undefined));
    await putHeartbeat(clients, tables, { region: 'us-east-1', identity: 'mon-a-1', ageMs: 600_000 });
    await waitFor('redrawn as stale', () => (/us-east-1 +stale +stale/.test(seen) ? true : undefined));
    expect(draws()).toBe(2);
    ac.abort();
    const r = await run;
    expect(r.code).toBe(0);
    await putHeartbeat(clients, tables, { region: 'us-east-1', identity: 'mon-a-1', ageMs: 20_000 });
  });
});

describe('region waves (issue 14): the policy in, the gates and the halt out', () => {
  const waves = '-r us-east-1 -r eu-west-1 --wave us-east-1 --wave eu-west-1';

  test('flags and files set the policy; a wave region that is not a target, twice, or a bad value is refused before writing', async () => {
    const stray = await cli('deploy waves -i img:1 -r us-east-1 --wave us-east-1 --wave eu-west-1');
    expect(stray).toMatchObject({ code: 2, stdout: '' });
    expect(stray.stderr).toBe(
      'error: spec.rollout.waves[1][0]: must be one of target_regions (us-east-1), got "eu-west-1"\n',
    );
    const twice = await cli(`deploy waves -i img:1 ${waves},us-east-1`);
    expect(twice.stderr).toBe(
      'error: spec.rollout.waves[1][1]: must name each region once, but us-east-1 is also in wave 1\n',
    );
    const mode = await cli(`deploy waves -i img:1 ${waves} --on-failure retry`);
    expect(mode.stderr).toBe('error: spec.rollout.on_failure: must be one of halt|revert, got "retry"\n');
    const typo = file(
      'waves-typo.yaml',
      'name: waves\ntarget_regions: [us-east-1]\nspec:\n  image: img:1\n  rollout: {wave: [[us-east-1]]}\n',
    );
    expect((await cli(`apply -f ${typo}`)).stderr).toBe(
      `error: ${typo}: spec.rollout.wave: unknown field, did you mean waves?\n`,
    );
    expect(await store.getEndpoint('waves')).toBeUndefined();

    expect((await cli(`deploy waves -i img:1 ${waves} --bake-seconds 60 --on-failure revert`)).code).toBe(0);
    const yaml = await cli('get waves -o yaml');
    expect(yaml.stdout).toContain(
      'rollout:\n    waves:\n      - - us-east-1\n      - - eu-west-1\n    bake_seconds: 60\n    on_failure: revert\n    progress_deadline_seconds: 900\n',
    );
    const same = await cli(`apply -f ${file('waves.yaml', yaml.stdout)}`);
    expect(same.stdout).toBe('waves: unchanged (generation 1); nothing written\n');

    const bake = await cli('update waves --bake-seconds 5');
    expect(bake.stdout).toContain('  ~ spec.rollout.bake_seconds: 60 → 5\n');
    const dropped = await cli('update waves -r us-east-1');
    expect(dropped.code).toBe(2);
    expect(dropped.stderr).toBe(
      'error: spec.rollout.waves[1][0]: must be one of target_regions (us-east-1), got "eu-west-1"\n',
    );
    const alone = await cli('update forced --on-failure revert');
    expect(alone.stderr).toMatch(/^error: --on-failure: the endpoint has no rollout policy to change/);
    expect(await generationOf('waves')).toBe(2);
    const unset = await cli('update waves --unset-rollout');
    expect(unset.stdout).toContain('  - spec.rollout.waves: [["us-east-1"],["eu-west-1"]]\n');
    expect((await store.requireEndpoint('waves')).raw.spec).not.toHaveProperty('rollout');
  });

  test('status shows the plan and the gate each region waits on; a halt is the phase, and --wait exits 5 on it', async () => {
    await cli(`deploy staged -i img:1 ${waves} --on-failure revert`);
    const healthySince = new Date(Date.now() - 88_000).toISOString();
    await store.putStatusIfChanged(
      status('staged', 'us-east-1', { healthySince, servingSince: healthySince }),
    );
    const table = await cli('status staged');
    expect(table.stdout).toContain(
      'Rollout:    us-east-1 → eu-west-1; bake 300 s; on failure revert; progress deadline 900 s\n',
    );
    expect(table.stdout).toMatch(/^eu-west-1 .* no +waiting: us-east-1 baking, 21\d s left$/m);
    const render = await cli('render staged -r eu-west-1');
    expect(render.stdout).toContain('kind: Deployment');
    expect(render.stderr).toMatch(
      /^staged: eu-west-1 is behind a wave gate \(waiting: us-east-1 baking, 21\d s left\): these are generation 1's objects, applied there when the gate opens; nothing runs there yet\n$/,
    );
    const view = statusSchema.parse(JSON.parse((await cli('status staged -o json')).stdout));
    expect(view.regions.find((r) => r.region === 'eu-west-1')).toMatchObject({
      served_generation: null,
      gate: { kind: 'baking', region: 'us-east-1' },
    });

    // Generation 2 crash-loops in us-east-1, which halts it and goes back to 1; eu-west-1 never gets it.
    await cli('update-image staged -i img:simulate-crashloop');
    const halt = {
      generation: 2,
      reason: 'CrashLooping',
      message: 'back-off restarting failed container',
      at: new Date().toISOString(),
      revertedTo: 1,
    };
    await store.putStatusIfChanged(
      status('staged', 'us-east-1', { halt, healthySince, servingSince: healthySince }),
    );
    await store.putStatusIfChanged(
      status('staged', 'eu-west-1', { healthySince, servingSince: healthySince }),
    );
    const halted = await cli('status staged');
    expect(halted.stdout).toMatch(/^State: +halted$/m);
    expect(halted.stdout).toMatch(
      /^us-east-1 .* halted here: CrashLooping: back-off restarting failed container; reverted to generation 1$/m,
    );
    expect(halted.stdout).toMatch(
      /^eu-west-1 .* serving generation 1, 1\/1 replicas ready; halted: us-east-1 CrashLooping$/m,
    );
    const list = JSON.parse((await cli('list --state halted -o json')).stdout);
    expect(list.endpoints).toMatchObject([
      {
        name: 'staged',
        message:
          'rollout of generation 2 halted in us-east-1: CrashLooping: back-off restarting failed container (reverted to generation 1)',
      },
    ]);
    const wait = await cli('status staged --wait --timeout 30s');
    expect(wait.code).toBe(5);
    expect(wait.stderr).toContain(
      'error: staged: rollout of generation 2 halted in us-east-1: CrashLooping: back-off restarting failed container (reverted to generation 1); later waves keep what they run',
    );
  });
});

describe('ways out', () => {
  test('delete --force purges an endpoint whose regions have no live monitor, never one with a live monitor', async () => {
    const alive = await cli('delete bird --force --yes');
    expect(alive.code).toBe(4);
    expect(alive.stderr).toContain('delete --force: the monitor in us-east-1 is alive');
    expect(await store.getEndpoint('bird')).toBeDefined();

    await store.putStatusIfChanged(status('lost', 'ap-south-1', { state: 'creating', replicasReady: 0 }));
    expect((await cli('delete lost --yes')).code).toBe(0);
    const stuck = await cli('delete lost --yes');
    expect(stuck.code).toBe(4);
    expect(stuck.stderr).toContain('`inferctl delete lost --force` purges it');
    expect((await cli('delete lost --force')).code).toBe(2); // no --yes off a terminal
    const purged = await cli('delete lost --force --yes');
    expect(purged).toMatchObject({ code: 0, stdout: 'lost: purged; status items removed: ap-south-1\n' });
    expect(await store.getEndpoint('lost')).toBeUndefined();
    expect(await store.listStatus('lost')).toEqual([]);
  });
});
