import { describe, expect, test } from 'vitest';
import type { ChangedItem } from '../store/index.js';
import { IMAGE_FRESH_MS, imageStandsForRead } from './feed-images.js';

const NOW = 1_800_000_000_000;
const change = (over: Partial<ChangedItem> = {}): ChangedItem => ({
  name: 'llama',
  version: '3|2026-12-01T01:00:00Z',
  image: { endpoint_name: 'llama', generation: 3 },
  writtenAt: NOW - 300,
  ...over,
});

describe('imageStandsForRead', () => {
  test.each([
    ['a recent image of an item the cache does not hold', change(), undefined, true],
    ['a recent image newer than the held generation', change(), '2|2026-12-01T00:59:00Z', true],
    [
      'the held generation already (another updated_at: the Python tooling)',
      change(),
      '3|2026-12-01T00:58:00Z',
      false,
    ],
    ['an image older than what a resync already holds', change(), '4|2026-12-01T01:00:01Z', false],
    ['a record the feed reached late', change({ writtenAt: NOW - IMAGE_FRESH_MS - 1 }), undefined, false],
    ['a record exactly at the freshness bound', change({ writtenAt: NOW - IMAGE_FRESH_MS }), undefined, true],
    ['a record without a time', change({ writtenAt: undefined }), undefined, false],
    ['a removal (no image)', change({ image: undefined, version: undefined }), undefined, false],
    [
      'an item without a generation (written by the Python tooling)',
      change({ version: '|2026-12-01T01:00:00Z' }),
      undefined,
      false,
    ],
    ['a held version without a generation', change(), '|2026-12-01T00:59:00Z', false],
  ])('%s → %s', (_what, c, held, expected) => {
    expect(imageStandsForRead(c, held, NOW)).toBe(expected);
  });
});
