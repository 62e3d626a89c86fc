import { describe, expect, it } from 'vitest';
import type { CacheBudget } from '../../src/generated/spec-types.js';
import { readCacheConfig, scopeForParams, type CacheConfig } from '../../src/probes/cache/config.js';
import { judgeCache, tabulateCache, type CacheMeasurement } from '../../src/probes/cache/judge.js';
import { placeOf, type PlannedCheck } from '../../src/probes/types.js';
import type { HitCounterResult } from '../../src/sources/redis/hit-counter.js';
import { summarizeTtls } from '../../src/sources/redis/ttl-stats.js';

const MIN = 60_000;
const latency = (p50: number) => ({ count: 5, min: p50, mean: p50, p50, p90: p50, p95: p50, p99: p50, 'p99.9': p50, max: p50 });

// A check with a cache section as the schema types it (the tests give sections it would refuse too).
function check(cache: Partial<CacheBudget>, level?: 'warn'): PlannedCheck {
  return {
    name: 'SSO',
    index: 3,
    request: { method: 'GET', url: '/sso', headers: {}, query: {} },
    samples: 1,
    warmup: 0,
    concurrency: 1,
    timeoutMs: 1000,
    expectStatus: [200],
    inconclusive: 'warn',
    maxSamples: 1,
    maxSampleTimeMs: 1000,
    repeat: 1,
    raw: { name: 'SSO', request: 'GET /sso', cache: cache as CacheBudget, ...(level ? { level } : {}) },
  };
}

function hits(
  overrides: Partial<HitCounterResult> = {},
  counts = { reads: 100, misses: 20 },
  ttlWritten: { minMs: number; maxMs: number } | null = { minMs: 15 * MIN, maxMs: 15 * MIN },
): HitCounterResult {
  return {
    source: 'monitor+keymiss',
    db: 0,
    patterns: [
      {
        pattern: 'sso:config:*',
        reads: counts.reads,
        misses: counts.misses,
        hits: counts.reads - counts.misses,
        hitRate: counts.reads ? ((counts.reads - counts.misses) / counts.reads) * 100 : null,
        ttlWritten: ttlWritten && { count: 20, medianMs: ttlWritten.minMs, ...ttlWritten },
      },
    ],
    global: { hits: 500, misses: 20, hitRate: (500 / 520) * 100 },
    otherReads: 0,
    otherMisses: 0,
    otherDbReads: {},
    windowMs: 100,
    notes: [],
    ...overrides,
  };
}

function measurement(overrides: Partial<CacheMeasurement> = {}): CacheMeasurement {
  return {
    pattern: 'sso:config:*',
    flushed: 0,
    window: { requests: 100, statuses: { 200: 100 }, errors: {}, unexpected: 0, latency: latency(1) },
    hits: hits(),
    keys: { count: 20, truncated: false },
    ttl: summarizeTtls(Array(20).fill(14 * MIN)),
    memory: { sampled: 20, keys: 20, sampledBytes: 8000, meanBytes: 400, totalBytes: 8000, estimated: false },
    hitLatency: {
      samples: 200,
      p50Ms: 0.1,
      p95Ms: 0.3,
      p99Ms: 0.5,
      maxMs: 1,
      meanMs: 0.12,
      errors: 0,
      p95: { percentile: 95, count: 200, value: 0.3, lower: 0.25, upper: 0.4, confidence: 0.95, samplesNeeded: 72 },
    },
    coldWarm: { cold: latency(5), warm: latency(1) },
    notes: [],
    ...overrides,
  };
}

const full = { keys: 'sso:config:*', ttl: '15m ±5%', hitRate: '>= 75%', hitLatency: '< 2ms', memory: '< 10MB' };

function byMetric(config: CacheConfig, m: CacheMeasurement) {
  return Object.fromEntries(judgeCache('SSO', config, m).map((v) => [v.metric, v]));
}

/** What the probe does with a check's section: readCacheConfig on its `cache` at its place. */
const parse = (planned: PlannedCheck) => readCacheConfig(planned.raw.cache!, placeOf(planned));

describe('readCacheConfig', () => {
  it('parses budgets and applies defaults', () => {
    const config = parse(check(full));
    expect(config).toMatchObject({ pattern: 'sso:config:*', requests: 100, params: [{}], flush: false, level: 'error' });
    expect(config.ttl).toMatchObject({ expected: 15 * MIN, tolerance: 45_000 });
    expect(config.hitRate).toMatchObject({ operator: '>=', value: 75 });
    expect(config.memory).toMatchObject({ operator: '<', value: 10 * 1024 ** 2 });
  });

  it('reads params as strings, cold.flush and the check level', () => {
    const config = parse(check({ keys: 'user:*', params: [{ user_id: 1 }, { user_id: 'x' }], requests: 7, cold: { flush: true } }, 'warn'));
    expect(config).toMatchObject({ params: [{ user_id: '1' }, { user_id: 'x' }], requests: 7, flush: true, level: 'warn' });
  });

  it('rejects a missing pattern and a bad budget with the path', () => {
    expect(() => parse(check({}))).toThrow('checks[3].cache.keys is required');
    expect(() => parse(check({ keys: 'a:*', ttl: 'soon' }))).toThrow('checks[3].cache.ttl: "soon" is not a TTL');
  });

  it('turns a param into a var override and a ${params.*} value', () => {
    expect(scopeForParams({ user_id: '7' })).toEqual({ user_id: '7', 'params.user_id': '7' });
  });
});

