/**
 * A minimal HTTP/1.1 client for the load engine's hot path: keep-alive sockets per origin, each
 * request one pre-encoded Buffer written in one call, and an incremental response parser that
 * only finds the status, the body framing (Content-Length, chunked, until close) and, when a
 * capture needs it, the body. Nothing else is allocated per request.
 *
 * Why not undici: undici builds a Request object, validates and re-serialises headers and walks
 * a general-purpose state machine for each request; measured on this machine that cost more CPU
 * per request than autocannon, whose raw-socket approach this follows (lib/httpClient.js,
 * pre-built request buffers). Correctness it keeps: chunked bodies, 1xx interim responses,
 * bodiless statuses and HEAD, `Connection: close`, a stale keep-alive socket retried once on a
 * fresh one, timeouts, and TLS for https origins.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { errorKindOfCode, type ErrorKind, type ProtocolFault, type ProtocolFaultCounts } from '../../sources/http/error-kind.js';

export { PROTOCOL_FAULTS, type ProtocolFault, type ProtocolFaultCounts } from '../../sources/http/error-kind.js';
import { assertSafeRequest } from '../../sources/http/header-safety.js';
import { DEFAULT_MAX_BODY_SIZE } from '../../units/quantity.js';

export interface Http1Request {
  /** The whole request: request line, headers, blank line, body. */
  bytes: Buffer;
  /** No body expected in the response (HEAD). */
  head: boolean;
  timeoutMs: number;
  /** Where the traceparent placeholder value starts in `bytes` (flows/traceparent.ts); absent when tracing is off. */
  traceOffset?: number;
}

export interface Http1Outcome {
  status: number;
  /** The body's first maxBodySize bytes, when it was wanted. */
  body?: string;
  /** Set when the body was longer than maxBodySize: its real length in bytes (read, counted, not kept). */
  bodyOverCap?: number;
  error?: ErrorKind;
  /** When the request's bytes were handed to the socket (performance.now()). */
  sentAt: number;
  /** When the first byte of the response arrived; 0 when none did. */
  firstByteAt: number;
  /** When the response's last byte was read (or the request failed). */
  endedAt: number;
  interrupted: boolean;
}

/** Called once per request with its outcome; the callback form needs no promise per request. */
export type Http1Callback = (outcome: Http1Outcome) => void;

