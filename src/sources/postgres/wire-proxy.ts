/**
 * perfspec's PostgreSQL wire-protocol proxy: listens on a loopback port, forwards every byte to the
 * real server unchanged, and watches the stream (wire-tracker.ts) to list the statements each
 * request window ran. It asks nothing of the server: no extension, no restart, no privilege.
 *
 * Per client connection:
 *  - before startup, SSLRequest and GSSENCRequest are answered 'N' (the client continues in plain
 *    text; a client that insists on TLS fails with its own clear message), a TLS ClientHello (PG17
 *    direct SSL) is refused, a CancelRequest is forwarded on its own upstream connection;
 *  - after the StartupMessage, bytes are piped both ways with backpressure, and each direction is fed
 *    to the tracker after it is written, in the same tick.
 *
 * Why endWindow after the HTTP response is exact: the app answers its HTTP request only after it has
 * read its query results, and the proxy records a statement in the same event-loop task in which it
 * forwards the CommandComplete to the app. The probe reads the HTTP response in a later task of this
 * same process, so every statement of the request is recorded before endWindow runs.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { isUtilityStatement, splitStatements } from './sql-lexer.js';
import type { ExecutedStatement, QueryWindowSource } from './types.js';
import { WireTracker, type WireStatement, type WireStatementSink } from './wire-tracker.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Startup packets are small; anything claiming more is not PostgreSQL (or is hostile). */
const MAX_STARTUP_LENGTH = 10_000;
const TLS_HANDSHAKE = 0x16;

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
}

/** A statement as recorded, plus the connection and the startup parameters it came from. */
export interface ProxyStatement extends ExecutedStatement {
  connection: number;
  /** The server process that ran it (matches the [pid] of the server's log lines). */
  backendPid?: number;
  /** application_name from the client's StartupMessage (lets tests and reports tell clients apart). */
  application?: string;
  startedAt: number;
}

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
  private readonly now: () => number;
  private nextConnection = 1;
  private nextWindow = 1;
  /** Statements recorded while at least one window is open; windows keep their start offset into it. */
  private log: WireStatement[] = [];
  private readonly windows = new Map<number, number>();
  private totals = { connections: 0, open: 0, statements: 0, broken: 0, desyncs: 0 };
  private readonly sink: WireStatementSink;

  constructor(private readonly options: WireProxyOptions) {
    this.now = options.now ?? (() => performance.now());
    const windows = this.windows;
    this.sink = {
      get recording() {
        return windows.size > 0;
      },
      record: (statement) => {
        this.log.push(statement);
      },
    };
  }

  /** Start listening; resolves with the port (the OS picks one when listenPort is 0 or absent). */
  async listen(): Promise<number> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
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
    let { desyncs, statements, broken } = this.totals;
    for (const tracker of this.trackers) {
      desyncs += tracker.desyncs;
      statements += tracker.finished;
      if (tracker.broken) broken++;
    }
    return { connections: this.totals.connections, open: this.totals.open, statements, desyncs, broken };
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
    if (this.windows.size === 0) this.log = [];
    return this.resolveStatements(recorded);
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
    this.sockets.add(client);
    let buffered: Buffer = Buffer.alloc(0);
    let upstream: net.Socket | undefined;

    const dropClient = () => {
      this.sockets.delete(client);
      client.destroy();
    };
    client.on('error', () => undefined); // ECONNRESET from a vanished client: 'close' cleans up
    client.on('close', () => {
      this.totals.open--;
      this.sockets.delete(client);
      upstream?.destroy();
    });

    // Startup phase: length-prefixed packets without a type byte, read until the StartupMessage.
    const onStartupData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
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
        client.off('data', onStartupData);
        if (code === CANCEL_REQUEST) {
          // A CancelRequest comes on its own connection; the server reads it and closes.
          this.forwardCancel(packet, client);
          return;
        }
        if (code !== PROTOCOL_3) {
          dropClient();
          return;
        }
        this.clientInfo.set(connection, parseStartupParameters(packet));
        upstream = this.startSession(connection, client, packet, buffered);
        return;
      }
    };
    client.on('data', onStartupData);
  }

  /** Connect upstream, send the StartupMessage, then pipe and track both directions. */
  private startSession(connection: number, client: net.Socket, startup: Buffer, rest: Buffer): net.Socket {
    const tracker = new WireTracker(connection, this.sink);
    const upstream = this.connectUpstream();
    upstream.setNoDelay(true);
    this.sockets.add(upstream);
    this.trackers.add(tracker);
    let answered = false;

    upstream.write(startup);
    if (rest.length > 0) {
      upstream.write(rest);
      tracker.frontend(rest, this.now());
    }

    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
      tracker.frontend(chunk, this.now());
    });
    upstream.on('drain', () => client.resume());

    upstream.on('data', (chunk: Buffer) => {
      answered = true;
      if (!client.write(chunk)) upstream.pause();
      tracker.backend(chunk, this.now());
    });
    client.on('drain', () => upstream.resume());

    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // The server is down or went away. Before it said anything, tell the client why in its own
      // protocol (a FATAL ErrorResponse), so the app logs a reason instead of "connection terminated".
      if (!answered && client.writable) {
        client.write(buildErrorResponse('08006', `perfspec proxy could not reach PostgreSQL at ${this.upstreamName}: ${error.code ?? error.message}`));
      }
    });
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      this.trackers.delete(tracker);
      this.totals.desyncs += tracker.desyncs;
      this.totals.statements += tracker.finished;
      if (tracker.broken) this.totals.broken++;
      this.clientInfo.delete(connection);
      client.end();
    });
    return upstream;
  }

  private connectUpstream(): net.Socket {
    const { host, port, path } = this.options.upstream;
    return path ? net.connect({ path }) : net.connect({ host, port });
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
