/**
 * perfspec's HTTP/1.1 load client against a raw TCP server that answers with hand-written bytes:
 * every framing a server may use, split at awkward places, plus closes, stale keep-alive sockets
 * and timeouts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, Http1Client, parseOrigin } from '../../src/load/http/http1-client.js';

let server: Server | undefined;
let client: Http1Client | undefined;

afterEach(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that answers each request (one per blank line seen) with `reply(socket, n)`. */
async function start(reply: (socket: Socket, n: number, request: string) => void): Promise<string> {
  let n = 0;
  server = createServer((socket) => {
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = pending.slice(0, end + 4 + length);
        pending = pending.slice(end + 4 + length);
        reply(socket, n++, request);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server!.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

const get = (origin: string, path = '/', method = 'GET', timeoutMs = 2000) => ({
  bytes: encodeRequest(method, path, new URL(origin).host, ['accept', '*/*'], undefined),
  head: method === 'HEAD',
  timeoutMs,
});

describe('HTTP/1.1 load client', () => {
  it("stamps the first response byte between the write and the last byte (the endpoint probe's time to first byte)", async () => {
    // The server runs in this process, so its performance.now() is the client's clock: the head is
    // written at once, the body 30 ms later, and each stamp must fall where the bytes allow.
    let headWrittenAt = 0;
    let bodyWrittenAt = 0;
    const origin = await start((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n');
      headWrittenAt = performance.now();
      setTimeout(() => {
        bodyWrittenAt = performance.now();
        socket.write('ok');
      }, 30);
    });
    client = new Http1Client(1);
    const outcome = await new Promise<Parameters<Parameters<Http1Client['submit']>[3]>[0]>((resolve) => client!.submit(origin, get(origin), true, resolve));
    expect(outcome).toMatchObject({ status: 200, body: 'ok' });
    expect(outcome.sentAt).toBeLessThanOrEqual(headWrittenAt);
    expect(outcome.firstByteAt).toBeGreaterThanOrEqual(headWrittenAt);
    expect(outcome.endedAt).toBeGreaterThanOrEqual(bodyWrittenAt);
    expect(outcome.endedAt).toBeGreaterThanOrEqual(outcome.firstByteAt);
  });

  it('encodes the request once: request line, host, headers, content-length and body', () => {
    expect(encodeRequest('POST', '/a?b=1', 'h:1', ['x-a', '1', 'Host', 'ignored'], '{"k":2}').toString()).toBe(
      'POST /a?b=1 HTTP/1.1\r\nhost: h:1\r\nx-a: 1\r\ncontent-length: 7\r\n\r\n{"k":2}',
    );
    expect(encodeRequest('GET', '/', 'h', [], undefined).toString()).toBe('GET / HTTP/1.1\r\nhost: h\r\n\r\n');
  });

  it('parses origins, with SNI only for host names', () => {
    expect(parseOrigin('http://127.0.0.1:8000')).toEqual({ host: '127.0.0.1', port: 8000, tls: false, servername: undefined });
    expect(parseOrigin('https://api.example.test')).toEqual({ host: 'api.example.test', port: 443, tls: true, servername: 'api.example.test' });
    expect(parseOrigin('https://[::1]:8443')).toEqual({ host: '::1', port: 8443, tls: true, servername: undefined });
  });

  it('reads Content-Length bodies split across packets, and reuses the connection', async () => {
    const sockets = new Set<Socket>();
    const origin = await start((socket, n) => {
      sockets.add(socket);
      const body = JSON.stringify({ n, pad: 'x'.repeat(3000) });
      const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.write(bytes.subarray(0, 20));
      setTimeout(() => socket.write(bytes.subarray(20, 70)), 5);
      setTimeout(() => socket.write(bytes.subarray(70)), 10);
    });
    client = new Http1Client(1);
    const first = await client.send(origin, get(origin), true);
    const second = await client.send(origin, get(origin), true);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body!).n).toBe(0);
    expect(JSON.parse(second.body!).n).toBe(1);
    expect(sockets.size).toBe(1);
    expect(second.endedAt).toBeGreaterThanOrEqual(second.sentAt);
  });

  it('decodes chunked bodies with chunk boundaries anywhere, and trailers', async () => {
    const origin = await start((socket) => {
      const bytes = Buffer.from('HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n');
      for (let i = 0; i < bytes.length; i += 3) setTimeout(() => socket.write(bytes.subarray(i, i + 3)), i);
    });
    client = new Http1Client(1);
    const outcome = await client.send(origin, get(origin), true);
    expect(outcome).toMatchObject({ status: 201, body: 'hello, world' });
    expect((await client.send(origin, get(origin), false)).status).toBe(201);
  });

  it('skips interim 1xx responses, reads no body for HEAD and 204, and frames by close when nothing else says', async () => {
    const origin = await start((socket, n, request) => {
      if (request.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n');
      else if (n === 1) socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
      else socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
    });
    client = new Http1Client(1);
    expect(await client.send(origin, get(origin, '/', 'HEAD'), true)).toMatchObject({ status: 200, body: '' });
    expect(await client.send(origin, get(origin), true)).toMatchObject({ status: 204, body: '' });
    expect(await client.send(origin, get(origin), true)).toMatchObject({ status: 200, body: 'until the end' });
    // The closed connection is replaced for the next request.
    expect((await client.send(origin, get(origin, '/', 'HEAD'), false)).status).toBe(200);
  });

  it('retries once on a fresh connection when the server closed an idle keep-alive socket', async () => {
    const origin = await start((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      // The server drops the connection right after answering, without saying Connection: close.
      setTimeout(() => socket.destroy(), 5);
    });
    client = new Http1Client(1);
    expect((await client.send(origin, get(origin), false)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const again = await client.send(origin, get(origin), false);
    expect(again).toMatchObject({ status: 200, interrupted: false });
    expect(again.error).toBeUndefined();
  });

  it('reports refused connections, resets mid-response and timeouts by kind', async () => {
    client = new Http1Client(2);
    expect(await client.send('http://127.0.0.1:9', get('http://127.0.0.1:9'), false)).toMatchObject({ status: 0, error: 'connection_refused' });
    const origin = await start((socket, n) => {
      if (n === 0) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
        setTimeout(() => socket.destroy(), 10);
      }
      // n === 1: never answers
    });
    expect(await client.send(origin, get(origin), false)).toMatchObject({ status: 0, error: 'connection_reset' });
    const started = performance.now();
    const slow = await client.send(origin, get(origin, '/', 'GET', 200), false);
    expect(slow).toMatchObject({ status: 0, error: 'timeout' });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('queues requests beyond the connection limit and marks everything interrupted on destroy', async () => {
    const seen = new Set<Socket>();
    const origin = await start((socket) => {
      seen.add(socket);
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 20);
    });
    client = new Http1Client(2);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => client!.send(origin, get(origin), false)));
    expect(outcomes.every((o) => o.status === 200)).toBe(true);
    expect(seen.size).toBe(2);
    const cut = client.send(origin, get(origin, '/', 'GET', 5000), false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    client.destroy();
    expect(await cut).toMatchObject({ status: 0, interrupted: true });
  });

  it('pre-opens connections without writing a byte, within the pool size, and sends over them', async () => {
    let connections = 0;
    let bytesBeforeSend = 0;
    let sending = false;
    const origin = await start((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    server!.on('connection', (socket: Socket) => {
      connections++;
      socket.on('data', (chunk: Buffer) => {
        if (!sending) bytesBeforeSend += chunk.length;
      });
    });
    client = new Http1Client(3);
    await client.preconnect(origin, 5, 2000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(connections).toBe(3); // capped at the pool's size
    expect(bytesBeforeSend).toBe(0);
    sending = true;
    const outcomes = await Promise.all(Array.from({ length: 3 }, () => client!.send(origin, get(origin), false)));
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200]);
    expect(connections).toBe(3); // the requests went over the pre-opened sockets
  });

  it('retries on a fresh socket when a pre-opened one was closed by the server before its first request', async () => {
    const sockets: Socket[] = [];
    const origin = await start((socket) => {
      // The pre-opened socket: the server had already timed it out, and its close crosses our request.
      if (socket === sockets[0]) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    server!.on('connection', (socket: Socket) => sockets.push(socket));
    client = new Http1Client(1);
    await client.preconnect(origin, 1, 2000);
    const outcome = await client.send(origin, get(origin), false);
    expect(outcome).toMatchObject({ status: 200, interrupted: false });
  });

  it('pre-opening a refused origin ends at once and leaves the errors to the requests', async () => {
    client = new Http1Client(4);
    const started = performance.now();
    await client.preconnect('http://127.0.0.1:9', 4, 2000);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await client.send('http://127.0.0.1:9', get('http://127.0.0.1:9'), false)).toMatchObject({ status: 0, error: 'connection_refused' });
  });
});
