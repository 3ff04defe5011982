// OtherRegions against a fake status feed: filled by one read per endpoint, kept current by the
// feed, and the feed runs only while some endpoint needs it.
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { regionStatus } from '../../test/helpers/region-status.js';
import type { RegionStatus } from '../model/index.js';
import type { StatusChange } from '../store/index.js';
import { OtherRegions } from './other-regions.js';

const status = (region: string, observedGeneration: number, lastSync: string) =>
  regionStatus({ endpointName: 'llama', region, observedGeneration, lastSync, lastTransition: lastSync });

/** A feed the test pushes batches into; counts how often it was started and whether it runs. */
function fakeFeed(positionAtStart: boolean) {
  const batches: StatusChange[][] = [];
  let wake: () => void = () => {};
  const state = { starts: 0, running: false, positioned: () => {} };
  const push = (b: StatusChange[]) => {
    batches.push(b);
    wake();
  };
  async function* feed(signal: AbortSignal, onPositioned: () => void): AsyncIterable<StatusChange[]> {
    state.starts++;
    state.running = true;
    state.positioned = onPositioned;
    if (positionAtStart) onPositioned();
    signal.addEventListener('abort', () => wake());
    try {
      while (!signal.aborted) {
        const next = batches.shift();
        if (next) yield next;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      state.running = false;
    }
  }
  return { feed, push, state };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

function setup(items: RegionStatus[], positionAtStart = false) {
  const queued: string[] = [];
  const lists: string[] = [];
  const f = fakeFeed(positionAtStart);
  const other = new OtherRegions({
    region: 'a',
    list: async (name) => {
      lists.push(name);
      return items;
    },
    feed: f.feed,
    enqueue: (name) => queued.push(name),
    log: pino({ level: 'silent' }),
    positionWaitMs: 1,
  });
  return { other, queued, lists, f };
}

describe('OtherRegions', () => {
  test('one read fills an endpoint; its own region is left to the StatusBook', async () => {
    const { other, lists } = setup([status('a', 3, 't1'), status('b', 3, 't1')]);
    const of = await other.of('llama');
    expect([of('a'), of('b')?.observedGeneration]).toEqual([undefined, 3]);
    await other.of('llama');
    expect(lists).toEqual(['llama']);
  });

  test("the feed keeps it current and queues the endpoint when another region's item changes", async () => {
    const { other, queued, f } = setup([status('b', 3, 't1')]);
    await other.of('llama');
    await settle();
    f.push([
      { endpointName: 'llama', region: 'b', status: status('b', 4, 't2') },
      { endpointName: 'llama', region: 'a', status: status('a', 9, 't2') },
      { endpointName: 'other', region: 'b', status: status('b', 1, 't2') },
    ]);
    await settle();
    expect(queued).toEqual(['llama']);
    const of = await other.of('llama');
    expect([of('b')?.observedGeneration, of('a')]).toEqual([4, undefined]);
    // An older copy arriving late does not replace a newer one.
    f.push([{ endpointName: 'llama', region: 'b', status: status('b', 3, 't1') }]);
    await settle();
    expect((await other.of('llama'))('b')?.observedGeneration).toBe(4);
  });

  test('a first read waits for the feed to be positioned, then reads once', async () => {
    const { other, queued, lists } = setup([status('b', 3, 't1')], true);
    expect((await other.of('llama'))('b')?.observedGeneration).toBe(3);
    expect([lists, queued]).toEqual([['llama'], []]);
  });

  test('views filled before the feed was positioned (it was slow) are read again', async () => {
    const { other, queued, lists, f } = setup([status('b', 3, 't1')]);
    await other.of('llama');
    await settle();
    f.state.positioned();
    expect(queued).toEqual(['llama']);
    await other.of('llama');
    expect(lists).toEqual(['llama', 'llama']);
  });

  test('runs the feed only while some endpoint needs it', async () => {
    const { other, f } = setup([]);
    expect(f.state.starts).toBe(0);
    await other.of('llama');
    await settle();
    expect(f.state.running).toBe(true);
    other.retain(() => true, true);
    await settle();
    expect(f.state.running).toBe(true);
    other.retain(() => false, false);
    await settle();
    expect(f.state.running).toBe(false);
  });
});
