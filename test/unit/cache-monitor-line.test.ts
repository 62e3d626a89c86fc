import { describe, expect, it } from 'vitest';
import { parseMonitorLine } from '../../src/sources/redis/monitor-line.js';

describe('parseMonitorLine', () => {
  it('parses time, db, source and arguments', () => {
    expect(parseMonitorLine('1795753055.269175 [13 127.0.0.1:37552] "GET" "sso:config:1"')).toEqual({
      timestamp: 1795753055.269175,
      db: 13,
      source: '127.0.0.1:37552',
      args: ['GET', 'sso:config:1'],
    });
  });

  it('unescapes quotes, backslashes and control characters as Redis writes them (captured line)', () => {
    // Captured from redis-cli: GET 'a "b" c\x'
    expect(parseMonitorLine('1795753055.269175 [13 127.0.0.1:37552] "get" "a \\"b\\" c\\\\x"')?.args).toEqual(['get', 'a "b" c\\x']);
    expect(parseMonitorLine('1.0 [0 127.0.0.1:1] "SET" "k" "l1\\nl2\\r\\t\\a\\b"')?.args[2]).toBe('l1\nl2\r\t\x07\b');
  });

  it('turns \\xHH into one byte each (UTF-8 keys arrive as byte strings)', () => {
    const line = parseMonitorLine('1.0 [0 127.0.0.1:1] "GET" "user:\\xc3\\xa9"');
    expect(line?.args[1]).toBe('user:\xc3\xa9');
    expect(Buffer.from(line!.args[1], 'latin1').toString('utf8')).toBe('user:é');
  });

  it('keeps a key containing `" "` as one argument', () => {
    expect(parseMonitorLine('1.0 [0 127.0.0.1:1] "MGET" "a\\" \\"b" "c"')?.args).toEqual(['MGET', 'a" "b', 'c']);
  });

  it('accepts IPv6, unix socket and lua sources', () => {
    expect(parseMonitorLine('1.0 [0 [::1]:6379] "GET" "k"')?.source).toBe('[::1]:6379');
    expect(parseMonitorLine('1.0 [2 unix:/tmp/redis.sock] "GET" "k"')).toMatchObject({ db: 2, source: 'unix:/tmp/redis.sock' });
    expect(parseMonitorLine('1795753055.274505 [13 lua] "get" "x y"')).toMatchObject({ source: 'lua', args: ['get', 'x y'] });
  });

  it('keeps empty arguments', () => {
    expect(parseMonitorLine('1.0 [0 127.0.0.1:1] "SET" "" ""')?.args).toEqual(['SET', '', '']);
  });

  it.each([
    ['OK'],
    [''],
    ['1.0 [0 127.0.0.1:1]'],
    ['1.0 [0 127.0.0.1:1] GET k'],
    ['1.0 [0 127.0.0.1:1] "GET" "unterminated'],
    ['1.0 [0 127.0.0.1:1] "GET""k"'],
    ['1.0 [0 127.0.0.1:1] "GET" "bad \\q escape"'],
    ['1.0 [x 127.0.0.1:1] "GET" "k"'],
  ])('rejects %j', (line) => {
    expect(parseMonitorLine(line)).toBeUndefined();
  });
});