/** Encode a request once; the Buffer can be written any number of times. */
export function encodeRequest(method: string, path: string, host: string, headers: readonly string[], body: Buffer | string | undefined): Buffer {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
  // The last guard before raw bytes: nothing but what the spec says goes on the wire.
  assertSafeRequest(method, path, pairs);
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.toLowerCase() === 'host' || name.toLowerCase() === 'content-length') continue;
    head += `${name}: ${headers[i + 1]}\r\n`;
  }
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  if (payload !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH') head += `content-length: ${payload?.length ?? 0}\r\n`;
  head += '\r\n';
  return payload === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

interface Pending {
  request: Http1Request;
  keepBody: boolean;
  resolve: Http1Callback;
  retried: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
// Matched against the head, which starts with the status line (so every header follows a CRLF).
const CONNECTION_CLOSE = /\r\nconnection:[^\r]*\bclose\b/i;
const CONNECTION_KEEP_ALIVE = /\r\nconnection:[^\r]*\bkeep-alive\b/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*\bchunked\b/i;
const CONTENT_LENGTH = /\r\ncontent-length:([^\r]*)/gi;
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const CRLF = Buffer.from('\r\n');

const enum Framing {
  Head,
  Length,
  Chunked,
  UntilClose,
}

class Connection {
  private socket: Socket;
  private current: Pending | undefined;
  private sentAt = 0;
  private firstByteAt = 0;
  private deadline = 0;
  /** Responses received on this socket: a failure before the first one on a reused socket is retried. */
  private served = 0;
  private buffered: Buffer | undefined;
  private framing = Framing.Head;
  private status = 0;
  private remaining = 0;
  private closeAfter = false;
  private chunks: Buffer[] | undefined;
  /** Body bytes of the current response so far, and of them kept in `chunks` (at most the cap). */
  private bodyBytes = 0;
  private keptBytes = 0;
  private dead = false;
  /** Handed back to the pool for good (closed or broken): never again. */
  private released = false;
  /** Opened ahead of the schedule and idle until its first request: a stale close then is retried like a reused socket's. */
  preopened = false;

  constructor(private readonly pool: OriginPool) {
    const { host, port, tls, servername } = pool.address;
    if (tls) {
      this.socket = connectTls({ host, port, servername, ALPNProtocols: ['http/1.1'] });
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk, false));
    } else {
      // `onread` reads straight into one buffer shared by all connections, skipping the stream
      // machinery and a Buffer allocation per read; whatever is kept past the call is copied.
      this.socket = connectTcp({
        host,
        port,
        onread: {
          buffer: SHARED_READ_BUFFER,
          callback: (bytes: number, buffer: Uint8Array) => {
            this.onData((buffer as Buffer).subarray(0, bytes), true);
            return true;
          },
        },
      });
    }
    this.socket.setNoDelay(true);
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.fail(errorKindOfCode(error.code), false));
    this.socket.on('close', () => this.fail(this.framing === Framing.UntilClose ? undefined : 'connection_reset', true));
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Resolves true once the socket is connected (TLS: handshake done), false if it failed first. Called right after construction. */
  whenConnected(): Promise<boolean> {
    return new Promise((resolve) => {
      const ready = this.pool.address.tls ? 'secureConnect' : 'connect';
      const onReady = () => {
        this.socket.off('close', onClose);
        resolve(!this.dead);
      };
      const onClose = () => {
        this.socket.off(ready, onReady);
        resolve(false);
      };
      this.socket.once(ready, onReady);
      this.socket.once('close', onClose);
    });
  }

  send(pending: Pending, now: number): void {
    this.current = pending;
    this.framing = Framing.Head;
    this.buffered = undefined;
    this.chunks = pending.keepBody ? [] : undefined;
    this.bodyBytes = 0;
    this.keptBytes = 0;
    this.sentAt = now;
    this.firstByteAt = 0;
    this.deadline = now + pending.request.timeoutMs;
    this.socket.write(pending.request.bytes);
  }

  /** Called by the pool's sweeper. */
  checkTimeout(now: number): void {
    if (this.current && now > this.deadline) this.fail('timeout', false);
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer, shared: boolean): void {
    if (!this.current) {
      // Bytes nobody asked for: the server is confused; this socket cannot be trusted. Counted even
      // when the server closes the socket right after (the close then finds nothing to fail).
      this.pool.count('idle_answer');
      this.destroy();
      return;
    }
    if (this.firstByteAt === 0) this.firstByteAt = performance.now();
    const keep = (part: Buffer) => (shared ? Buffer.from(part) : part);
    // Body bytes are counted always and kept only up to the cap: a 1 GiB body must not become 1 GiB of memory.
    const keepBody = (part: Buffer) => {
      this.bodyBytes += part.length;
      if (!this.chunks) return;
      const room = this.pool.maxBodySize - this.keptBytes;
      if (room <= 0) return;
      const kept = part.length > room ? part.subarray(0, room) : part;
      this.chunks.push(shared || kept !== part ? Buffer.from(kept) : kept);
      this.keptBytes += kept.length;
    };
    let data = chunk;
    if (this.buffered) {
      data = Buffer.concat([this.buffered, chunk]);
      shared = false;
    }
    this.buffered = undefined;
    let offset = 0;
    while (offset < data.length || (this.framing === Framing.Length && this.remaining === 0)) {
      if (this.framing === Framing.Head) {
        const end = data.indexOf(CRLFCRLF, offset);
        if (end < 0) {
          this.buffered = keep(data.subarray(offset));
          return;
        }
        if (!this.parseHead(data.toString('latin1', offset, end))) return;
        offset = end + 4;
        continue;
      }
      if (this.framing === Framing.Length) {
        const take = Math.min(this.remaining, data.length - offset);
        if (take > 0) keepBody(data.subarray(offset, offset + take));
        this.remaining -= take;
        offset += take;
        if (this.remaining === 0) {
          // Pipelining is not used: bytes after a complete response mean the server answered
          // something nobody asked (e.g. a response sent before the request): the response cannot
          // be trusted, so it counts as a protocol error rather than a success.
          if (offset < data.length) {
            this.failProtocol('unrequested_bytes');
            return;
          }
          this.complete();
          return;
        }
        continue;
      }
      if (this.framing === Framing.Chunked) {
        if (this.remaining > 0) {
          const take = Math.min(this.remaining, data.length - offset);
          keepBody(data.subarray(offset, offset + take));
          this.remaining -= take;
          offset += take;
          continue;
        }
        // remaining === 0: at a chunk-size line (or the CRLF ending the previous chunk's data).
        const lineEnd = data.indexOf(CRLF, offset);
        if (lineEnd < 0) {
          this.buffered = keep(data.subarray(offset));
          return;
        }
        if (lineEnd === offset) {
          offset += 2; // the CRLF after chunk data
          continue;
        }
        const size = parseInt(data.toString('latin1', offset, lineEnd), 16);
        if (!/^[0-9a-f]+(;.*)?$/i.test(data.toString('latin1', offset, lineEnd).trim()) || !Number.isFinite(size) || size < 0) {
          this.failProtocol('bad_chunk');
          return;
        }
        if (size === 0) {
          // Last chunk: optional trailers, then an empty line.
          const end = data.indexOf(CRLFCRLF, lineEnd);
          if (end < 0) {
            this.buffered = keep(data.subarray(offset));
            return;
          }
          if (end + 4 < data.length) {
            this.failProtocol('unrequested_bytes');
            return;
          }
          this.complete();
          return;
        }
        this.remaining = size;
        offset = lineEnd + 2;
        continue;
      }
      // Until close: everything up to the cap; 'close' completes the response.
      keepBody(data.subarray(offset));
      return;
    }
  }

  /** false when the head was an interim (1xx) response that was skipped, or broken. */
  private parseHead(head: string): boolean {
    const status = Number(head.slice(9, 12));
    if (!head.startsWith('HTTP/1.') || !(status >= 100 && status < 600)) {
      this.failProtocol('bad_status_line');
      return false;
    }
    if (status < 200) {
      this.framing = Framing.Head;
      return true;
    }
    this.status = status;
    const http10 = head.charCodeAt(7) === 48; // "HTTP/1.0"
    this.closeAfter = http10 ? !CONNECTION_KEEP_ALIVE.test(head) : CONNECTION_CLOSE.test(head);
    if (this.current!.request.head || status === 204 || status === 304) {
      this.framing = Framing.Length;
      this.remaining = 0;
      return true;
    }
    if (CHUNKED.test(head)) {
      this.framing = Framing.Chunked;
      this.remaining = 0;
      return true;
    }
    const lengths = [...head.matchAll(CONTENT_LENGTH)].map((match) => match[1].trim());
    if (lengths.length > 0) {
      // RFC 9112 §6.3: an invalid or conflicting Content-Length is an unrecoverable framing error
      // ("-5", "12abc", two different values); reading on would misframe every later response.
      if (!lengths.every((value) => /^\d{1,15}$/.test(value) && value === lengths[0])) {
        this.failProtocol('bad_content_length');
        return false;
      }
      this.framing = Framing.Length;
      this.remaining = Number(lengths[0]);
      return true;
    }
    this.framing = Framing.UntilClose;
    this.closeAfter = true;
    return true;
  }

  private complete(): void {
    const pending = this.current!;
    this.current = undefined;
    this.served++;
    this.framing = Framing.Head;
    const endedAt = performance.now();
    const cap = this.pool.maxBodySize;
    if (this.bodyBytes > cap) this.pool.bodiesOverCap++;
    pending.resolve({
      status: this.status,
      body: this.chunks ? Buffer.concat(this.chunks).toString('utf8') : undefined,
      ...(this.bodyBytes > cap ? { bodyOverCap: this.bodyBytes } : {}),
      sentAt: this.sentAt,
      firstByteAt: this.firstByteAt,
      endedAt,
      interrupted: false,
    });
    this.chunks = undefined;
    if (this.closeAfter) {
      this.destroy();
      this.released = true;
      this.pool.release(this, false);
    } else this.pool.release(this, true);
  }

  /** The request in flight fails as a protocol error, counted by what broke. */
  private failProtocol(fault: ProtocolFault): void {
    this.pool.count(fault);
    this.fail('protocol_error', false);
  }

  private fail(kind: ErrorKind | undefined, closed: boolean): void {
    const pending = this.current;
    if (pending && kind === undefined && closed) {
      // The body was framed by the connection closing: this close completes it.
      this.closeAfter = true;
      this.complete();
      return;
    }
    const wasDead = this.dead;
    this.destroy();
    this.current = undefined;
    if (!this.released) {
      this.released = true;
      this.pool.release(this, false);
    }
    if (!pending) return;
    const now = performance.now();
    // A keep-alive socket the server closed while idle fails on the next write: that request was
    // never seen by the server, so it is sent again once on a fresh connection.
    if (
      !wasDead &&
      (this.served > 0 || this.preopened) &&
      !pending.retried &&
      kind === 'connection_reset' &&
      this.framing === Framing.Head &&
      this.buffered === undefined
    ) {
      pending.retried = true;
      this.pool.enqueue(pending);
      return;
    }
    pending.resolve({
      status: 0,
      error: kind ?? 'connection_reset',
      sentAt: this.sentAt || now,
      firstByteAt: this.firstByteAt,
      endedAt: now,
      interrupted: wasDead || this.pool.closed,
    });
  }
}

