/**
 * perfspec's PostgreSQL wire-protocol proxy: listens on a loopback port, forwards every byte to the
 * real server unchanged, and watches the stream (wire-tracker.ts) to list the statements each
 * request window ran. It asks nothing of the server: no extension, no restart, no privilege.
 *
 * Per client connection:
 *  - before startup, SSLRequest and GSSENCRequest are answered 'N' (the client continues in plain
 *    text; a client that insists on TLS fails with its own clear message), a TLS ClientHello (PG17
 *    direct SSL) is refused, a CancelRequest is forwarded on its own upstream connection;
 *  - after the StartupMessage, bytes are forwarded both ways as they arrive (no copy, no re-framing:
 *    each read goes into a buffer reused from read to read and is written on as it is), with
 *    backpressure; the tracker then reads the same bytes, in the same tick, decoding only the messages
 *    it needs and skipping the rest (DataRow above all) by length;
 *  - messages longer than `maxMessageBytes` are forwarded whole but read only in part (counted in
 *    stats().oversized); a client that never completes its startup, and a connection left half-open
 *    after one side closed, are closed after `idleTimeoutMs`.
 *
 * Memory: inside query windows every statement is kept (a window is one request); outside windows
 * only counters per statement shape with fixed-size time histograms (statement-aggregates.ts).
 *
 * Why endWindow after the HTTP response is exact: the app answers its HTTP request only after it has
 * read its query results, and the proxy records a statement in the same event-loop task in which it
 * forwards the CommandComplete to the app. The probe reads the HTTP response in a later task of this
 * same process, so every statement of the request is recorded before endWindow runs.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { PROXY_CALIBRATION_APPLICATION } from './proxy-cost.js';
import { onreadOption, readAcceptedInto, ReusedReadBuffer } from './reused-read-buffer.js';
import { isUtilityStatement, splitStatements } from './sql-lexer.js';
import { StatementAggregates, type AggregateSummary } from './statement-aggregates.js';
import { TraceAttribution } from './trace-attribution.js';
import type { ExecutedStatement, QueryWindowSource } from './types.js';
import { DEFAULT_MAX_MESSAGE_BYTES, WireTracker, type WireStatement, type WireStatementSink } from './wire-tracker.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Startup packets are small; anything claiming more is not PostgreSQL (or is hostile). */
const MAX_STARTUP_LENGTH = 10_000;
const TLS_HANDSHAKE = 0x16;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Probes a silent peer (a vanished host) so a dead connection does not stay open forever. */
const KEEPALIVE_MS = 60_000;

export interface UpstreamAddress {
  host: string;
  port: number;
  /** A Unix socket path (e.g. /var/run/postgresql/.s.PGSQL.5432); used instead of host/port when set. */
  path?: string;
}

export interface WireProxyOptions {
  upstream: UpstreamAddress;
  /** Address to listen on; loopback by default (the proxy is for the service under test on this machine). */
  listenHost?: string;
  listenPort?: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
  /** Longest message body the tracker buffers (longer ones are forwarded whole, read only in part). Default 1 MiB. */
  maxMessageBytes?: number;
  /** Closes a client that sends no StartupMessage, and a connection half-open after one side closed, after this long. Default 30 s. */
  idleTimeoutMs?: number;
  /** Statement shapes counted outside windows before the rest go to one "other" group. Default 1000. */
  maxShapes?: number;
}

export interface WireProxyStats {
  /** Client connections accepted so far. */
  connections: number;
  /** Client connections open now. */
  open: number;
  /** Statements seen (CommandComplete + ErrorResponse), in or out of windows. */
  statements: number;
  /** Protocol answers that matched nothing: non-zero means some statements may be misattributed. */
  desyncs: number;
  /** Connections whose stream the tracker stopped understanding (bytes kept flowing). */
  broken: number;
  /** Messages longer than maxMessageBytes: forwarded whole, read only in part (their text is cut). */
  oversized: number;
  /** Connections closed because they stayed idle before startup or half-open. */
  timedOut: number;
}

