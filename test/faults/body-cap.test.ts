/**
 * Bodies are read to a cap and counted beyond it (issue #10): a response far larger than
 * maxBodySize is read to its end (timed, connection reused) but only the first maxBodySize bytes are
 * kept. Ground truth: the server's own count of the bytes it sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/sources/http/undici-client.js';

const SENT = 64 * 1024 * 1024;
let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/small') return res.end('{"ok":true}');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    res.setHeader('content-length', SENT);
    for (let sent = 0; sent < SENT; sent += chunk.length) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

describe('maxBodySize', () => {
  it('keeps the first maxBodySize bytes of a 64 MiB body and counts all of them', async () => {
    const client = createHttpClient({ maxBodySize: 1024 * 1024 });
    try {
      const response = await client.send({ method: 'GET', url: `${url}/big`, headers: {} });
      expect(response.status).toBe(200);
      expect(response.body.length).toBe(1024 * 1024);
      expect(response.bodyBytes).toBe(SENT);
      expect(response.bodyTruncated).toBe(true);
      // The connection was read to the end and is usable again.
      const next = await client.send({ method: 'GET', url: `${url}/small`, headers: {} });
      expect(next).toMatchObject({ body: '{"ok":true}', bodyBytes: 11, bodyTruncated: false });
    } finally {
      await client.close();
    }
  });
});
