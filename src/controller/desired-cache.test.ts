import { describe, expect, test } from 'vitest';
import { type Endpoint, InvalidSpecError, parseSpecOrThrow } from '../model/index.js';
import { DesiredCache } from './desired-cache.js';

const ep = (name: string, generation: number, image = 'vllm/vllm-openai:v0.9.0'): Endpoint =>
  ({
    name,
    desiredState: 'running',
    targetRegions: ['r'],
    namespace: 'gco-inference',
    spec: parseSpecOrThrow({ image }),
    ingressPath: `/inference/${name}`,
    labels: {},
    generation,
  }) as Endpoint;

describe('DesiredCache', () => {
  test('is not scan-complete until a full scan replaced it', () => {
    const cache = new DesiredCache();
    cache.set('a', { kind: 'endpoint', endpoint: ep('a', 1) });
    expect(cache.scanComplete).toBe(false);
    cache.replaceFromScan({ endpoints: [ep('a', 1)], failures: [] });
    expect(cache.scanComplete).toBe(true);
  });

  test('a scan reports only the names whose item changed, appeared or vanished', () => {
    const cache = new DesiredCache();
    cache.replaceFromScan({ endpoints: [ep('a', 1), ep('b', 1), ep('c', 1)], failures: [] });
    const changed = cache.replaceFromScan({
      endpoints: [ep('a', 1), ep('b', 2, 'x:2'), ep('d', 1)],
      failures: [],
    });
    expect(changed.sort()).toEqual(['b', 'c', 'd']);
    expect(cache.get('c')).toBeUndefined();
  });

  test('keeps invalid items by name so their error can be reported', () => {
    const cache = new DesiredCache();
    const error = new InvalidSpecError([{ path: 'spec.port', rule: 'must be between 1 and 65535, got 0' }]);
    cache.replaceFromScan({
      endpoints: [],
      failures: [
        { name: 'bad', error, raw: { generation: 4 } },
        { name: undefined, error, raw: {} },
      ],
    });
    expect(cache.get('bad')).toMatchObject({ kind: 'invalid', generation: 4 });
    expect(cache.names()).toEqual(['bad']);
  });

  test('a change-feed refresh that lands during a scan wins over the older scan result', () => {
    const cache = new DesiredCache();
    cache.replaceFromScan({ endpoints: [ep('a', 1), ep('b', 1)], failures: [] });
    const token = cache.beginScan();
    cache.set('a', { kind: 'endpoint', endpoint: ep('a', 2, 'x:2') }); // newer than the scan's read
    cache.set('b', undefined); // deleted after the scan read it
    cache.replaceFromScan({ endpoints: [ep('a', 1), ep('b', 1)], failures: [] }, token);
    expect(cache.get('a')).toMatchObject({ endpoint: { generation: 2 } });
    expect(cache.get('b')).toBeUndefined();
  });

  test('set reports whether the entry changed', () => {
    const cache = new DesiredCache();
    expect(cache.set('a', { kind: 'endpoint', endpoint: ep('a', 1) })).toBe(true);
    expect(cache.set('a', { kind: 'endpoint', endpoint: ep('a', 1) })).toBe(false);
    expect(cache.set('a', undefined)).toBe(true);
  });

  describe('version scans (resync reads only what differs)', () => {
    const entry = (name: string, generation: number, image?: string) => ({
      entry: { kind: 'endpoint' as const, endpoint: ep(name, generation, image) },
      version: `${generation}|t${generation}`,
    });

    test('everything is stale at first; then only names whose version moved', () => {
      const cache = new DesiredCache();
      const scanned = new Map([
        ['a', '1|t1'],
        ['b', '1|t1'],
      ]);
      expect(cache.staleNames(scanned).sort()).toEqual(['a', 'b']);
      const changed = cache.replaceFromVersions(
        scanned,
        new Map([
          ['a', entry('a', 1)],
          ['b', entry('b', 1)],
        ]),
        cache.beginScan(),
      );
      expect(changed.sort()).toEqual(['a', 'b']);
      expect(cache.scanComplete).toBe(true);
      expect(cache.staleNames(scanned)).toEqual([]);
      expect(
        cache
          .staleNames(
            new Map([
              ['a', '1|t1'],
              ['b', '2|t2'],
              ['c', '1|t1'],
            ]),
          )
          .sort(),
      ).toEqual(['b', 'c']);
    });

    test('a change-feed record needs a read only when the cache does not hold its version', () => {
      const cache = new DesiredCache();
      cache.replaceFromVersions(new Map([['a', '1|t1']]), new Map([['a', entry('a', 1)]]), cache.beginScan());
      expect(
        cache.unheldChanges([
          { name: 'a', version: '1|t1' }, // a resync already read this version
          { name: 'a2', version: '1|t1' }, // not in the cache
          { name: 'a', version: undefined }, // removed
        ]),
      ).toEqual(['a2', 'a']);
      expect(cache.unheldChanges([{ name: 'a', version: '2|t2' }])).toEqual(['a']);
    });

    test('versionOf: the held version, from a scan or a single set; none once the item is gone', () => {
      const cache = new DesiredCache();
      cache.replaceFromVersions(new Map([['a', '1|t1']]), new Map([['a', entry('a', 1)]]), cache.beginScan());
      expect(cache.versionOf('a')).toBe('1|t1');
      expect(cache.versionOf('b')).toBeUndefined();
      cache.set('b', entry('b', 2).entry, '2|t2');
      expect(cache.versionOf('b')).toBe('2|t2');
      cache.set('a', undefined);
      expect(cache.versionOf('a')).toBeUndefined();
    });

    test('keeps unchanged entries, replaces fetched ones, drops names the scan no longer has', () => {
      const cache = new DesiredCache();
      cache.replaceFromVersions(
        new Map([
          ['a', '1|t1'],
          ['b', '1|t1'],
          ['c', '1|t1'],
        ]),
        new Map([
          ['a', entry('a', 1)],
          ['b', entry('b', 1)],
          ['c', entry('c', 1)],
        ]),
        cache.beginScan(),
      );
      const changed = cache.replaceFromVersions(
        new Map([
          ['a', '1|t1'],
          ['b', '2|t2'],
          ['d', '1|t1'],
        ]),
        new Map([
          ['b', entry('b', 2, 'x:2')],
          ['d', undefined], // deleted between the scan and the read
        ]),
        cache.beginScan(),
      );
      expect(changed.sort()).toEqual(['b', 'c']);
      expect(cache.names().sort()).toEqual(['a', 'b']);
      expect(cache.get('b')?.kind === 'endpoint' && cache.get('b')).toMatchObject({
        endpoint: { generation: 2 },
      });
    });

    test('a change-feed read that landed after the scan began wins over the scan', () => {
      const cache = new DesiredCache();
      cache.replaceFromVersions(new Map([['a', '1|t1']]), new Map([['a', entry('a', 1)]]), cache.beginScan());
      const token = cache.beginScan();
      cache.set('a', entry('a', 3, 'x:3').entry, '3|t3');
      const changed = cache.replaceFromVersions(
        new Map([['a', '2|t2']]),
        new Map([['a', entry('a', 2, 'x:2')]]),
        token,
      );
      expect(changed).toEqual([]);
      expect(cache.get('a')).toMatchObject({ endpoint: { generation: 3 } });
      expect(cache.staleNames(new Map([['a', '3|t3']]))).toEqual([]);
    });

    test('an entry set without a version is read again by the next resync', () => {
      const cache = new DesiredCache();
      cache.set('a', entry('a', 1).entry);
      expect(cache.staleNames(new Map([['a', '1|t1']]))).toEqual(['a']);
    });
  });
});
