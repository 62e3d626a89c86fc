/**
 * Forwarded chunks written under net.Socket's Writable layer, through the socket's own
 * `_writeGeneric` (the method Writable calls for every write): the chunk goes to libuv at once and,
 * when the kernel takes it whole (nearly always on the proxy's hot path), the write is over before
 * the call returns. Writable would add its own state per write and a nextTick to report it done; at a
 * pooler's message rates that bookkeeping is a visible share of the proxy's CPU
 * (bench/postgres-pooler.mjs --floor compares the two on a bare forwarder).
 *
 * Order stays that of the calls: a chunk goes direct only when Writable holds nothing (otherwise it
 * queues behind it with socket.write), and libuv keeps its own queue in order. A write the kernel
 * did not take at once still holds the chunk: the caller must not reuse the buffer, and should stop
 * reading the other side until `onFlushed`.
 */
import type net from 'node:net';

interface GenericWritable {
  _writeGeneric?: (writev: boolean, data: Buffer, encoding: string, callback: (error?: Error | null) => void) => void;
}

export interface DirectWriter {
  /** Write `chunk`; true when the kernel took it whole before returning (its memory may be reused). */
  write(chunk: Buffer): boolean;
}

/**
 * A writer for `socket`; `onFlushed` runs when writes that were queued have all completed. Falls back
 * to socket.write (with the same contract) on a Node without `_writeGeneric`.
 */
export function directWriter(socket: net.Socket, onFlushed: () => void): DirectWriter {
  const generic = (socket as unknown as GenericWritable)._writeGeneric;
  if (typeof generic !== 'function') return writableWriter(socket, onFlushed);
  let writing = false;
  let doneAtOnce = false;
  let queued = 0;
  const done = (error?: Error | null): void => {
    if (error) socket.destroy(error);
    if (writing) doneAtOnce = true;
    else if (--queued === 0) onFlushed();
  };
  const fallback = writableWriter(socket, onFlushed);
  return {
    write(chunk: Buffer): boolean {
      // Behind bytes Writable still holds (a write before the connection was up, an error message),
      // or while connecting: through Writable, so nothing overtakes them.
      if (socket.writableLength > 0 || socket.connecting || socket.writableEnded || socket.destroyed) return fallback.write(chunk);
      writing = true;
      doneAtOnce = false;
      generic.call(socket, false, chunk, 'buffer', done);
      writing = false;
      if (doneAtOnce) return true;
      queued++;
      return false;
    },
  };
}

/** The same contract through socket.write: false while bytes stay queued; `onFlushed` once they are written. */
export function writableWriter(socket: net.Socket, onFlushed: () => void): DirectWriter {
  let waiting = false;
  const flushed = (): void => {
    waiting = false;
    onFlushed();
  };
  return {
    write(chunk: Buffer): boolean {
      socket.write(chunk);
      if (socket.writableLength === 0) return true;
      // An empty write's callback runs once everything before it is written ('drain' would wait for
      // the high-water mark).
      if (!waiting) {
        waiting = true;
        socket.write(EMPTY, flushed);
      }
      return false;
    },
  };
}

const EMPTY = Buffer.alloc(0);
