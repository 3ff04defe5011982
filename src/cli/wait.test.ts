import { describe, expect, test } from 'vitest';
import type { Cause, Condition, Endpoint, RegionStatus } from '../model/index.js';
import type { RegionHeartbeat } from '../store/index.js';
import type { Ctx } from './context.js';
import { type CliError, EXIT_CODE } from './errors.js';
import { type RegionVerdict, regionVerdict, STALL_GRACE_MS, waitForRollout } from './wait.js';

const endpoint = (over: Partial<Endpoint> = {}): Endpoint => ({
  name: 'e',
  desiredState: 'running',
  targetRegions: ['r'],
  namespace: 'gco-inference',
  spec: { image: 'i:1', replicas: 1 } as Endpoint['spec'],
  ingressPath: '/inference/e',
  labels: {},
  generation: 2,
  updatedAt: '2025-06-01T12:00:00.000Z',
  ...over,
});
const status = (over: Partial<RegionStatus> = {}): RegionStatus => ({
  endpointName: 'e',
  region: 'r',
  state: 'running',
  replicasReady: 1,
  replicasDesired: 1,
  observedGeneration: 2,
  ingressPulled: false,
  conditions: [],
  lastSync: 't',
  lastTransition: 't',
  ...over,
});
const stalled = (at: string): Condition => ({
  type: 'Stalled',
  status: 'True',
  reason: 'NamespaceNotAllowed',
  message: 'no',
  lastTransitionTime: at,
});
const alive: RegionHeartbeat = { region: 'r', lastHeartbeat: 't', identity: 'm', alive: true };
const kind = (v: RegionVerdict) => v.kind;

describe('regionVerdict', () => {
  test.each<[string, Partial<RegionStatus> | undefined, Partial<Endpoint>, number, RegionVerdict['kind']]>([
    ['ready at the generation', {}, {}, 0, 'done'],
    ['an older generation is pending', { observedGeneration: 1 }, {}, 0, 'pending'],
    ['no status yet is pending', undefined, {}, 0, 'pending'],
    ['error at the generation fails', { state: 'error', error: 'x' }, {}, 0, 'failed'],
    [
      'error at an older generation (not stalled) is pending',
      { state: 'error', observedGeneration: 1 },
      {},
      0,
      'pending',
    ],
    [
      'stalled after the write fails, at an older generation',
      { state: 'error', observedGeneration: 0, conditions: [stalled('2025-06-01T12:00:01.000Z')] },
      {},
      0,
      'failed',
    ],
    [
      'stalled before the write: pending within the grace',
      { state: 'error', observedGeneration: 1, conditions: [stalled('2025-06-01T11:00:00.000Z')] },
      {},
      0,
      'pending',
    ],
    [
      'stalled before the write: fails after the grace',
      { state: 'error', observedGeneration: 1, conditions: [stalled('2025-06-01T11:00:00.000Z')] },
      {},
      STALL_GRACE_MS,
      'failed',
    ],
    [
      'a canary not ready yet is pending',
      { canaryReady: 0, canaryWeight: 20 },
      {
        spec: {
          image: 'i:1',
          replicas: 1,
          canary: { image: 'i:2', weight: 20, replicas: 1 },
        } as Endpoint['spec'],
      },
      0,
      'pending',
    ],
    [
      'a ready canary at its weight is done',
      { canaryReady: 1, canaryWeight: 20 },
      {
        spec: {
          image: 'i:1',
          replicas: 1,
          canary: { image: 'i:2', weight: 20, replicas: 1 },
        } as Endpoint['spec'],
      },
      0,
      'done',
    ],
    ['stopped waits for the stopped state', { state: 'running' }, { desiredState: 'stopped' }, 0, 'pending'],
  ])('%s', (_name, s, ep, waitedMs, want) => {
    expect(
      kind(
        regionVerdict({
          endpoint: endpoint(ep),
          region: 'r',
          status: s ? status(s) : undefined,
          heartbeat: alive,
          waitedMs,
        }),
      ),
    ).toBe(want);
  });

  test('the progress line says when the monitor is stale or absent', () => {
    const v = regionVerdict({
      endpoint: endpoint(),
      region: 'r',
      status: undefined,
      heartbeat: undefined,
      waitedMs: 0,
    });
    expect(v).toEqual({
      kind: 'pending',
      line: 'r: waiting for the monitor (no status yet) (no monitor has ever reported from this region)',
    });
    const stale = regionVerdict({
      endpoint: endpoint(),
      region: 'r',
      status: status({ observedGeneration: 1 }),
      heartbeat: { ...alive, alive: false, lastHeartbeat: 'then' },
      waitedMs: 0,
    });
    expect(stale.kind === 'pending' && stale.line).toMatch(/\(monitor stale: last heartbeat then\)$/);
  });
});

