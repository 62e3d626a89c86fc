/** SCAN/PTTL/MEMORY USAGE analysis and the glob matcher, against the real Redis (db 11 and 12). */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis } from '../../src/sources/redis/connect.js';
import { matchRedisGlob, toByteString } from '../../src/sources/redis/glob.js';
import { measureHitLatency } from '../../src/sources/redis/hit-latency.js';
import { analyzeKeyspace, estimateMemory, scanKeys } from '../../src/sources/redis/keyspace.js';
import { appClient, testEndpoint } from '../fixtures/redis/env.js';

let perfspec: Redis;
let app: Redis;

beforeAll(async () => {
  perfspec = await connectRedis(testEndpoint(11));
  app = appClient(11);
  await app.flushdb();
  const pipeline = app.pipeline();
  for (let i = 0; i < 50; i++) pipeline.set(`sso:config:${i}`, 'x'.repeat(100), 'EX', 900);
  for (let i = 0; i < 5; i++) pipeline.set(`sso:config:forever:${i}`, 'x'.repeat(100));
  for (let i = 0; i < 300; i++) pipeline.set(`user:${i}`, 'u', 'EX', 300);
  await pipeline.exec();
});

afterAll(async () => {
  await app.flushdb();
  await closeRedis(perfspec);
  app.disconnect();
});

describe('keyspace analysis', () => {
  it('finds exactly the matching keys with SCAN, and flags keys without TTL', async () => {
    const analysis = await analyzeKeyspace(perfspec, 'sso:config:*', { scan: { countHint: 10 } });
    expect(analysis.scan.keys).toHaveLength(55);
    expect(new Set(analysis.scan.keys).size).toBe(55);
    expect(analysis.scan.truncated).toBe(false);
    expect(analysis.scan.calls).toBeGreaterThan(1);
    expect(analysis.ttl).toMatchObject({ keys: 55, withTtl: 50, noTtl: 5, vanished: 0 });
    expect(analysis.ttl.maxMs).toBeLessThanOrEqual(900_000);
    expect(analysis.ttl.minMs).toBeGreaterThan(890_000);
    expect(analysis.ttl.buckets.find((b) => b.label === '15m–30m')?.count ?? 0).toBe(0);
    expect(analysis.ttl.buckets.find((b) => b.label === '10m–15m')?.count).toBe(50);
    expect(analysis.notes.join(' ')).toContain('5 key(s) have no TTL');
    // Every key measured: exact, not an estimate.
    expect(analysis.memory).toMatchObject({ sampled: 55, keys: 55, estimated: false });
    expect(analysis.memory.totalBytes).toBe(analysis.memory.sampledBytes);
  });

  it('says when a limit truncated the scan', async () => {
    const result = await scanKeys(perfspec, 'user:*', { maxKeys: 40, countHint: 100 });
    expect(result.keys).toHaveLength(40);
    expect(result.truncated).toBe(true);
    expect(result.truncatedBy).toBe('stopped at the limit of 40 keys');
    let clock = 0;
    const timed = await scanKeys(perfspec, 'user:*', { timeLimitMs: 5, countHint: 10 }, () => (clock += 10));
    expect(timed.truncated).toBe(true);
    expect(timed.truncatedBy).toMatch(/time limit of 5ms/);
  });

  it('estimates memory from a sample and says so', async () => {
    const { keys } = await scanKeys(perfspec, 'user:*');
    const exact = await estimateMemory(perfspec, keys, 1000);
    const sampled = await estimateMemory(perfspec, keys, 30);
    expect(sampled).toMatchObject({ sampled: 30, keys: 300, estimated: true });
    // Same-shaped keys: the estimate is close to the exact total.
    expect(Math.abs(sampled.totalBytes! - exact.totalBytes!) / exact.totalBytes!).toBeLessThan(0.1);
  });

  it('still reports keys and TTLs when MEMORY USAGE is refused (managed Redis)', async () => {
    const user = 'perfspec-test-no-memory';
    await app.call('ACL', 'SETUSER', user, 'reset', 'on', '>pw', '~*', '+@all', '-memory');
    const endpoint = testEndpoint(11);
    const limited = await connectRedis({ ...endpoint, username: user, password: 'pw' });
    try {
      const analysis = await analyzeKeyspace(limited, 'sso:config:*');
      expect(analysis.scan.keys).toHaveLength(55);
      expect(analysis.ttl.noTtl).toBe(5);
      expect(analysis.memory.totalBytes).toBeNull();
      expect(analysis.notes.join(' ')).toMatch(/Memory not measured: MEMORY USAGE refused \(NOPERM/);
    } finally {
      await closeRedis(limited);
      await app.call('ACL', 'DELUSER', user);
    }
  });

  it('measures GET round trips of existing keys', async () => {
    const { keys } = await scanKeys(perfspec, 'sso:config:*');
    const latency = await measureHitLatency(perfspec, keys, { samples: 100 });
    expect(latency).toMatchObject({ samples: 100, errors: 0 });
    expect(latency!.p50Ms).toBeGreaterThan(0);
    expect(latency!.p50Ms).toBeLessThan(latency!.maxMs + 0.001);
    // One rounding rule: no percentile above max; the p95's interval brackets it (100 samples bound a p95).
    expect(latency!.p99Ms).toBeLessThanOrEqual(latency!.maxMs);
    expect(latency!.p95).toMatchObject({ count: 100, percentile: 95 });
    expect(latency!.p95.lower).toBeLessThanOrEqual(latency!.p95Ms);
    expect(latency!.p95.upper!).toBeGreaterThanOrEqual(latency!.p95Ms);
    expect(await measureHitLatency(perfspec, [])).toBeNull();
  });
});

describe('glob matcher agrees with SCAN MATCH on the server', () => {
  const keys = [
    '',
    'a',
    'ab',
    'abc',
    'a*c',
    'a?c',
    'a[c',
    'a]c',
    'a\\c',
    'a-c',
    'hello',
    'hallo',
    'hxllo',
    'h]llo',
    'sso:config:1',
    'sso:config:',
    'sso:configX',
    'user:é',
    'user:e',
    'user:"q"',
    'x\xff',
    'x0',
    'xb',
  ];
  const patterns = [
    '*',
    '**',
    'a*',
    '*c',
    'a?c',
    'a\\*c',
    'a\\?c',
    'a[*]c',
    'a[^b]c',
    'a[\\]]c',
    'a[a-c]c',
    'a[c-a]c',
    'h[ae]llo',
    'h[^e]llo',
    'h[a-]llo',
    'h[]llo',
    'a[c',
    'a\\',
    'sso:config:*',
    'user:?',
    'user:??',
    'user:*',
    'x[a-\xff]',
    '?*',
    '*?*',
  ];
  let client: Redis;

  beforeAll(async () => {
    client = await connectRedis(testEndpoint(12));
    await client.flushdb();
    for (const key of keys) await client.set(Buffer.from(key, key.includes('\xff') ? 'latin1' : 'utf8'), '1');
  });

  afterAll(async () => {
    await client.flushdb();
    await closeRedis(client);
  });

  it.each(patterns)('%j', async (pattern) => {
    const bytePattern = pattern.includes('\xff') ? pattern : toByteString(pattern);
    const fromServer = (await scanKeys(client, bytePattern)).keys.sort();
    const stored = keys.map((key) => (key.includes('\xff') ? key : toByteString(key)));
    const fromMatcher = stored.filter((key) => matchRedisGlob(bytePattern, key)).sort();
    expect(fromMatcher).toEqual(fromServer);
  });
});
