import { describe, expect, it } from 'vitest';
import { compileRedisGlob, fromByteString, matchRedisGlob, toByteString } from '../../src/sources/redis/glob.js';

// Expected values follow Redis 7.0's stringmatchlen; test/integration/redis-keyspace.test.ts
// checks the same matcher against SCAN MATCH on the real server.
const CASES: Array<[pattern: string, key: string, expected: boolean]> = [
  // literals
  ['sso:config:1', 'sso:config:1', true],
  ['sso:config:1', 'sso:config:10', false],
  ['sso:config:1', 'sso:config:', false],
  ['', '', true],
  ['', 'a', false],
  // *
  ['*', '', true], // SCAN's shortcut for exactly "*"
  ['**', '', false], // ...which stringmatchlen itself does not share
  ['*', 'anything at all', true],
  ['sso:config:*', 'sso:config:', true],
  ['sso:config:*', 'sso:config:42', true],
  ['sso:config:*', 'sso:configX42', false],
  ['sso:config:*', 'xsso:config:42', false],
  ['user:*', 'user:1:profile', true],
  ['*:config:*', 'sso:config:1', true],
  ['a*b*c', 'abc', true],
  ['a*b*c', 'aXXbYYc', true],
  ['a*b*c', 'aXXbYY', false],
  ['a**b', 'ab', true],
  ['a*', 'a', true],
  ['*a', 'ba', true],
  ['*a', 'ab', false],
  // ?
  ['user:?', 'user:1', true],
  ['user:?', 'user:12', false],
  ['user:?', 'user:', false],
  ['?*', '', false],
  ['?*', 'x', true],
  // classes
  ['h[ae]llo', 'hello', true],
  ['h[ae]llo', 'hallo', true],
  ['h[ae]llo', 'hillo', false],
  ['h[^e]llo', 'hallo', true],
  ['h[^e]llo', 'hello', false],
  ['h[a-b]llo', 'hbllo', true],
  ['h[a-b]llo', 'hcllo', false],
  ['h[b-a]llo', 'hallo', true], // reversed range is swapped
  ['[0-9]', '5', true],
  ['[0-9]', 'a', false],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[a-]', ']', true], // "a-]" is a range a..] (the class is then unterminated)
  ['[]', ']', false],
  ['[', 'x', false],
  ['[abc', 'a', true], // unterminated class: matches like [abc]
  ['[abc', 'd', false],
  ['x[abc', 'xb', true],
  // escapes
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['\\?', '?', true],
  ['\\[a]', '[a]', true],
  ['a\\', 'a\\', true], // trailing backslash is literal
  ['sso\\:config', 'sso:config', true],
  // case
  ['User:*', 'user:1', false],
];

describe('matchRedisGlob', () => {
  it.each(CASES)('%j against %j is %s', (pattern, key, expected) => {
    expect(matchRedisGlob(pattern, key)).toBe(expected);
    expect(compileRedisGlob(pattern)(key)).toBe(expected);
  });

  it('matches bytes, not characters: ? is one byte of a UTF-8 key', () => {
    const key = toByteString('user:é'); // é is two bytes
    expect(matchRedisGlob(toByteString('user:?'), key)).toBe(false);
    expect(matchRedisGlob(toByteString('user:??'), key)).toBe(true);
    expect(matchRedisGlob(toByteString('user:é'), key)).toBe(true);
  });

  it('compares high bytes in ranges as signed chars, as the C code does', () => {
    // [a-\xff]: 'a'=97 and \xff=-1 as signed char, swapped to -1..97, so \xff and '0' match, 'b' not.
    const pattern = 'x[a-\xff]';
    expect(matchRedisGlob(pattern, 'x\xff')).toBe(true);
    expect(matchRedisGlob(pattern, 'x0')).toBe(true);
    expect(matchRedisGlob(pattern, 'xb')).toBe(false);
  });

  it('stays fast on patterns that are exponential without the skip rule', () => {
    const started = performance.now();
    expect(matchRedisGlob('a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(60))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('round-trips byte strings', () => {
    expect(fromByteString(toByteString('clé:ü'))).toBe('clé:ü');
  });
});
