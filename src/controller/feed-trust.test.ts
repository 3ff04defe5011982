import { describe, expect, test } from 'vitest';
import { FeedTrust } from './feed-trust.js';

const RESCAN_MS = 300_000;

/** A trust on a clock the test moves, and the steps the monitor takes, by name. */
function setUp() {
  let now = 1_000_000;
  const trust = new FeedTrust(RESCAN_MS, () => now);
  const scan = () => trust.scanned(trust.scanStarting());
  return {
    trust,
    scan,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

describe('FeedTrust.needsScan', () => {
  test('before any scan, and before the feed reads from every shard, the table is read', () => {
    const { trust, scan } = setUp();
    expect(trust.needsScan()).toBe(true);
    trust.feedStarted();
    scan();
    expect(trust.needsScan()).toBe(true);
  });

  test('a scan begun after the feed was positioned vouches: the next resyncs only requeue', () => {
    const { trust, scan, tick } = setUp();
    trust.feedPositioned(trust.feedStarted());
    scan();
    tick(15_000);
    expect(trust.needsScan()).toBe(false);
    tick(RESCAN_MS - 15_001);
    expect(trust.needsScan()).toBe(false);
  });

  test('a scan begun before the feed was positioned does not vouch, even if it ends after', () => {
    const { trust, tick } = setUp();
    const run = trust.feedStarted();
    const token = trust.scanStarting();
    tick(100);
    trust.feedPositioned(run);
    trust.scanned(token);
    expect(trust.needsScan()).toBe(true);
  });

  test('feed trouble after the scan began means the next resync reads the table', () => {
    const { trust, scan, tick } = setUp();
    trust.feedPositioned(trust.feedStarted());
    const token = trust.scanStarting();
    tick(50);
    trust.feedTrouble();
    trust.scanned(token);
    expect(trust.needsScan()).toBe(true);
    // Once a scan begins after the trouble, it vouches again.
    tick(50);
    scan();
    expect(trust.needsScan()).toBe(false);
  });

  test('a restarted feed (positioned at the latest record again) vouches for nothing before it', () => {
    const { trust, scan } = setUp();
    trust.feedPositioned(trust.feedStarted());
    scan();
    const second = trust.feedStarted();
    expect(trust.needsScan()).toBe(true);
    trust.feedPositioned(second);
    expect(trust.needsScan()).toBe(true);
    scan();
    expect(trust.needsScan()).toBe(false);
  });

  test('a scan that began in an earlier feed run vouches for nothing when it completes', () => {
    const { trust, tick } = setUp();
    trust.feedPositioned(trust.feedStarted());
    const token = trust.scanStarting();
    trust.feedPositioned(trust.feedStarted());
    tick(10);
    trust.scanned(token);
    expect(trust.needsScan()).toBe(true);
  });

  test('a replaced run that positions late (its listing outlived a lost lease) does not vouch for the new one', () => {
    const { trust, scan } = setUp();
    const old = trust.feedStarted();
    trust.feedStarted();
    trust.feedPositioned(old);
    scan();
    expect(trust.needsScan()).toBe(true);
  });

  test('the table is read again once the last vouching scan is rescanEveryMs old', () => {
    const { trust, scan, tick } = setUp();
    trust.feedPositioned(trust.feedStarted());
    scan();
    tick(RESCAN_MS);
    expect(trust.needsScan()).toBe(true);
    scan();
    expect(trust.needsScan()).toBe(false);
  });
});

describe('FeedTrust.isPositioned', () => {
  test("says whether the current run reads every shard: a restart or a replaced run's positioning does not count", () => {
    const { trust } = setUp();
    expect(trust.isPositioned()).toBe(false);
    const first = trust.feedStarted();
    expect(trust.isPositioned()).toBe(false);
    trust.feedPositioned(first);
    expect(trust.isPositioned()).toBe(true);
    const second = trust.feedStarted();
    expect(trust.isPositioned()).toBe(false);
    trust.feedPositioned(first);
    expect(trust.isPositioned()).toBe(false);
    trust.feedPositioned(second);
    expect(trust.isPositioned()).toBe(true);
  });
});