describe('regionVerdict with causes', () => {
  const crash = (over: Partial<Cause> = {}): Cause => ({
    reason: 'CrashLooping',
    severity: 'terminal',
    track: 'primary',
    message: 'container "inference" failed with exit code 1 (Error), 3 restarts',
    pods: 1,
    since: '2025-06-01T12:00:05.000Z',
    ...over,
  });
  const unready = { state: 'creating', replicasReady: 0 } as const;
  const causeStall = (at: string): Condition => ({ ...stalled(at), reason: 'CrashLooping' });
  const verdict = (s: Partial<RegionStatus>, waitedMs = 0) =>
    regionVerdict({ endpoint: endpoint(), region: 'r', status: status(s), heartbeat: alive, waitedMs });

  test('a terminal cause at the generation blocks, naming the cause', () => {
    expect(verdict({ ...unready, causes: [crash()] })).toEqual({
      kind: 'blocked',
      line: 'r: CrashLooping (terminal), 1 pod since 2025-06-01T12:00:05.000Z: container "inference" failed with exit code 1 (Error), 3 restarts',
      cause: crash(),
    });
  });

  test('the worst cause is the one named, whatever order the item holds them in', () => {
    const v = verdict({
      ...unready,
      causes: [crash({ reason: 'ProbeFailing', severity: 'waiting' }), crash({ reason: 'ImagePullFailed' })],
    });
    expect(v.kind === 'blocked' && v.cause.reason).toBe('ImagePullFailed');
  });

  test.each<[string, Partial<RegionStatus>, number, RegionVerdict['kind']]>([
    ['a waiting cause keeps waiting', { ...unready, causes: [crash({ severity: 'waiting' })] }, 0, 'pending'],
    [
      'a terminal cause from before the monitor applied the generation is pending',
      {
        ...unready,
        observedGeneration: 1,
        causes: [crash()],
        conditions: [causeStall('2025-06-01T12:00:06.000Z')],
      },
      STALL_GRACE_MS,
      'pending',
    ],
    [
      'a terminal cause older than the write, its Stalled older too: pending within the grace',
      {
        ...unready,
        causes: [crash({ since: '2025-06-01T11:00:00.000Z' })],
        conditions: [causeStall('2025-06-01T11:01:00.000Z')],
      },
      0,
      'pending',
    ],
    [
      'the same, once the monitor had the grace to re-diagnose: blocked',
      {
        ...unready,
        causes: [crash({ since: '2025-06-01T11:00:00.000Z' })],
        conditions: [causeStall('2025-06-01T11:01:00.000Z')],
      },
      STALL_GRACE_MS,
      'blocked',
    ],
    [
      'an old cause whose Stalled condition is newer than the write: blocked at once',
      {
        ...unready,
        causes: [crash({ since: '2025-06-01T11:00:00.000Z' })],
        conditions: [causeStall('2025-06-01T12:00:02.000Z')],
      },
      0,
      'blocked',
    ],
    [
      'a Stalled named after a cause is not a region failure (exit 1) when the cause cleared',
      { ...unready, conditions: [causeStall('2025-06-01T12:00:02.000Z')] },
      STALL_GRACE_MS,
      'pending',
    ],
  ])('%s', (_name, s, waitedMs, want) => {
    expect(verdict(s, waitedMs).kind).toBe(want);
  });
});