export interface OriginAddress {
  host: string;
  port: number;
  tls: boolean;
  servername?: string;
}

class OriginPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Pending[] = [];
  private waitingHead = 0;
  closed = false;
  /** Responses whose body was longer than their request's maxBodySize (read and counted, not kept). */
  bodiesOverCap = 0;
  /** Framing faults seen on this origin's connections, by kind (see PROTOCOL_FAULTS). */
  readonly faults: ProtocolFaultCounts = {};

  constructor(
    readonly address: OriginAddress,
    private readonly maxConnections: number,
    /** The most body bytes kept of a response whose body is wanted; the rest is read and counted. */
    readonly maxBodySize: number,
  ) {}

  count(fault: ProtocolFault): void {
    this.faults[fault] = (this.faults[fault] ?? 0) + 1;
  }

  enqueue(pending: Pending): void {
    if (this.closed) {
      const now = performance.now();
      pending.resolve({ status: 0, error: 'other', sentAt: now, firstByteAt: 0, endedAt: now, interrupted: true });
      return;
    }
    const connection = this.idle.pop() ?? (this.all.size < this.maxConnections ? this.open() : undefined);
    if (connection) connection.send(pending, performance.now());
    else this.waiting.push(pending);
  }

  /**
   * Open connections up to `count` (at most the pool's size) and wait until they are connected,
   * so the first requests of a schedule do not each pay for a TCP (and TLS) handshake. Only
   * connections: no byte of HTTP is written. Resolves when every socket connected or failed, or
   * after `timeoutMs`; never rejects (a refused connection shows up as the requests' errors).
   */
  async preconnect(count: number, timeoutMs: number): Promise<void> {
    const opening: Array<Promise<void>> = [];
    while (!this.closed && this.all.size < Math.min(count, this.maxConnections)) {
      const connection = this.open();
      opening.push(
        connection.whenConnected().then((connected) => {
          if (!connected || connection.busy || this.closed) return;
          connection.preopened = true;
          this.idle.push(connection);
        }),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(opening), timeout]);
    clearTimeout(timer);
  }

  private open(): Connection {
    const connection = new Connection(this);
    this.all.add(connection);
    return connection;
  }

  release(connection: Connection, reusable: boolean): void {
    if (!reusable) {
      this.all.delete(connection);
      // A socket the server closed while idle must not be handed out again.
      const at = this.idle.indexOf(connection);
      if (at >= 0) this.idle.splice(at, 1);
    }
    if (this.closed) return;
    const next = this.waitingHead < this.waiting.length ? this.waiting[this.waitingHead++] : undefined;
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    if (next) {
      const target = reusable ? connection : this.open();
      target.send(next, performance.now());
    } else if (reusable) this.idle.push(connection);
  }

  sweep(now: number): void {
    for (const connection of this.all) connection.checkTimeout(now);
  }

  destroy(): void {
    this.closed = true;
    for (const connection of [...this.all]) connection.destroy();
    const now = performance.now();
    for (let i = this.waitingHead; i < this.waiting.length; i++)
      this.waiting[i].resolve({ status: 0, error: 'other', sentAt: now, firstByteAt: 0, endedAt: now, interrupted: true });
    this.waiting.length = 0;
    this.waitingHead = 0;
  }
}

