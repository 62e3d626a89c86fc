import { describe, expect, it } from 'vitest';
import { bucketTtls, median, summarizeTtls } from '../../src/sources/redis/ttl-stats.js';

const MIN = 60_000;

describe('summarizeTtls', () => {
  it('gives min/median/max of keys with a TTL and flags keys without one', () => {
    const summary = summarizeTtls([14 * MIN, -1, 15 * MIN, 2 * MIN, -2, -1]);
    expect(summary).toMatchObject({ keys: 6, withTtl: 3, noTtl: 2, vanished: 1, minMs: 2 * MIN, medianMs: 14 * MIN, maxMs: 15 * MIN });
  });

  it('has no figures for an empty or TTL-less set', () => {
    expect(summarizeTtls([])).toMatchObject({ keys: 0, minMs: null, medianMs: null, maxMs: null });
    expect(summarizeTtls([-1, -1])).toMatchObject({ noTtl: 2, withTtl: 0, medianMs: null });
  });
});

describe('bucketTtls', () => {
  it('puts values in [from, to) buckets with readable labels, empty buckets included', () => {
    const buckets = bucketTtls([0, 59_999, MIN, 5 * MIN - 1, 15 * MIN, 2 * 24 * 60 * MIN]);
    expect(buckets.map((b) => `${b.label}=${b.count}`)).toEqual(['< 1m=2', '1m–5m=2', '5m–10m=0', '10m–15m=0', '15m–30m=1', '30m–1h=0', '1h–1d=0', '≥ 1d=1']);
  });

  it('accepts custom edges and ignores negative values', () => {
    expect(bucketTtls([500, 1500, -1], [1000]).map((b) => [b.label, b.count])).toEqual([
      ['< 1s', 1],
      ['≥ 1s', 1],
    ]);
  });
});

describe('median', () => {
  it.each([
    [[], null],
    [[3], 3],
    [[1, 3], 2],
    [[1, 2, 10], 2],
  ])('of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});
