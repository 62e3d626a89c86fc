import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { readAcceptedInto, ReusedReadBuffer } from '../../src/sources/postgres/reused-read-buffer.js';

describe('ReusedReadBuffer', () => {
  it('hands out the same buffer until retired, then a fresh one', () => {
    const reader = new ReusedReadBuffer();
    const first = reader.next();
    expect(reader.next()).toBe(first);
    reader.retire();
    const second = reader.next();
    expect(second).not.toBe(first);
    expect(second.length).toBe(first.length);
  });
});

describe('readAcceptedInto', () => {
  it("falls back to 'data' events when the socket has no handle to read into", () => {
    const socket = new net.Socket(); // not connected: no handle
    const chunks: Buffer[] = [];
    expect(readAcceptedInto(socket, new ReusedReadBuffer(), (chunk) => chunks.push(chunk))).toBe(false);
    socket.emit('data', Buffer.from('x'));
    expect(chunks.map(String)).toEqual(['x']);
    socket.destroy();
  });

  it('reads an accepted socket into the reused buffer', async () => {
    const reader = new ReusedReadBuffer();
    const received: string[] = [];
    let usedReader = false;
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      usedReader = readAcceptedInto(socket, reader, (chunk) => {
        expect(chunk.buffer).toBe(reader.next().buffer); // the bytes sit in the reader's buffer
        received.push(chunk.toString());
      });
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    client.write('hello');
    const deadline = Date.now() + 5000;
    while (received.join('') !== 'hello' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(usedReader).toBe(true);
    expect(received.join('')).toBe('hello');
  });
});
