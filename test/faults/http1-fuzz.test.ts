/**
 * The load client under fuzzing (issue #10): seeded random responses — valid and broken status
 * lines, Content-Length (negative, huge, duplicated, junk), chunked framing with bad sizes, bytes
 * beyond the response, early closes — written in random pieces. Properties: every request settles
 * (no throw, no hang past its timeout), each outcome is either a status in 100–599 without an
 * error or status 0 with a named error kind, and broken framing is never taken as a 2xx success. Fixed seed, bounded count and time.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, Http1Client } from '../../src/load/http/http1-client.js';
import { seededRandom as random } from '../helpers/seeded-random.js';

const CASES = 400;
let server: Server;
let origin: string;
let nextReply: (socket: Socket) => void = () => undefined;

beforeAll(async () => {
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n\r\n')) {
        seen = '';
        nextReply(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HTTP/1.1 load client fuzzing', () => {
  it(`${CASES} random responses: every request settles in time with a status or a named error`, async () => {
    const rnd = random(0xf022);
    const pick = <T>(items: T[]) => items[Math.floor(rnd() * items.length)];
    const kinds = new Set(['timeout', 'connection_refused', 'connection_reset', 'protocol_error', 'other']);
    const bad: string[] = [];
    for (let n = 0; n < CASES; n += 1) {
      const body = 'x'.repeat(Math.floor(rnd() * 50));
      const status = pick([
        'HTTP/1.1 200 OK',
        'HTTP/1.1 204 No Content',
        'HTTP/1.0 200 OK',
        'HTTP/1.1 999 X',
        'HTTP/2 200',
        'HTCPCP/1.0 418',
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK',
        '',
      ]);
      const framing = pick([
        `content-length: ${body.length}`,
        'content-length: -5',
        `content-length: ${body.length + 10}`,
        'content-length: 99999999999999999999',
        `content-length: ${body.length}\r\ncontent-length: ${body.length + 1}`,
        'content-length: 1x',
        'transfer-encoding: chunked',
        '',
      ]);
      const payload =
        framing === 'transfer-encoding: chunked'
          ? pick([`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, 'zz\r\nab\r\n0\r\n\r\n', '-1\r\n', `5\r\nab`])
          : body;
      // Framing no server may send: never to be taken as a success (RFC 9112 §6.3).
      const brokenFraming =
        !status.includes('204') &&
        (['content-length: -5', 'content-length: 99999999999999999999', 'content-length: 1x'].includes(framing) ||
          framing.includes(`\r\ncontent-length: ${body.length + 1}`) ||
          (framing === 'transfer-encoding: chunked' && !payload.endsWith('0\r\n\r\n')) ||
          payload.startsWith('zz'));
      let reply = `${status}\r\n${framing}\r\n\r\n${payload}`;
      if (rnd() < 0.15) reply += 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'; // bytes nobody asked for
      const close = rnd() < 0.5;
      nextReply = (socket) => {
        let offset = 0;
        const write = () => {
          if (offset >= reply.length) {
            if (close) socket.end();
            return;
          }
          const size = 1 + Math.floor(rnd() * 20);
          socket.write(reply.slice(offset, offset + size));
          offset += size;
          setImmediate(write);
        };
        write();
      };
      const client = new Http1Client(1);
      const started = performance.now();
      const outcome = await client.send(origin, { bytes: encodeRequest('GET', '/', new URL(origin).host, [], undefined), head: false, timeoutMs: 300 }, true);
      const took = performance.now() - started;
      client.destroy();
      const valid = outcome.error === undefined ? outcome.status >= 100 && outcome.status <= 599 : outcome.status === 0 && kinds.has(outcome.error);
      const acceptedBroken = brokenFraming && outcome.error === undefined && outcome.status >= 200 && outcome.status < 300;
      if (!valid || acceptedBroken || took > 300 + 1000)
        bad.push(`#${n} ${JSON.stringify(reply.slice(0, 80))} → ${JSON.stringify(outcome)} in ${Math.round(took)} ms`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  }, 120_000);
});