/** How often in-flight requests are checked against their timeout: one timer, not one per request. */
const SWEEP_MS = 50;

export class Http1Client {
  private readonly pools = new Map<string, OriginPool>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  /**
   * `maxBodySize`: the most bytes of a wanted body kept (default 8 MiB); a longer body is read to
   * its end (timed, the connection reused) and counted in `bodiesOverCap`, never buffered whole.
   */
  constructor(
    private readonly connections: number,
    private readonly options: { maxBodySize?: number } = {},
  ) {
    this.sweeper = setInterval(() => {
      const now = performance.now();
      for (const pool of this.pools.values()) pool.sweep(now);
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  /** Answers that arrived on idle connections, which no request could be charged with (protocol errors). */
  get unsolicitedResponses(): number {
    return this.protocolFaults().idle_answer ?? 0;
  }

  /** Responses whose body was longer than their maxBodySize, since the client was made. */
  get bodiesOverCap(): number {
    let total = 0;
    for (const pool of this.pools.values()) total += pool.bodiesOverCap;
    return total;
  }

  /** Framing faults since the client was made, by kind, over every origin (a fresh object). */
  protocolFaults(): ProtocolFaultCounts {
    const total: ProtocolFaultCounts = {};
    for (const pool of this.pools.values()) {
      for (const [fault, n] of Object.entries(pool.faults) as Array<[ProtocolFault, number]>) total[fault] = (total[fault] ?? 0) + n;
    }
    return total;
  }

  send(origin: string, request: Http1Request, keepBody: boolean): Promise<Http1Outcome> {
    return new Promise((resolve) => this.submit(origin, request, keepBody, resolve));
  }

  /**
   * The same as send, with a callback instead of a promise: the endpoint probe's sampler sends the
   * next request from inside the previous one's callback, with nothing queued in between.
   */
  submit(origin: string, request: Http1Request, keepBody: boolean, done: Http1Callback): void {
    this.pool(origin).enqueue({ request, keepBody, resolve: done, retried: false });
  }

  private pool(origin: string): OriginPool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new OriginPool(parseOrigin(origin), this.connections, this.options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE);
      if (this.closed) pool.closed = true;
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Open up to `count` connections to the origin before sending anything (see OriginPool.preconnect). */
  preconnect(origin: string, count: number, timeoutMs: number): Promise<void> {
    return this.pool(origin).preconnect(count, timeoutMs);
  }

  destroy(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const pool of this.pools.values()) pool.destroy();
  }
}

export function parseOrigin(origin: string): OriginAddress {
  const url = new URL(origin);
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // SNI carries host names only (RFC 6066): none for an IP address.
  return { host, port: Number(url.port || (tls ? 443 : 80)), tls, servername: tls && isIP(host) === 0 ? host : undefined };
}
