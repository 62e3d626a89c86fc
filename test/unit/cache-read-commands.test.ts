import { describe, expect, it } from 'vitest';
import { extractReadKeys, extractTtlWrite, READ_COMMANDS } from '../../src/sources/redis/read-commands.js';

describe('extractReadKeys', () => {
  it.each([
    [['GET', 'k'], ['k']],
    [['get', 'k'], ['k']],
    [
      ['MGET', 'a', 'b', 'a'],
      ['a', 'b', 'a'],
    ],
    [
      ['EXISTS', 'a', 'b'],
      ['a', 'b'],
    ],
    [['HGET', 'h', 'field'], ['h']],
    [['HMGET', 'h', 'f1', 'f2'], ['h']],
    [['OBJECT', 'FREQ', 'k'], []], // no keymiss event on a miss: left out on purpose
    [
      ['LCS', 'a', 'b', 'LEN'],
      ['a', 'b'],
    ],
    [
      ['ZUNION', '2', 'z1', 'z2', 'WITHSCORES'],
      ['z1', 'z2'],
    ],
    [
      ['SINTERCARD', '2', 's1', 's2', 'LIMIT', '1'],
      ['s1', 's2'],
    ],
    [['ZUNION', 'x', 'z1'], []],
    [['SET', 'k', 'v'], []],
    [['DEL', 'k'], []],
    [['MEMORY', 'USAGE', 'k'], []],
    [['GET'], []],
  ])('%j reads %j', (args, keys) => {
    expect(extractReadKeys(args)).toEqual(keys);
  });

  it('lists only lower-case names (lookups lower-case the command)', () => {
    for (const name of Object.keys(READ_COMMANDS)) expect(name).toBe(name.toLowerCase());
  });
});

describe('extractTtlWrite', () => {
  const now = 1_700_000_000; // seconds
  it.each([
    [['SET', 'k', 'v', 'EX', '900'], 900_000],
    [['set', 'k', 'v', 'NX', 'px', '1500'], 1500],
    [['SET', 'k', 'v', 'EXAT', String(now + 600)], 600_000],
    [['SET', 'k', 'v', 'PXAT', String(now * 1000 + 2500)], 2500],
    [['SETEX', 'k', '300', 'v'], 300_000],
    [['PSETEX', 'k', '250', 'v'], 250],
    [['EXPIRE', 'k', '60'], 60_000],
    [['PEXPIRE', 'k', '60'], 60],
    [['EXPIREAT', 'k', String(now + 10)], 10_000],
    [['GETEX', 'k', 'EX', '5'], 5000],
  ])('%j writes a TTL of %i ms', (args, ttlMs) => {
    expect(extractTtlWrite(args, now)).toEqual({ key: 'k', ttlMs });
  });

  it.each([[['SET', 'k', 'v']], [['SET', 'k', 'EX']], [['GETEX', 'k', 'PERSIST']], [['GET', 'k']], [['EXPIRE', 'k', 'soon']]])('%j writes no TTL', (args) => {
    expect(extractTtlWrite(args, now)).toBeUndefined();
  });

  it('does not take a value that happens to read "EX" for an option', () => {
    // SET k EX 900: the value is "EX"; there is no TTL option.
    expect(extractTtlWrite(['SET', 'k', 'EX', '900'], now)).toBeUndefined();
  });
});
