import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { directWriter, writableWriter } from '../../src/sources/postgres/direct-write.js';

/** A connected pair on loopback: `writer` is ours, `reader` the peer (created paused). */
async function socketPair(): Promise<{ writer: net.Socket; reader: net.Socket; close: () => Promise<void> }> {
  let accepted!: net.Socket;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => (accepted = socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const writer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => writer.once('connect', resolve));
  while (!accepted) await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    writer,
    reader: accepted,
    close: async () => {
      writer.destroy();
      accepted.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Numbered chunks of `size` bytes, each filled with its own number, so order and loss show. */
function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, k) => Buffer.alloc(size, k % 251));
}

async function readAll(reader: net.Socket, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    reader.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= bytes) resolve(Buffer.concat(parts));
    });
    reader.resume();
  });
}

describe.each([
  ['directWriter (under Writable)', directWriter],
  ['writableWriter (its fallback through socket.write)', writableWriter],
])('%s', (_name, makeWriter) => {
  it('delivers every byte in order to a reader that stalls, says when bytes stay queued and when they are flushed', async () => {
    const { writer, reader, close } = await socketPair();
    let flushes = 0;
    const out = makeWriter(writer, () => flushes++);
    const sent = chunks(400, 64 * 1024); // 25 MiB: far more than the kernel buffers of a paused reader
    let queuedWrites = 0;
    for (const chunk of sent) if (!out.write(chunk)) queuedWrites++;
    // The reader has not read anything: the kernel cannot have taken 25 MiB at once.
    expect(queuedWrites).toBeGreaterThan(0);
    expect(flushes).toBe(0);
    const received = await readAll(reader, 400 * 64 * 1024);
    while (flushes === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received.equals(Buffer.concat(sent))).toBe(true);
    await close();
  });

  it('keeps the order of bytes written with socket.write before it (queued while connecting)', async () => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const writer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    writer.write('startup;'); // as the proxy writes the StartupMessage before the connection is up
    const out = makeWriter(writer, () => undefined);
    out.write(Buffer.from('one;'));
    await new Promise<void>((resolve) => writer.once('connect', resolve));
    out.write(Buffer.from('two;'));
    writer.write('three;');
    out.write(Buffer.from('four;'));
    const reader = await accepted;
    const received = await readAll(reader, 'startup;one;two;three;four;'.length);
    expect(received.toString()).toBe('startup;one;two;three;four;');
    writer.destroy();
    reader.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