/** A statement as recorded, plus the connection and the startup parameters it came from. */
export interface ProxyStatement extends ExecutedStatement {
  connection: number;
  /** The server process that ran it (matches the [pid] of the server's log lines). */
  backendPid?: number;
  /** application_name from the client's StartupMessage (lets tests and reports tell clients apart). */
  application?: string;
  startedAt: number;
  /** The trace id of the request that ran it (sqlcommenter traceparent), when the app wrote one. */
  traceId?: string;
}

interface ProxySession {
  /** Bytes the client sent after its StartupMessage. */
  fromClient(chunk: Buffer): void;
  clientClosed(): void;
}

const ignore = (): void => undefined;

/** The sink of connections that are forwarded but not counted. */
const UNCOUNTED: WireStatementSink = { recording: false, record: ignore };

interface ClientInfo {
  application?: string;
  user?: string;
  database?: string;
}

export class PgWireProxy implements QueryWindowSource {
  readonly source = 'proxy' as const;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly trackers = new Set<WireTracker>();
  private readonly clientInfo = new Map<number, ClientInfo>();
  /**
   * Connections closed while a window was open: their startup parameters are still needed to label
   * that window's statements (a client that ran its statements and disconnected inside the window),
   * so they are forgotten only when the last window ends.
   */
  private closedDuringWindows: number[] = [];
  private readonly now: () => number;
  private nextConnection = 1;
  private nextWindow = 1;
  /** Statements recorded while at least one window is open; windows keep their start offset into it. */
  private log: WireStatement[] = [];
  private readonly windows = new Map<number, number>();
  private totals = { connections: 0, open: 0, statements: 0, broken: 0, desyncs: 0, oversized: 0, timedOut: 0 };
  private readonly sink: WireStatementSink;
  /** Counters per statement shape for everything that ran outside windows. */
  readonly aggregates: StatementAggregates;
  /** Statements per request, from the traceparent in each statement's sqlcommenter comment. */
  readonly attribution: TraceAttribution;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: WireProxyOptions) {
    this.now = options.now ?? (() => performance.now());
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.aggregates = new StatementAggregates(options.maxShapes);
    this.attribution = new TraceAttribution();
    const windows = this.windows;
    this.sink = {
      get recording() {
        return windows.size > 0;
      },
      record: (statement) => {
        this.log.push(statement);
      },
      aggregates: this.aggregates,
      attribution: this.attribution,
    };
  }

  /** Counts and time histograms per statement shape of the statements run outside windows. */
  aggregateSummary(): AggregateSummary {
    return this.aggregates.summary();
  }

  /** Start listening; resolves with the port (the OS picks one when listenPort is 0 or absent). */
  async listen(): Promise<number> {
    // Paused on connect so the reused read buffer is in place before the first read.
    const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listenPort ?? 0, this.options.listenHost ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('the proxy is not listening');
    return address.port;
  }

  get host(): string {
    return this.options.listenHost ?? '127.0.0.1';
  }

  stats(): WireProxyStats {
    let { desyncs, statements, broken, oversized } = this.totals;
    for (const tracker of this.trackers) {
      desyncs += tracker.desyncs;
      statements += tracker.finished;
      oversized += tracker.oversized;
      if (tracker.broken) broken++;
    }
    return { connections: this.totals.connections, open: this.totals.open, statements, desyncs, broken, oversized, timedOut: this.totals.timedOut };
  }

  /** Start recording statements; windows may overlap (each sees everything from its start). */
  async beginWindow(): Promise<number> {
    return this.beginWindowSync();
  }

  beginWindowSync(): number {
    if (this.windows.size === 0) this.log = [];
    const id = this.nextWindow++;
    this.windows.set(id, this.log.length);
    return id;
  }

  async endWindow(id: number): Promise<ProxyStatement[]> {
    return this.endWindowSync(id);
  }

  /** Stop the window and return its statements in the order the server finished them. */
  endWindowSync(id: number): ProxyStatement[] {
    const start = this.windows.get(id);
    if (start === undefined) throw new Error(`no open query window ${id}`);
    this.windows.delete(id);
    const recorded = this.log.slice(start);
    const statements = this.resolveStatements(recorded);
    if (this.windows.size === 0) {
      this.log = [];
      for (const connection of this.closedDuringWindows) this.clientInfo.delete(connection);
      this.closedDuringWindows = [];
    }
    return statements;
  }

  /** Turn tracker records into statements: one statement of a multi-statement Query per record. */
  private resolveStatements(recorded: WireStatement[]): ProxyStatement[] {
    const pieces = new Map<string, string[]>();
    return recorded.map((record) => {
      let sql = record.text;
      if (record.piece >= 0) {
        let split = pieces.get(record.text);
        if (!split) {
          split = splitStatements(record.text);
          pieces.set(record.text, split);
        }
        // A syntax error anywhere fails the whole text before any of it runs (the server parses it at
        // once), so that one failure belongs to the whole text. A text the lexer splits differently from
        // the server (it should not) also keeps its whole text.
        const wholeTextFailed = record.piece === 0 && split.length > 1 && record.error?.startsWith('42601:') === true;
        sql = wholeTextFailed ? record.text.trim() : (split[record.piece] ?? record.text.trim());
      }
      const statement: ProxyStatement = {
        sql,
        durationMs: record.durationMs,
        utility: isUtilityStatement(sql, record.tag),
        connection: record.connection,
        startedAt: record.startedAt,
      };
      const application = this.clientInfo.get(record.connection)?.application;
      if (application !== undefined) statement.application = application;
      if (record.backendPid !== undefined) statement.backendPid = record.backendPid;
      if (record.params) statement.params = record.params;
      if (record.error !== undefined) statement.error = record.error;
      if (record.tag !== undefined) statement.tag = record.tag;
      if (record.traceId !== undefined) statement.traceId = record.traceId;
      return statement;
    });
  }

  /** Stop accepting, drop every connection (the clients see a closed socket, as on a server restart). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.totals.connections++;
    this.totals.open++;
    const connection = this.nextConnection++;
    client.setNoDelay(true);
    client.setKeepAlive(true, KEEPALIVE_MS);
    this.sockets.add(client);
    let buffered: Buffer = Buffer.alloc(0);
    let session: ProxySession | undefined;
    // A client that connects and never completes its startup holds a socket: close it after a while.
    const startupTimer = setTimeout(() => {
      this.totals.timedOut++;
      dropClient();
    }, this.idleTimeoutMs);
    startupTimer.unref();

    const dropClient = () => {
      clearTimeout(startupTimer);
      this.sockets.delete(client);
      client.destroy();
    };
    client.on('error', () => undefined); // ECONNRESET from a vanished client: 'close' cleans up
    client.on('close', () => {
      clearTimeout(startupTimer);
      this.totals.open--;
      this.sockets.delete(client);
      session?.clientClosed();
    });

    // Startup phase: length-prefixed packets without a type byte, read until the StartupMessage.
    const onStartupData = (chunk: Buffer) => {
      // Copy: the read buffer is reused for the next read.
      buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
      while (buffered.length > 0) {
        if (buffered[0] === TLS_HANDSHAKE) {
          // PG17 direct SSL starts with a TLS ClientHello; the proxy does not terminate TLS.
          dropClient();
          return;
        }
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (length < 8 || length > MAX_STARTUP_LENGTH) {
          dropClient();
          return;
        }
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        const packet = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write('N');
          continue;
        }
        clearTimeout(startupTimer);
        if (code === CANCEL_REQUEST) {
          // A CancelRequest comes on its own connection; the server reads it and closes.
          onClientBytes = ignore;
          this.forwardCancel(packet, client);
          return;
        }
        if (code !== PROTOCOL_3) {
          dropClient();
          return;
        }
        const info = parseStartupParameters(packet);
        this.clientInfo.set(connection, info);
        // perfspec's own calibration connections (proxy-cost.ts) are forwarded, never counted.
        const counted = info.application !== PROXY_CALIBRATION_APPLICATION;
        session = this.startSession(connection, client, clientReader, packet, buffered, counted);
        onClientBytes = session.fromClient;
        return;
      }
    };
    let onClientBytes: (chunk: Buffer) => void = onStartupData;
    const clientReader = new ReusedReadBuffer();
    const reused = readAcceptedInto(client, clientReader, (chunk) => onClientBytes(chunk));
    if (!reused) clientReader.retire = () => undefined; // 'data' chunks are fresh buffers
    client.resume();
  }

  /** Connect upstream, send the StartupMessage, then forward and track both directions. */
  private startSession(connection: number, client: net.Socket, clientReader: ReusedReadBuffer, startup: Buffer, rest: Buffer, counted: boolean): ProxySession {
    const tracker = new WireTracker(connection, counted ? this.sink : UNCOUNTED, this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    const now = this.now;
    const upstreamReader = new ReusedReadBuffer();
    let answered = false;
    let halfOpenTimer: NodeJS.Timeout | undefined;

    const fromServer = (chunk: Buffer) => {
      answered = true;
      // The answer's arrival time is read before forwarding it, so the client write is not DB time.
      const at = now();
      const flowing = client.write(chunk);
      if (client.writableLength > 0) upstreamReader.retire();
      tracker.backend(chunk, at);
      if (!flowing) upstream.pause();
    };
    const upstream = this.connectUpstream(onreadOption(upstreamReader, fromServer));
    upstream.setNoDelay(true);
    upstream.setKeepAlive(true, KEEPALIVE_MS);
    this.sockets.add(upstream);
    if (counted) this.trackers.add(tracker);

    const fromClient = (chunk: Buffer) => {
      // The clock is read before the write: the write wakes the server process, which may run (and
      // finish the statement) on this CPU before the write returns.
      const at = now();
      const flowing = upstream.write(chunk);
      if (upstream.writableLength > 0) clientReader.retire();
      tracker.frontend(chunk, at);
      if (!flowing) client.pause();
    };

    upstream.write(startup);
    if (rest.length > 0) fromClient(rest);
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());

    const closeLater = (socket: net.Socket) => {
      // One side is gone; the other gets its end, and is closed if it stays half-open.
      socket.end();
      halfOpenTimer ??= setTimeout(() => {
        this.totals.timedOut++;
        socket.destroy();
      }, this.idleTimeoutMs);
      halfOpenTimer.unref();
    };

    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // The server is down or went away. Before it said anything, tell the client why in its own
      // protocol (a FATAL ErrorResponse), so the app logs a reason instead of "connection terminated".
      if (!answered && client.writable) {
        client.write(buildErrorResponse('08006', `perfspec proxy could not reach PostgreSQL at ${this.upstreamName}: ${error.code ?? error.message}`));
      }
    });
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      if (this.trackers.delete(tracker)) {
        this.totals.desyncs += tracker.desyncs;
        this.totals.statements += tracker.finished;
        this.totals.oversized += tracker.oversized;
        if (tracker.broken) this.totals.broken++;
      }
      if (this.windows.size === 0) this.clientInfo.delete(connection);
      else this.closedDuringWindows.push(connection);
      if (client.destroyed) clearTimeout(halfOpenTimer);
      else closeLater(client);
    });
    return {
      fromClient,
      clientClosed: () => {
        clearTimeout(halfOpenTimer);
        if (!upstream.destroyed) upstream.destroy();
      },
    };
  }

  private connectUpstream(onread?: net.OnReadOpts): net.Socket {
    const { host, port, path } = this.options.upstream;
    const read = onread ? { onread } : {};
    return path ? net.connect({ path, ...read }) : net.connect({ host, port, ...read });
  }

  /** The upstream address for messages. */
  get upstreamName(): string {
    const { host, port, path } = this.options.upstream;
    return path ?? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  }

  private forwardCancel(packet: Buffer, client: net.Socket): void {
    const upstream = this.connectUpstream();
    this.sockets.add(upstream);
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.end();
    });
    upstream.end(packet);
  }
}

/** user, database and application_name from a StartupMessage (key\0value\0 pairs after the version). */
export function parseStartupParameters(packet: Buffer): ClientInfo {
  const info: ClientInfo = {};
  const fields = packet.toString('utf8', 8, packet.length).split('\0');
  for (let k = 0; k + 1 < fields.length; k += 2) {
    if (fields[k] === 'application_name') info.application = fields[k + 1];
    else if (fields[k] === 'user') info.user = fields[k + 1];
    else if (fields[k] === 'database') info.database = fields[k + 1];
  }
  return info;
}

/** A FATAL ErrorResponse message, as a server would send it. */
export function buildErrorResponse(sqlstate: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlstate}\0M${message}\0\0`, 'utf8');
  const out = Buffer.alloc(5 + fields.length);
  out[0] = 0x45;
  out.writeInt32BE(4 + fields.length, 1);
  fields.copy(out, 5);
  return out;
}
