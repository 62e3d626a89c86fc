/**
 * The read-command table is only as good as its agreement with Redis: for every entry, a lookup of
 * a present key must count as one keyspace hit with no keymiss event, and a lookup of an absent
 * key as one miss with exactly one keymiss event, per key the table extracts. Checked here against
 * the real server (db 13), for every command in READ_COMMANDS and nothing else.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis } from '../../src/sources/redis/connect.js';
import { startHitCounter } from '../../src/sources/redis/hit-counter.js';
import { parseKeyspaceCounters } from '../../src/sources/redis/info.js';
import { extractReadKeys, READ_COMMANDS } from '../../src/sources/redis/read-commands.js';
import { appClient, readNotifyFlags, testEndpoint } from '../fixtures/redis/env.js';

type KeyType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';
type Example = { type: KeyType; args: (k1: string, k2: string) => string[] };

const one = (type: KeyType, ...rest: string[]): Example => ({ type, args: (k) => [k, ...rest] });
const two = (type: KeyType): Example => ({ type, args: (k1, k2) => [k1, k2] });
const counted = (type: KeyType): Example => ({ type, args: (k1, k2) => ['2', k1, k2] });

/** A valid invocation of each table entry (command name → arguments after it). */
const EXAMPLES: Record<string, Example> = {
  get: one('string'),
  mget: two('string'),
  getex: one('string'),
  getdel: one('string'),
  getrange: one('string', '0', '1'),
  substr: one('string', '0', '1'),
  strlen: one('string'),
  getbit: one('string', '0'),
  bitcount: one('string'),
  bitpos: one('string', '1'),
  lcs: two('string'),
  exists: two('string'),
  touch: two('string'),
  type: one('string'),
  ttl: one('string'),
  pttl: one('string'),
  expiretime: one('string'),
  pexpiretime: one('string'),
  dump: one('string'),
  hget: one('hash', 'f'),
  hmget: one('hash', 'f', 'g'),
  hgetall: one('hash'),
  hkeys: one('hash'),
  hvals: one('hash'),
  hlen: one('hash'),
  hexists: one('hash', 'f'),
  hstrlen: one('hash', 'f'),
  hrandfield: one('hash'),
  lrange: one('list', '0', '-1'),
  lindex: one('list', '0'),
  llen: one('list'),
  lpos: one('list', 'a'),
  smembers: one('set'),
  sismember: one('set', 'a'),
  smismember: one('set', 'a', 'b'),
  scard: one('set'),
  srandmember: one('set'),
  sinter: two('set'),
  sunion: two('set'),
  sdiff: two('set'),
  sintercard: counted('set'),
  zrange: one('zset', '0', '-1'),
  zrangebyscore: one('zset', '-inf', '+inf'),
  zrangebylex: one('zset', '-', '+'),
  zrevrange: one('zset', '0', '-1'),
  zrevrangebyscore: one('zset', '+inf', '-inf'),
  zrevrangebylex: one('zset', '+', '-'),
  zscore: one('zset', 'a'),
  zmscore: one('zset', 'a'),
  zcard: one('zset'),
  zcount: one('zset', '-inf', '+inf'),
  zlexcount: one('zset', '-', '+'),
  zrank: one('zset', 'a'),
  zrevrank: one('zset', 'a'),
  zrandmember: one('zset'),
  zunion: counted('zset'),
  zinter: counted('zset'),
  zdiff: counted('zset'),
  xrange: one('stream', '-', '+'),
  xrevrange: one('stream', '+', '-'),
  xlen: one('stream'),
};

const endpoint = testEndpoint(13);
let perfspec: Redis;
let app: Redis;
let originalFlags: string;

beforeAll(async () => {
  perfspec = await connectRedis(endpoint);
  app = appClient(13);
  originalFlags = await readNotifyFlags(app);
  // One setting for the whole file, so each command's counter does not toggle it.
  await app.config('SET', 'notify-keyspace-events', 'Em');
});

afterAll(async () => {
  await app.config('SET', 'notify-keyspace-events', originalFlags);
  await app.flushdb();
  await closeRedis(perfspec);
  app.disconnect();
});

