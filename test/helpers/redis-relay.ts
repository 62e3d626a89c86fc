/**
 * A TCP relay in front of a real Redis that holds every reply chunk (server → client) for a known
 * delay, in order, and records what it really held: the ground truth for figures that time Redis
 * round trips. Commands (client → server) pass at once. Every connection is relayed (command
 * connection, MONITOR, pub/sub), so a probe pointed at the relay works as it does against Redis.
 *
 * It reads RESP just enough to pair each reply with the command it answers (Redis answers in
 * order on a connection), so it can say which GET replies it forwarded, for which keys, and how
 * long each was held. Replies no command asked for (MONITOR lines, pub/sub messages) are forwarded
 * and held like the others, but paired with nothing.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ForwardedReply {
  /** Upper-case command name, e.g. GET. */
  command: string;
  /** First argument as a latin1 byte string (the key, for GET), '' without one. */
  key: string;
  /** How long the relay held the chunk that completed this reply (ms, performance.now()). */
  heldMs: number;
}

export interface RedisRelay {
  host: string;
  port: number;
  /** Delay applied to reply chunks from now on (ms); 0 forwards at once, without a timer. */
  delayMs: number;
  /** Replies paired with their commands, in the order they were forwarded (all connections). */
  readonly replies: ForwardedReply[];
  /** Every chunk's actual hold (ms), all connections. */
  readonly chunkHolds: number[];
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Incremental RESP2 reader: returns the byte length of one complete value at `offset`, or -1 when more bytes are needed. */
export function respValueLength(buffer: Buffer, offset: number): number {
  if (offset >= buffer.length) return -1;
  const lineEnd = buffer.indexOf('\r\n', offset, 'latin1');
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buffer[offset]);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
      return afterLine - offset;
    case '$': {
      const size = Number(buffer.toString('latin1', offset + 1, lineEnd));
      if (size < 0) return afterLine - offset;
      return afterLine + size + 2 <= buffer.length ? afterLine + size + 2 - offset : -1;
    }
    case '*': {
      const count = Number(buffer.toString('latin1', offset + 1, lineEnd));
      let at = afterLine;
      for (let i = 0; i < count; i++) {
        const length = respValueLength(buffer, at);
        if (length < 0) return -1;
        at += length;
      }
      return at - offset;
    }
    default:
      throw new Error(`redis relay: unexpected RESP type byte ${JSON.stringify(type)} (RESP3 is not read)`);
  }
}

/** A command array's bulk strings (name and arguments), latin1. */
function readCommand(frame: Buffer): string[] {
  const parts: string[] = [];
  let at = frame.indexOf('\r\n', 0, 'latin1') + 2;
  while (at < frame.length) {
    const lineEnd = frame.indexOf('\r\n', at, 'latin1');
    const size = Number(frame.toString('latin1', at + 1, lineEnd));
    parts.push(frame.toString('latin1', lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return parts;
}

/** Split off the complete RESP values at the front of `pending`; the incomplete rest stays for the next chunk. */
function takeFrames(pending: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  for (;;) {
    const length = respValueLength(pending, at);
    if (length < 0) break;
    frames.push(pending.subarray(at, at + length));
    at += length;
  }
  return { frames, rest: pending.subarray(at) };
}

export async function startRedisRelay(target: { host: string; port: number }, delayMs: number): Promise<RedisRelay> {
  const replies: ForwardedReply[] = [];
  const chunkHolds: number[] = [];
  const sockets = new Set<net.Socket>();
  let accepted = 0;

  const relay: RedisRelay = {
    host: '127.0.0.1',
    port: 0,
    delayMs,
    replies,
    chunkHolds,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = net.createServer((client) => {
    accepted++;
    client.setNoDelay(true);
    const upstream = net.connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const asked: Array<{ command: string; key: string }> = [];
    let commandBytes = Buffer.alloc(0);
    let replyBytes = Buffer.alloc(0);
    let closed = false;
    const closeBoth = () => {
      closed = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);

    client.on('data', (chunk: Buffer) => {
      commandBytes = Buffer.concat([commandBytes, chunk]);
      const { frames, rest } = takeFrames(commandBytes);
      commandBytes = Buffer.from(rest);
      for (const frame of frames) {
        const [name = '', key = ''] = readCommand(frame);
        asked.push({ command: name.toUpperCase(), key });
      }
      upstream.write(chunk);
    });

    // Released strictly in arrival order: one timer per chunk, all of the same delay, fire in the
    // order they were set (Node keeps one list per duration); the queue makes the order explicit.
    const queue: Array<{ chunk: Buffer; arrived: number }> = [];
    const release = () => {
      const next = queue.shift();
      if (!next || closed) return;
      const heldMs = performance.now() - next.arrived;
      chunkHolds.push(heldMs);
      replyBytes = Buffer.concat([replyBytes, next.chunk]);
      const { frames, rest } = takeFrames(replyBytes);
      replyBytes = Buffer.from(rest);
      // A reply belongs to the oldest command not yet answered; pushed data (MONITOR, pub/sub) finds none.
      for (let i = 0; i < frames.length; i++) {
        const to = asked.shift();
        if (to) replies.push({ ...to, heldMs });
      }
      client.write(next.chunk);
    };
    upstream.on('data', (chunk: Buffer) => {
      queue.push({ chunk, arrived: performance.now() });
      if (relay.delayMs <= 0 && queue.length === 1) release();
      else setTimeout(release, relay.delayMs);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  relay.port = (server.address() as AddressInfo).port;
  return relay;
}