describe('waitForRollout with region waves', () => {
  const t0 = new Date('2025-06-01T12:00:00.000Z');
  const regions = ['ap-northeast-1', 'eu-west-1', 'us-east-1'];
  const waved = endpoint({
    targetRegions: regions,
    generation: 7,
    spec: {
      image: 'i:7',
      replicas: 1,
      rollout: {
        waves: [['us-east-1'], ['eu-west-1', 'ap-northeast-1']],
        bake_seconds: 5,
        on_failure: 'revert',
        progress_deadline_seconds: 900,
      },
    } as Endpoint['spec'],
  });
  const at = (s: number) => new Date(t0.getTime() + s * 1000);

  /** One scripted poll: the clock, and each region's status item. */
  type Poll = { readonly s: number; readonly statuses: readonly RegionStatus[] };

  /** A fake of the three store reads --wait makes, answering poll after poll from the script. */
  function run(polls: readonly Poll[]) {
    const progress: string[] = [];
    let next = 0;
    let poll = polls[0]!;
    let clock = at(0);
    const store = {
      // Each poll reads the endpoint first: that read moves the script on.
      getEndpoint: async () => {
        poll = polls[Math.min(next++, polls.length - 1)]!;
        clock = at(poll.s);
        return { name: 'e', generation: 7, raw: {}, parsed: { ok: true, value: waved } };
      },
      listStatus: async () => poll.statuses,
      listRegions: async () => regions.map((region) => ({ ...alive, region })),
    };
    const ctx = {
      store,
      deps: { now: () => clock, pollMs: 0 },
      progress: (line: string) => {
        progress.push(line);
      },
    } as unknown as Ctx;
    const result = waitForRollout(ctx, 'e', 7, 60_000).then(
      () => undefined,
      (err: unknown) => err as CliError,
    );
    return { progress, result };
  }

  const at6 = (region: string) => status({ region, observedGeneration: 6 });

  test('follows the waves, printing each gate once (not every second of the bake), until all are ready', async () => {
    const healthy7 = (region: string, since: number) =>
      status({ region, observedGeneration: 7, healthySince: at(since).toISOString() });
    const { progress, result } = run([
      { s: 0, statuses: [at6('us-east-1'), at6('eu-west-1'), at6('ap-northeast-1')] },
      { s: 1, statuses: [healthy7('us-east-1', 1), at6('eu-west-1'), at6('ap-northeast-1')] },
      { s: 3, statuses: [healthy7('us-east-1', 1), at6('eu-west-1'), at6('ap-northeast-1')] },
      { s: 6, statuses: [healthy7('us-east-1', 1), at6('eu-west-1'), at6('ap-northeast-1')] },
      { s: 7, statuses: [healthy7('us-east-1', 1), healthy7('eu-west-1', 7), healthy7('ap-northeast-1', 7)] },
    ]);
    expect(await result).toBeUndefined();
    expect(progress[0]).toBe(
      'e: rollout in waves: us-east-1 → eu-west-1, ap-northeast-1; bake 5 s; on failure revert; progress deadline 900 s',
    );
    expect(progress).toContain('e eu-west-1: waiting for us-east-1 (not healthy at generation 7 yet)');
    expect(progress.filter((l) => l.startsWith('e eu-west-1: waiting for us-east-1 (baking'))).toEqual([
      'e eu-west-1: waiting for us-east-1 (baking, 5 s left)',
    ]);
    expect(progress).toContain('e eu-west-1: running 1/1 ready, generation 6/7');
    expect(progress.at(-1)).toBe('e: generation 7 ready in every target region');
  });

  test('a timeout names the gate each gated region still waits on', async () => {
    const stuck = [
      status({ region: 'us-east-1', observedGeneration: 7, replicasReady: 0, state: 'updating' }),
      at6('eu-west-1'),
      at6('ap-northeast-1'),
    ];
    const { result } = run([
      { s: 0, statuses: stuck },
      { s: 61, statuses: stuck },
    ]);
    const err = await result;
    expect(err?.code).toBe('TIMEOUT');
    expect(err?.message).toBe(
      'e: timed out waiting for generation 7 in ap-northeast-1, eu-west-1, us-east-1; ap-northeast-1: waiting for us-east-1 (not healthy at generation 7 yet); eu-west-1: waiting for us-east-1 (not healthy at generation 7 yet)',
    );
  });

  test('a halt fails fast with exit 5, naming the region, the cause and where it went back to', async () => {
    const halt = {
      generation: 7,
      reason: 'CrashLooping',
      message: 'container "inference" failed with exit code 1',
      at: at(2).toISOString(),
      revertedTo: 6,
    };
    const { result } = run([
      { s: 0, statuses: [at6('us-east-1'), at6('eu-west-1'), at6('ap-northeast-1')] },
      {
        s: 2,
        statuses: [
          status({ region: 'us-east-1', observedGeneration: 6, halt }),
          at6('eu-west-1'),
          at6('ap-northeast-1'),
        ],
      },
    ]);
    const err = await result;
    expect(err?.code).toBe('BLOCKED');
    expect(EXIT_CODE[err!.code]).toBe(5);
    expect(err?.message).toBe(
      'e: rollout of generation 7 halted in us-east-1: CrashLooping: container "inference" failed with exit code 1 (reverted to generation 6); later waves keep what they run; to resume: read the container\'s logs, then fix the image, args or memory (`inferctl update`), or go back with `inferctl revert e`',
    );

    // Halted where it crashed (no revert): the cause behind the halt is printed before the error,
    // although an earlier region in the loop's order already sees the halt.
    const crash: Cause = {
      reason: 'CrashLooping',
      severity: 'terminal',
      track: 'primary',
      message: 'container "inference" failed with exit code 1',
      pods: 1,
      since: at(2).toISOString(),
    };
    const { revertedTo: _r, ...stay } = halt;
    const here = run([
      {
        s: 2,
        statuses: [
          status({
            region: 'us-east-1',
            observedGeneration: 7,
            replicasReady: 0,
            causes: [crash],
            halt: stay,
          }),
          at6('eu-west-1'),
          at6('ap-northeast-1'),
        ],
      },
    ]);
    expect((await here.result)?.message).toMatch(
      /^e: rollout of generation 7 halted in us-east-1: CrashLooping: .*; later waves/,
    );
    expect(here.progress).toContain(
      'e us-east-1: CrashLooping (terminal), 1 pod since 2025-06-01T12:00:02.000Z: container "inference" failed with exit code 1',
    );
  });
});

