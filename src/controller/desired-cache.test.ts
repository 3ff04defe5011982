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
});
