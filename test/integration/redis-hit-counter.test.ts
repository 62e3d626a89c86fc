/**
 * Ground truth for per-pattern hit counting against the real Redis: request sequences whose hits
 * and misses are known in advance, counted by MONITOR + keymiss, exactly.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, parseRedisUrl } from '../../src/sources/redis/connect.js';
import { countPendingRestores } from '../../src/sources/redis/exit-guard.js';
import { startHitCounter } from '../../src/sources/redis/hit-counter.js';
import { findOrphans } from '../../src/sources/redis/restore-journal.js';
import { appClient, readNotifyFlags, testEndpoint } from '../fixtures/redis/env.js';

const endpoint = testEndpoint(10);
let perfspec: Redis;
let app: Redis;
let otherDbApp: Redis;
let admin: Redis;
let originalFlags: string;

beforeAll(async () => {
  perfspec = await connectRedis(endpoint);
  app = appClient(10);
  otherDbApp = appClient(11);
  admin = appClient(13);
  originalFlags = await readNotifyFlags(admin);
});

afterAll(async () => {
  await admin.config('SET', 'notify-keyspace-events', originalFlags);
  await closeRedis(perfspec);
  app.disconnect();
  otherDbApp.disconnect();
  admin.disconnect();
});

beforeEach(async () => {
  await app.flushdb();
  await otherDbApp.flushdb();
});

afterEach(async () => {
  await admin.config('SET', 'notify-keyspace-events', originalFlags);
});

/** Cache-aside as an application does it: GET; on a miss, SET with a TTL. */
async function cacheAside(client: Redis, key: string, ttlSeconds: number): Promise<'hit' | 'miss'> {
  if ((await client.get(key)) !== null) return 'hit';
  await client.set(key, JSON.stringify({ key }), 'EX', ttlSeconds);
  return 'miss';
}

describe('hit counter (MONITOR + keymiss)', () => {
  it('counts 100 cache-aside GETs over 20 keys as exactly 20 misses and 80 hits, without leaks between patterns or dbs', async () => {
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*', 'user:*'] });
    expect(counter.source).toBe('monitor+keymiss');
    const outcomes = { sso: { hit: 0, miss: 0 }, user: { hit: 0, miss: 0 } };
    for (let i = 0; i < 100; i++) {
      outcomes.sso[await cacheAside(app, `sso:config:${i % 20}`, 900)]++;
      // Interleaved traffic to another pattern: 7 keys, 30 reads.
      if (i % 10 < 3) outcomes.user[await cacheAside(app, `user:${i % 7}`, 300)]++;
      // Same pattern in another db must not count.
      await otherDbApp.get(`sso:config:${i % 20}`);
    }
    // MGET counts per key: 3 keys, one of them absent.
    await app.mget('user:0', 'user:1', 'user:absent');
    const result = await counter.stop();

    expect(outcomes.sso).toEqual({ hit: 80, miss: 20 });
    const sso = result.patterns.find((p) => p.pattern === 'sso:config:*');
    expect(sso).toMatchObject({ reads: 100, misses: 20, hits: 80, hitRate: 80 });
    expect(sso?.ttlWritten).toEqual({ count: 20, minMs: 900_000, medianMs: 900_000, maxMs: 900_000 });
    const user = result.patterns.find((p) => p.pattern === 'user:*');
    expect(user).toMatchObject({
      reads: outcomes.user.hit + outcomes.user.miss + 3,
      misses: outcomes.user.miss + 1,
      hits: outcomes.user.hit + 2,
    });
    expect(result.otherReads).toBe(0);
    expect(result.otherDbReads).toEqual({ 11: 100 });
    expect(result.notes.join(' ')).toContain('100 read(s) of keys of these patterns went to db 11, not db 10');
    // Global cross-check: the whole server, so at least our own traffic (other tests may add to it).
    expect(result.global?.hits).toBeGreaterThanOrEqual(80 + outcomes.user.hit + 2);
    expect(result.global?.misses).toBeGreaterThanOrEqual(20 + outcomes.user.miss + 1 + 100);
  });

  it('reports 0 reads when the application never touches the cache', async () => {
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*'] });
    await app.set('unrelated', '1');
    const result = await counter.stop();
    expect(result.patterns[0]).toMatchObject({ reads: 0, misses: 0, hits: 0, hitRate: null });
  });

  it('counts keys with quotes, spaces and UTF-8 exactly', async () => {
    await app.set('user:"a b"', '1');
    await app.set('user:é', '1');
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['user:*', 'user:?'] });
    await app.get('user:"a b"');
    await app.get('user:é');
    await app.get('user:" "');
    const result = await counter.stop();
    expect(result.patterns[0]).toMatchObject({ reads: 3, misses: 1, hits: 2 });
    // 'é' is two bytes, so user:? (one byte) matches none of them, as SCAN MATCH would say.
    expect(result.patterns[1]).toMatchObject({ reads: 0 });
  });

  it('restores notify-keyspace-events to its exact previous value after stop, and is idempotent', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'Kx');
    const before = await readNotifyFlags(admin);
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*'] });
    expect(await readNotifyFlags(admin)).toMatch(/^(?=.*E)(?=.*m)(?=.*K)(?=.*x)/);
    expect(countPendingRestores()).toBe(1);
    await counter.stop();
    await counter.close();
    expect(await readNotifyFlags(admin)).toBe(before);
    expect(countPendingRestores()).toBe(0);
  });

  it('leaves a setting that already has E and m untouched', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'AKEm');
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*'] });
    expect(countPendingRestores()).toBe(0);
    await counter.close();
    expect(await readNotifyFlags(admin)).toBe('AKEm');
  });

  it('restores after close() without stop() (the abort path)', async () => {
    await admin.config('SET', 'notify-keyspace-events', '');
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*'] });
    expect(await readNotifyFlags(admin)).toBe('Em');
    await counter.close();
    expect(await readNotifyFlags(admin)).toBe('');
    await expect(counter.stop()).rejects.toThrow(/closed before the window ended/);
  });

  it('restores only when the last of two overlapping counters closes', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'g');
    const first = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*'] });
    const second = await startHitCounter(perfspec, endpoint, { patterns: ['user:*'] });
    await first.stop();
    expect(await readNotifyFlags(admin)).toContain('m');
    await second.stop();
    expect(await readNotifyFlags(admin)).toBe('g');
  });
});

