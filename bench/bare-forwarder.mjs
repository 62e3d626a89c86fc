#!/usr/bin/env node
/**
 * The floor of a TCP forwarder in Node, for bench/postgres-pooler.mjs --floor: no protocol at all,
 * bytes from each client to its own upstream connection and back, with backpressure. It shows what
 * Node itself costs per forwarded message, beside pgbouncer, whatever perfspec's proxy does on top.
 *
 *   node bench/bare-forwarder.mjs VARIANT UPSTREAM_HOST UPSTREAM_PORT   (prints the port it listens on)
 *
 * Variants:
 *  - data:   socket.on('data') → other.write(chunk): a fresh Buffer per read, through both stream layers.
 *  - onread: reads into a reused buffer (net's `onread`; accepted sockets via the proxy's
 *            readAcceptedInto), writes through socket.write (Writable: a nextTick per write).
 *  - generic: onread reads, writes through net.Socket's own _writeGeneric (what Writable calls),
 *            skipping Writable's bookkeeping and its nextTick per write.
 *  - handle: onread reads, and writes straight to the libuv handle (WriteWrap + handle.writeBuffer,
 *            what Writable does underneath), skipping the Writable layer: the lowest Node can go
 *            without native code.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [variant, upstreamHost, upstreamPort] = process.argv.slice(2);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist/sources/postgres/reused-read-buffer.js');
const { ReusedReadBuffer, readAcceptedInto, onreadOption } = existsSync(dist)
  ? await import('file://' + dist)
  : await import('file://' + join(root, 'src/sources/postgres/reused-read-buffer.ts'));

// process.binding('stream_wrap') is deprecated (DEP0111) but still served in Node 20; the bench only.
const streamWrap = variant === 'handle' ? process.binding('stream_wrap') : undefined;

/**
 * A writer that calls the libuv handle directly. A write the kernel takes at once completes
 * synchronously (no request is kept, so one request object serves every such write); a write that
 * is queued keeps its buffer and pauses the source until it completes.
 */
function handleWriter(socket, source, reader) {
  const { WriteWrap, kLastWriteWasAsync, streamBaseState } = streamWrap;
  let queued = 0;
  let req = new WriteWrap();
  const oncomplete = () => {
    queued--;
    if (queued === 0) source.resume();
  };
  return (chunk) => {
    const handle = socket._handle;
    if (!handle) return;
    req.handle = handle;
    req.oncomplete = oncomplete;
    const error = handle.writeBuffer(req, chunk);
    if (error) {
      socket.destroy();
      return;
    }
    if (streamBaseState[kLastWriteWasAsync]) {
      req.buffer = chunk;
      req = new WriteWrap();
      queued++;
      reader.retire();
      source.pause();
    }
  };
}

/** socket._writeGeneric: net.Socket's write underneath Writable; its callback runs at once when the kernel took the bytes. */
function genericWriter(socket, source, reader) {
  let writing = false;
  let completedAtOnce = false;
  let queued = 0;
  const done = () => {
    if (writing) completedAtOnce = true;
    else if (--queued === 0) source.resume();
  };
  return (chunk) => {
    writing = true;
    socket._writeGeneric(false, chunk, 'buffer', done);
    writing = false;
    if (completedAtOnce) completedAtOnce = false;
    else {
      queued++;
      reader.retire();
      source.pause();
    }
  };
}

function streamWriter(socket, source, reader) {
  return (chunk) => {
    const flowing = socket.write(chunk);
    if (socket.writableLength > 0) reader?.retire();
    if (!flowing) source.pause();
  };
}

const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (client) => {
  client.setNoDelay(true);
  const clientReader = new ReusedReadBuffer();
  const upstreamReader = new ReusedReadBuffer();
  let toUpstream;
  let toClient;
  const upstream =
    variant === 'data'
      ? net.connect({ host: upstreamHost, port: Number(upstreamPort) })
      : net.connect({ host: upstreamHost, port: Number(upstreamPort), onread: onreadOption(upstreamReader, (chunk) => toClient(chunk)) });
  upstream.setNoDelay(true);
  if (variant === 'generic') {
    toClient = genericWriter(client, upstream, upstreamReader);
    toUpstream = genericWriter(upstream, client, clientReader);
  } else if (variant === 'handle') {
    toClient = handleWriter(client, upstream, upstreamReader);
    // Bytes that arrive before the upstream connects go through socket.write (it queues them).
    const early = streamWriter(upstream, client, clientReader);
    let direct;
    toUpstream = (chunk) => (direct ? direct(chunk) : early(chunk));
    upstream.once('connect', () => (direct = handleWriter(upstream, client, clientReader)));
  } else {
    toClient = streamWriter(client, upstream, variant === 'data' ? undefined : upstreamReader);
    toUpstream = streamWriter(upstream, client, variant === 'data' ? undefined : clientReader);
  }
  if (variant === 'data') {
    client.on('data', (chunk) => toUpstream(chunk));
    upstream.on('data', (chunk) => toClient(chunk));
  } else {
    readAcceptedInto(client, clientReader, (chunk) => toUpstream(chunk));
  }
  upstream.on('drain', () => client.resume());
  client.on('drain', () => upstream.resume());
  client.on('error', () => undefined);
  upstream.on('error', () => undefined);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.resume();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
