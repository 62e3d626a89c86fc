/**
 * The load client counts broken framing as protocol errors (issue #10): a negative, malformed or
 * conflicting Content-Length, bytes beyond a complete response (an answer sent before/without the
 * request), and answers arriving on an idle connection. Ground truth: a raw TCP server whose bytes
 * are written by hand.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, Http1Client } from '../../src/load/http/http1-client.js';

let server: Server | undefined;
let client: Http1Client | undefined;
afterEach(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Answer every request head with `reply` (and optionally greet each new connection). */
async function start(reply: (socket: Socket, n: number) => void, greet?: (socket: Socket) => void): Promise<string> {
  let n = 0;
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    greet?.(socket);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        reply(socket, n++);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
}
const get = (origin: string) => ({ bytes: encodeRequest('GET', '/', new URL(origin).host, [], undefined), head: false, timeoutMs: 2000 });

describe('HTTP/1.1 load client: protocol errors', () => {
  it.each([
    ['a negative Content-Length', 'content-length: -5'],
    ['a malformed Content-Length', 'content-length: 12abc'],
    ['two different Content-Lengths', 'content-length: 2\r\ncontent-length: 3'],
  ])('%s is a protocol error, not a 200', async (_label, header) => {
    const origin = await start((socket) => socket.end(`HTTP/1.1 200 OK\r\n${header}\r\n\r\nok`));
    client = new Http1Client(1);
    const outcome = await client.send(origin, get(origin), false);
    expect(outcome).toMatchObject({ status: 0, error: 'protocol_error', interrupted: false });
  });

  it('a valid Content-Length still works (control)', async () => {
    const origin = await start((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    client = new Http1Client(1);
    expect(await client.send(origin, get(origin), true)).toMatchObject({ status: 200, body: 'ok' });
  });

  it('a response sent before the request, followed by the real one: every request is a protocol error, none a 200', async () => {
    const canned = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
    // The greeting and each real answer leave together, so the client sees bytes past a complete response.
    const origin = await start((socket) => socket.write(`${canned}${canned}`));
    client = new Http1Client(2);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => client!.send(origin, get(origin), false)));
    expect(outcomes.filter((outcome) => outcome.status === 200)).toEqual([]);
    expect(outcomes.every((outcome) => outcome.error === 'protocol_error' && !outcome.interrupted)).toBe(true);
  });

  it('an answer on an idle keep-alive connection is counted, the socket dropped, and the next request answered correctly', async () => {
    const origin = await start((socket, n) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n${n}`);
      if (n === 0) setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nX'), 50);
    });
    client = new Http1Client(1);
    expect(await client.send(origin, get(origin), true)).toMatchObject({ status: 200, body: '0' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.unsolicitedResponses).toBe(1);
    expect(await client.send(origin, get(origin), true)).toMatchObject({ status: 200, body: '1' });
  });
});