async function create(type: KeyType, key: string): Promise<void> {
  if (type === 'string') await app.set(key, 'ab');
  if (type === 'hash') await app.hset(key, 'f', 'v');
  if (type === 'list') await app.rpush(key, 'a');
  if (type === 'set') await app.sadd(key, 'a');
  if (type === 'zset') await app.zadd(key, 1, 'a');
  if (type === 'stream') await app.xadd(key, '*', 'f', 'v');
}

/** INFO hit/miss deltas of one command, retried when other clients of the server add noise. */
async function measureInfoDelta(args: string[], expected: { hits: number; misses: number }) {
  let last = { hits: -1, misses: -1 };
  for (let attempt = 0; attempt < 5; attempt++) {
    const replies =
      (await app
        .pipeline()
        .info('stats')
        .call(args[0], ...args.slice(1))
        .info('stats')
        .exec()) ?? [];
    const before = parseKeyspaceCounters(String(replies[0][1]))!;
    const after = parseKeyspaceCounters(String(replies[2][1]))!;
    last = { hits: after.hits - before.hits, misses: after.misses - before.misses };
    if (last.hits === expected.hits && last.misses === expected.misses) break;
  }
  return last;
}

describe('every read command in the table counts one hit or one miss (and one keymiss) per extracted key', () => {
  it('has an example for every entry', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(Object.keys(READ_COMMANDS).sort());
  });

  const cases = Object.entries(EXAMPLES).flatMap(([name, example]) => {
    const shapes = example.args('k1', 'k2').filter((a) => a === 'k1' || a === 'k2').length;
    const present: Array<'all' | 'none' | 'first'> = shapes > 1 ? ['all', 'none', 'first'] : ['all', 'none'];
    return present.map((which) => [name, which, example] as const);
  });

  it.each(cases)('%s with %s keys present', async (name, which, example) => {
    await app.flushdb();
    const k1 = `verify:${name}:1`;
    const k2 = `verify:${name}:2`;
    if (which !== 'none') await create(example.type, k1);
    if (which === 'all') await create(example.type, k2);
    const args = [name.toUpperCase(), ...example.args(k1, k2)];
    const keys = extractReadKeys(args);
    const absent = keys.filter((k) => which === 'none' || (which === 'first' && k === k2)).length;

    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['verify:*'] });
    await app.call(args[0], ...args.slice(1));
    const result = await counter.stop();
    expect(result.patterns[0]).toMatchObject({ reads: keys.length, misses: absent, hits: keys.length - absent });

    // Redis's own counters agree (recreate what GETDEL removed).
    if (which !== 'none') await create(example.type, k1);
    if (which === 'all') await create(example.type, k2);
    if (which !== 'all') await app.del(k2);
    if (which === 'none') await app.del(k1);
    expect(await measureInfoDelta(args, { hits: keys.length - absent, misses: absent })).toEqual({
      hits: keys.length - absent,
      misses: absent,
    });
  });
});

describe('commands left out of the table', () => {
  it.each([[['SET', 'verify:w', 'v']], [['DEL', 'verify:w']], [['INCR', 'verify:n']], [['MEMORY', 'USAGE', 'verify:absent']]])(
    '%j counts neither hit nor miss',
    async (args) => {
      expect(await measureInfoDelta(args, { hits: 0, misses: 0 })).toEqual({ hits: 0, misses: 0 });
    },
  );

  it('OBJECT counts a miss in INFO but publishes no keymiss event, which is why it is not a read', async () => {
    await app.flushdb();
    expect(await measureInfoDelta(['OBJECT', 'ENCODING', 'verify:absent'], { hits: 0, misses: 1 })).toEqual({ hits: 0, misses: 1 });
    const counter = await startHitCounter(perfspec, endpoint, { patterns: ['verify:*'] });
    await app.call('OBJECT', 'ENCODING', 'verify:absent');
    await app.call('GET', 'verify:absent'); // a real read beside it, to show the window works
    const result = await counter.stop();
    expect(result.patterns[0]).toMatchObject({ reads: 1, misses: 1 });
  });
});
