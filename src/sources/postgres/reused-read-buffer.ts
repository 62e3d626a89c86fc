/**
 * Socket reads into one buffer reused from read to read, instead of a fresh allocation per read
 * pushed through the Readable-stream machinery: the proxy's hot path reads a message, writes it on,
 * reads the next. Node supports this officially for sockets it connects (`onread`); for sockets a
 * server accepts it does not, so `readAcceptedInto` sets the same fields Node's `onread` sets (found by
 * their symbol descriptions) and falls back to 'data' events when a Node version lacks them.
 *
 * A buffer must not be reused while a write still holds it (a write the kernel did not take at once
 * stays queued with a reference to its bytes): after each write, `retire()` when the destination has
 * bytes queued, and the next read goes to a fresh buffer.
 */
import type net from 'node:net';

const READ_BUFFER_BYTES = 32 * 1024;

export class ReusedReadBuffer {
  private buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

  /** The buffer the next read goes into (Node calls this after every read). */
  readonly next = (): Buffer => this.buffer;

  /** The bytes just read are still referenced by a queued write: read into a new buffer from now on. */
  retire(): void {
    this.buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  }
}

type OnChunk = (chunk: Buffer) => void;

/** The `onread` option of net.connect for a socket read into `reader`. */
export function onreadOption(reader: ReusedReadBuffer, onChunk: OnChunk): net.OnReadOpts {
  return {
    buffer: reader.next,
    callback: (bytes: number, buffer: Uint8Array) => {
      onChunk((buffer as Buffer).subarray(0, bytes));
      return true; // the caller pauses the socket itself when the other side pushes back
    },
  };
}

interface StreamHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/**
 * Read an accepted socket (created paused: `pauseOnConnect`) into `reader`; false when this Node does
 * not allow it, and then the chunks come from 'data' events instead (fresh buffers, nothing to retire).
 * The caller resumes the socket.
 */
export function readAcceptedInto(socket: net.Socket, reader: ReusedReadBuffer, onChunk: OnChunk): boolean {
  const symbols = new Map<string, symbol>();
  for (const symbol of Object.getOwnPropertySymbols(socket)) if (symbol.description) symbols.set(symbol.description, symbol);
  const kBuffer = symbols.get('kBuffer');
  const kBufferGen = symbols.get('kBufferGen');
  const kBufferCb = symbols.get('kBufferCb');
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (!kBuffer || !kBufferGen || !kBufferCb || typeof handle?.useUserBuffer !== 'function' || fields[kBuffer] !== null) {
    socket.on('data', onChunk);
    return false;
  }
  const first = reader.next();
  fields[kBuffer] = first;
  fields[kBufferGen] = reader.next;
  fields[kBufferCb] = (bytes: number, buffer: Buffer) => {
    onChunk(buffer.subarray(0, bytes));
  };
  handle.useUserBuffer(first);
  return true;
}