describe('judgeCache', () => {
  const config = parse(check(full));

  it('passes a healthy cache, judging the TTL the application wrote', () => {
    const verdicts = byMetric(config, measurement());
    expect(Object.values(verdicts).every((v) => v.passed)).toBe(true);
    expect(verdicts['cache.hitRate']).toMatchObject({ actualValue: 80, actual: '80%' });
    expect(verdicts['cache.hitRate'].message).toBe('hitRate 80% is at least 75% (80 hits, 20 misses in 100 reads)');
    expect(verdicts['cache.ttl'].actualValue).toBe(15 * MIN);
    expect(verdicts['cache.ttl'].message).toContain('TTL written by the application');
    expect(verdicts['cache.hitLatency']).toMatchObject({ actualValue: 0.3, outcome: 'pass', actual: '0.3ms (0.25–0.4ms, n=200)' });
  });

  it('judges the written TTL farthest from the expected one', () => {
    const m = measurement({ hits: hits({}, undefined, { minMs: 15 * MIN, maxMs: 20 * MIN }) });
    expect(byMetric(config, m)['cache.ttl']).toMatchObject({ passed: false, actualValue: 20 * MIN });
  });

  it('falls back to the freshest remaining TTL when no write was seen, and says so', () => {
    const m = measurement({ hits: hits({}, undefined, null), ttl: summarizeTtls([10 * MIN, 14.8 * MIN]) });
    const ttl = byMetric(config, m)['cache.ttl'];
    expect(ttl).toMatchObject({ passed: true, actualValue: 14.8 * MIN });
    expect(ttl.message).toContain('remaining TTL of the freshest key');
  });

  it('fails keys without a TTL', () => {
    const m = measurement({ ttl: summarizeTtls([14 * MIN, -1, -1]) });
    expect(byMetric(config, m)['cache.noTtl']).toMatchObject({
      passed: false,
      actualValue: 2,
      message: '2 of 3 key(s) of sso:config:* have no TTL and never expire by themselves',
    });
  });

  it('fails an uncached endpoint with the reasons: no keys, 0% hits', () => {
    const m = measurement({
      hits: hits({}, { reads: 0, misses: 0 }, null),
      keys: { count: 0, truncated: false },
      ttl: summarizeTtls([]),
      memory: { sampled: 0, keys: 0, sampledBytes: 0, meanBytes: null, totalBytes: 0, estimated: false },
      hitLatency: null,
    });
    const verdicts = byMetric(config, m);
    expect(verdicts['cache.keys']).toMatchObject({
      passed: false,
      message: 'no key matches sso:config:* after 100 requests: the endpoint does not cache under this pattern',
    });
    expect(verdicts['cache.hitRate']).toMatchObject({
      passed: false,
      actual: '0%',
      message: '0 reads of sso:config:* in 100 requests, so 0 hits: the endpoint does not read this cache',
    });
    expect(verdicts['cache.ttl']).toMatchObject({ passed: false, actual: 'n/a', message: 'no key matches sso:config:*, so there is no TTL to measure' });
    expect(verdicts['cache.hitLatency']).toMatchObject({ passed: false, message: 'no key of sso:config:* to time a cache hit on' });
    // Judged even without keys, so passing and failing runs list the same budgets.
    expect(verdicts['cache.noTtl']).toMatchObject({ passed: true, actualValue: 0, message: 'no key matches sso:config:*, so none lacks a TTL' });
    expect(verdicts['cache.memory'].passed).toBe(true);
  });

  it('judges the global INFO figure as a warning only, labelled', () => {
    const m = measurement({ hits: hits({ source: 'info-global', patterns: [], global: { hits: 60, misses: 40, hitRate: 60 } }) });
    const verdict = byMetric(config, m)['cache.hitRate'];
    expect(verdict).toMatchObject({ passed: false, level: 'warn', actual: '60% (global)' });
    expect(verdict.message).toContain('server-wide INFO figure, not sso:config:* alone');
  });

  it('does not pass a memory budget it could not measure', () => {
    const m = measurement({ memory: { sampled: 0, keys: 20, sampledBytes: 0, meanBytes: null, totalBytes: null, estimated: false } });
    expect(byMetric(config, m)['cache.memory']).toMatchObject({ passed: false, actual: 'n/a' });
  });

  it('says when memory is an estimate', () => {
    const m = measurement({ memory: { sampled: 200, keys: 5000, sampledBytes: 80_000, meanBytes: 400, totalBytes: 2_000_000, estimated: true } });
    expect(byMetric(config, m)['cache.memory'].message).toContain('(estimated from 200 sampled keys)');
  });
});

describe('tabulateCache', () => {
  it('shows hits with one decimal, TTLs, memory, latency and cold vs warm as strings', () => {
    const tables = tabulateCache(measurement());
    const hitsTable = tables.find((t) => t.title === 'Hits on sso:config:*')!;
    expect(hitsTable.rows).toEqual([['monitor+keymiss', '100', '100', '20', '80', '80.0%', '96.2% (500/520)']]);
    expect(tables.find((t) => t.title === 'TTL of sso:config:*')!.rows[0]).toEqual(['20', '20', '0', '14m', '14m', '14m', '15m (20×)']);
    expect(tables.find((t) => t.title.startsWith('Memory'))!.rows[0].slice(0, 3)).toEqual(['7.8 KiB', '400 B', '20 of 20']);
    const cold = tables.find((t) => t.title.startsWith('Endpoint latency'))!;
    expect(cold.rows.map((r) => r[0])).toEqual(['traffic window', 'cold (keys deleted)', 'warm (right after)']);
    for (const table of tables) for (const row of table.rows) for (const cell of row) expect(typeof cell).toBe('string');
  });

  it('shows n/a instead of per-pattern figures for info-global', () => {
    const tables = tabulateCache(measurement({ hits: hits({ source: 'info-global', patterns: [] }) }));
    expect(tables[0].rows[0].slice(0, 6)).toEqual(['info-global', '100', 'n/a', 'n/a', 'n/a', 'n/a']);
  });
});
