/** The test relay's RESP reader (test/helpers/redis-relay.ts): it decides which replies the hit-latency ground truth counts. */
import { describe, expect, it } from 'vitest';
import { respValueLength } from '../helpers/redis-relay.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('respValueLength', () => {
  it('measures each complete RESP2 value', () => {
    expect(respValueLength(bytes('+OK\r\n'), 0)).toBe(5);
    expect(respValueLength(bytes('-ERR no\r\n'), 0)).toBe(9);
    expect(respValueLength(bytes(':42\r\n'), 0)).toBe(5);
    expect(respValueLength(bytes('$-1\r\n'), 0)).toBe(5);
    // A bulk string's length is in bytes: CR LF inside it is data.
    expect(respValueLength(bytes('$4\r\na\r\nb\r\n'), 0)).toBe(10);
    expect(respValueLength(bytes('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'), 0)).toBe(20);
    expect(respValueLength(bytes('*2\r\n*1\r\n:1\r\n$-1\r\n'), 0)).toBe(17);
    expect(respValueLength(bytes('*-1\r\n'), 0)).toBe(5);
  });

  it('asks for more bytes when a value is cut anywhere, and reads from an offset', () => {
    const command = '*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n';
    for (let cut = 0; cut < command.length; cut++) expect(respValueLength(bytes(command.slice(0, cut)), 0), `cut at ${cut}`).toBe(-1);
    expect(respValueLength(bytes(`+OK\r\n${command}`), 5)).toBe(command.length);
  });

  it('refuses what it cannot read rather than miscount', () => {
    expect(() => respValueLength(bytes('%1\r\n+a\r\n+b\r\n'), 0)).toThrow(/RESP3/);
  });
});