describe('restoring notify-keyspace-events when the process dies mid-window', () => {
  const script = path.resolve(__dirname, '../fixtures/redis/hold-counter.ts');

  async function runChild(mode: 'wait' | 'exit-now', signal?: NodeJS.Signals): Promise<number | null> {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, REDIS_URL: `${endpoint.display.replace(/\/\d+$/, '')}/13`, MODE: mode },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('READY')) resolve();
      });
      child.on('exit', () => reject(new Error('child exited before READY')));
    });
    if (signal) {
      expect(await readNotifyFlags(admin)).toContain('m');
      child.kill(signal);
    }
    return exited;
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('restores the old value after %s', async (signal) => {
    await admin.config('SET', 'notify-keyspace-events', 'Kx');
    const before = await readNotifyFlags(admin);
    await runChild('wait', signal);
    expect(await readNotifyFlags(admin)).toBe(before);
    expect(findOrphans(`${endpoint.host}:${endpoint.port}`)).toHaveLength(0);
  });

  it('after SIGKILL (no handler can run), the next counter on that server restores the old value first', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'Kx');
    const before = await readNotifyFlags(admin);
    await runChild('wait', 'SIGKILL');
    const leftBehind = await readNotifyFlags(admin);
    expect(leftBehind).toContain('m'); // nothing ran in the killed process
    expect(findOrphans(`${endpoint.host}:${endpoint.port}`)).toHaveLength(1);
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['sso:config:*'] });
    await counter.close();
    expect(await readNotifyFlags(admin)).toBe(before);
    expect(findOrphans(`${endpoint.host}:${endpoint.port}`)).toHaveLength(0);
  });

  it('restores the old value when the process calls process.exit() without closing', async () => {
    await admin.config('SET', 'notify-keyspace-events', '');
    const code = await runChild('exit-now');
    expect(code).toBe(0);
    expect(await readNotifyFlags(admin)).toBe('');
    // The restore journal is gone too, so a later run will not "restore" a stale value.
    expect(findOrphans(`${endpoint.host}:${endpoint.port}`)).toHaveLength(0);
  });
});

describe('managed Redis that refuses MONITOR or CONFIG (ACL users standing in)', () => {
  const users = { noMonitor: 'perfspec-test-no-monitor', noConfig: 'perfspec-test-no-config' };

  beforeAll(async () => {
    await admin.call('ACL', 'SETUSER', users.noMonitor, 'reset', 'on', '>pw', '~*', '&*', '+@all', '-monitor', '-config');
    await admin.call('ACL', 'SETUSER', users.noConfig, 'reset', 'on', '>pw', '~*', '&*', '+@all', '-config');
  });

  afterAll(async () => {
    await admin.call('ACL', 'DELUSER', users.noMonitor, users.noConfig);
  });

  function limitedEndpoint(user: string) {
    return parseRedisUrl(`redis://${user}:pw@${endpoint.host}:${endpoint.port}/10`);
  }

  it('falls back to global INFO counters, labelled, with no per-pattern figures', async () => {
    const limited = limitedEndpoint(users.noMonitor);
    const client = await connectRedis(limited);
    try {
      const counter = await startHitCounter(client, limited, { patterns: ['sso:config:*'], drainTimeoutMs: 500 });
      expect(counter.source).toBe('info-global');
      for (let i = 0; i < 10; i++) await cacheAside(app, `sso:config:${i % 2}`, 60);
      const result = await counter.stop();
      expect(result.source).toBe('info-global');
      expect(result.patterns).toEqual([]);
      expect(result.notes.join(' ')).toMatch(/Per-pattern hit rates are unavailable \(MONITOR refused: NOPERM/);
      expect(result.global?.hits).toBeGreaterThanOrEqual(8);
    } finally {
      await closeRedis(client);
    }
  });

  it('uses key-miss events that are already on when only CONFIG is refused (ElastiCache parameter group)', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'Em');
    const limited = limitedEndpoint(users.noConfig);
    const client = await connectRedis(limited);
    try {
      const counter = await startHitCounter(client, limited, { patterns: ['sso:config:*'] });
      expect(counter.source).toBe('monitor+keymiss');
      for (let i = 0; i < 10; i++) await cacheAside(app, `sso:config:${i % 2}`, 60);
      const result = await counter.stop();
      expect(result.patterns[0]).toMatchObject({ reads: 10, misses: 2, hits: 8, hitRate: 80 });
    } finally {
      await closeRedis(client);
    }
  });

  it('falls back when CONFIG is refused and key-miss events are off', async () => {
    await admin.config('SET', 'notify-keyspace-events', '');
    const limited = limitedEndpoint(users.noConfig);
    const client = await connectRedis(limited);
    try {
      const counter = await startHitCounter(client, limited, { patterns: ['sso:config:*'], drainTimeoutMs: 300 });
      expect(counter.source).toBe('info-global');
      const result = await counter.stop();
      expect(result.notes.join(' ')).toMatch(/no key-miss notification arrived/);
    } finally {
      await closeRedis(client);
    }
  });
});
