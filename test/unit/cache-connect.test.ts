import { describe, expect, it } from 'vitest';
import { PerfspecError } from '../../src/errors.js';
import { describeRedisFailure, parseRedisUrl } from '../../src/sources/redis/connect.js';
import { diffKeyspaceCounters, parseKeyspaceCounters } from '../../src/sources/redis/info.js';
import { addKeymissFlags, hasKeymissFlags, isRefusal } from '../../src/sources/redis/keymiss-config.js';

describe('parseRedisUrl', () => {
  it('reads host, port, db and credentials, and never shows the password', () => {
    expect(parseRedisUrl('redis://alice:s3cr%40t@cache.internal:6380/4')).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'alice',
      password: 's3cr@t',
      db: 4,
      tls: false,
      display: 'redis://alice:***@cache.internal:6380/4',
    });
    expect(parseRedisUrl('redis://:pw@127.0.0.1').display).toBe('redis://:***@127.0.0.1:6379/0');
    expect(parseRedisUrl('rediss://[::1]:6379/2')).toMatchObject({ host: '::1', tls: true, display: 'rediss://[::1]:6379/2' });
  });

  it.each([['not a url'], ['http://127.0.0.1:6379/0'], ['redis://127.0.0.1:6379/zero']])('rejects %j as an invalid spec', (url) => {
    const error = (() => {
      try {
        parseRedisUrl(url);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PerfspecError);
    expect((error as PerfspecError).code).toBe('PS_SPEC_INVALID');
  });

  it('redacts the password of an invalid URL too', () => {
    expect(() => parseRedisUrl('http://u:hunter2@h/0')).toThrow(/u:\*\*\*@h/);
    expect(() => parseRedisUrl('http://u:hunter2@h/0')).not.toThrow(/hunter2/);
  });
});

describe('describeRedisFailure', () => {
  const endpoint = parseRedisUrl('redis://app:pw@127.0.0.1:6390/42');
  it.each([
    [
      'connect ECONNREFUSED 127.0.0.1:6390',
      'Redis at redis://app:***@127.0.0.1:6390/42 refused the connection (nothing listens there)',
      /redis-server --daemonize yes .*--port 6390.*REDIS_URL/,
    ],
    ['WRONGPASS invalid username-password pair or user is disabled.', 'rejected the credentials: WRONGPASS', /user and password/],
    ['NOAUTH Authentication required.', 'requires a password: NOAUTH', /redis:\/\/:password@/],
    ['ERR DB index is out of range', 'has no database 42: ERR DB index is out of range', /databases/],
    ['getaddrinfo ENOTFOUND nohost', 'host 127.0.0.1 not found', /host name/],
    ['connect ETIMEDOUT', 'did not answer in time', /Start Redis/],
  ])('%s', (cause, message, hint) => {
    const described = describeRedisFailure(endpoint, cause);
    expect(described.message).toContain(message);
    expect(described.message).not.toContain('\n');
    expect(described.message).not.toContain('pw@');
    expect(described.hint).toMatch(hint);
  });
});

describe('notify-keyspace-events flags', () => {
  it.each([
    ['', 'Em'],
    ['AKE', 'AKEm'],
    ['Ex', 'Exm'],
    ['Em', 'Em'],
    ['Kg', 'KgEm'],
  ])('%j becomes %j', (before, after) => {
    expect(addKeymissFlags(before)).toBe(after);
    expect(hasKeymissFlags(after)).toBe(true);
  });

  it('tells refusals (managed Redis) from failures', () => {
    expect(isRefusal("ERR unknown command 'CONFIG', with args beginning with: 'GET'")).toBe(true);
    expect(isRefusal("NOPERM this user has no permissions to run the 'monitor' command")).toBe(true);
    expect(isRefusal('ERR Connection is closed.')).toBe(false);
  });
});

describe('INFO keyspace counters', () => {
  it('parses and diffs, less perfspec own misses', () => {
    const before = parseKeyspaceCounters('# Stats\r\ntotal_commands_processed:5\r\nkeyspace_hits:100\r\nkeyspace_misses:10\r\n');
    const after = parseKeyspaceCounters('# Stats\r\nkeyspace_hits:180\r\nkeyspace_misses:32\r\n');
    expect(before).toEqual({ hits: 100, misses: 10 });
    expect(diffKeyspaceCounters(before!, after!, 2)).toEqual({ hits: 80, misses: 20 });
    expect(parseKeyspaceCounters('# Stats\r\n')).toBeUndefined();
  });
});