describe('waitForRollout on a delete', () => {
  const t0 = new Date('2025-06-01T12:00:00.000Z');
  const deleting = endpoint({ desiredState: 'deleted', targetRegions: ['r', 's'], generation: 4 });
  const gone = (region: string) =>
    status({ region, state: 'deleted', observedGeneration: 4, replicasReady: 0 });

  /** Each poll: seconds since t0, whether the item is still in the table, the status items. */
  function run(polls: readonly { s: number; item: boolean; statuses: readonly RegionStatus[] }[]) {
    const progress: string[] = [];
    let next = 0;
    let poll = polls[0]!;
    const store = {
      getEndpoint: async () => {
        poll = polls[Math.min(next++, polls.length - 1)]!;
        return poll.item
          ? { name: 'e', generation: 4, raw: {}, parsed: { ok: true, value: deleting } }
          : undefined;
      },
      listStatus: async () => poll.statuses,
      listRegions: async () => ['r', 's'].map((region) => ({ ...alive, region })),
    };
    const ctx = {
      store,
      deps: { now: () => new Date(t0.getTime() + poll.s * 1000), pollMs: 0 },
      progress: (line: string) => {
        progress.push(line);
      },
    } as unknown as Ctx;
    const result = waitForRollout(ctx, 'e', 4, 60_000).then(
      () => undefined,
      (err: unknown) => err as CliError,
    );
    return { progress, result, polls: () => next };
  }

  test('every region clean is not the end: it waits, saying so once, until the item is purged', async () => {
    const clean = [gone('r'), gone('s')];
    const { progress, result, polls } = run([
      { s: 0, item: true, statuses: [gone('r'), status({ region: 's', observedGeneration: 3 })] },
      { s: 1, item: true, statuses: clean },
      { s: 2, item: true, statuses: clean },
      { s: 3, item: false, statuses: [] },
    ]);
    expect(await result).toBeUndefined();
    expect(polls()).toBe(4);
    expect(progress.filter((l) => l.includes('purged'))).toEqual([
      'e: generation 4 deleted in every target region; waiting for the item to be purged',
      'e: purged',
    ]);
  });

  test('a timeout with every region clean says the purge is what never came, and the way out', async () => {
    const clean = [gone('r'), gone('s')];
    const { result } = run([
      { s: 0, item: true, statuses: clean },
      { s: 61, item: true, statuses: clean },
    ]);
    const err = await result;
    expect(err?.code).toBe('TIMEOUT');
    expect(err?.message).toBe(
      'e: timed out waiting for the item to be purged: every target region reports generation 4 deleted, but no monitor has removed the item; if the monitors are gone for good: `inferctl delete e --force`',
    );
  });
});
