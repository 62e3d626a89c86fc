/**
 * Follows one PostgreSQL client connection's message stream in both directions (after startup) and
 * reports each statement the server finished. Pure: bytes and a clock reading in, records out; the
 * sockets live in wire-proxy.ts. Unit tests feed it byte streams cut at every possible point.
 *
 * What counts (measured on PG15, see the research notes): one statement per backend CommandComplete
 * ('C') and per ErrorResponse ('E') answering a statement. Counting the frontend's Query/Parse would
 * undercount a multi-statement simple Query ('SELECT 1; SELECT 2' is one 'Q' and two 'C') and a named
 * prepared statement run many times (one 'P', many 'E'xecute).
 *
 * To know which SQL a 'C' or 'E' belongs to, the tracker queues the frontend operations the server
 * answers in order: Parse → ParseComplete, Bind → BindComplete, Execute → CommandComplete /
 * EmptyQueryResponse / PortalSuspended / ErrorResponse, Query, FunctionCall and Sync → ReadyForQuery.
 * Describe and Close are not queued (their answers carry no statement). After an error in the
 * extended protocol the server skips everything up to the next Sync, and so does the tracker.
 *
 * Hot path: the scanner reads headers in place and skips DataRow bodies without copying; only the
 * messages that carry SQL, parameters or a result tag are decoded.
 */
import { traceIdAt } from './sqlcommenter.js';
import { shapeHash } from './statement-shape.js';

/** What the tracker reports for one finished statement. */
export interface WireStatement {
  connection: number;
  backendPid?: number;
  /** Parse text (extended protocol) or the whole Query text (simple protocol; see `piece`). */
  text: string;
  /** For a simple Query: which of its statements this is (0-based); -1 for the extended protocol. */
  piece: number;
  startedAt: number;
  durationMs: number;
  params?: Array<string | null>;
  /** "SQLSTATE: message" of an ErrorResponse. */
  error?: string;
  /** CommandComplete tag, e.g. "SELECT 3". */
  tag?: string;
  /** The trace id of the request that ran it, from the statement's sqlcommenter comment. */
  traceId?: string;
}

export interface WireStatementSink {
  /** Whether a window is open: parameters are decoded and statements reported only then. */
  readonly recording: boolean;
  record(statement: WireStatement): void;
  /** Counters per statement shape for statements outside windows (optional: tests may leave it out). */
  readonly aggregates?: StatementAggregateSink;
  /** Statements per request (trace id), in and out of windows (optional). */
  readonly attribution?: TraceAttributionSink;
}

/** The part of trace-attribution.ts the tracker uses. */
export interface TraceAttributionSink {
  knowsText(shape: number): boolean;
  describe(shape: number, text: string): void;
  add(traceId: string | undefined, shape: number, durationMs: number, failed: boolean): void;
}

/** The part of statement-aggregates.ts the tracker uses (kept narrow so tests can fake it). */
export interface StatementAggregateSink {
  has(shape: number): boolean;
  describe(shape: number, text: string): void;
  add(shape: number, durationMs: number, failed: boolean): void;
}

/** Bodies longer than this are not buffered whole by default: their first bytes are read, the rest only forwarded. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

// Message type bytes.
const F_PARSE = 0x50; // 'P'
const F_BIND = 0x42; // 'B'
const F_EXECUTE = 0x45; // 'E'
const F_SYNC = 0x53; // 'S'
const F_QUERY = 0x51; // 'Q'
const F_FUNCTION = 0x46; // 'F'
const F_CLOSE = 0x43; // 'C'
const B_PARSE_COMPLETE = 0x31; // '1'
const B_BIND_COMPLETE = 0x32; // '2'
const B_COMMAND_COMPLETE = 0x43; // 'C'
const B_EMPTY_QUERY = 0x49; // 'I'
const B_PORTAL_SUSPENDED = 0x73; // 's'
const B_ERROR = 0x45; // 'E'
const B_READY = 0x5a; // 'Z'
const B_KEY_DATA = 0x4b; // 'K'

const IGNORE = 0;
const NOTIFY = 1;
const BODY = 2;

const FRONTEND_WANTS = new Uint8Array(256);
FRONTEND_WANTS[F_PARSE] = BODY;
FRONTEND_WANTS[F_BIND] = BODY;
FRONTEND_WANTS[F_EXECUTE] = BODY;
FRONTEND_WANTS[F_QUERY] = BODY;
FRONTEND_WANTS[F_CLOSE] = BODY;
FRONTEND_WANTS[F_SYNC] = NOTIFY;
FRONTEND_WANTS[F_FUNCTION] = NOTIFY;

const BACKEND_WANTS = new Uint8Array(256);
BACKEND_WANTS[B_COMMAND_COMPLETE] = BODY;
BACKEND_WANTS[B_ERROR] = BODY;
BACKEND_WANTS[B_PARSE_COMPLETE] = NOTIFY;
BACKEND_WANTS[B_BIND_COMPLETE] = NOTIFY;
BACKEND_WANTS[B_EMPTY_QUERY] = NOTIFY;
BACKEND_WANTS[B_PORTAL_SUSPENDED] = NOTIFY;
BACKEND_WANTS[B_READY] = NOTIFY;
BACKEND_WANTS[B_KEY_DATA] = BODY;

const EMPTY = Buffer.alloc(0);
/** Shape of statements whose text the tracker never saw (an Execute of an unknown portal). */
const UNKNOWN_SHAPE = 0;

/**
 * Splits a byte stream into protocol messages (1-byte type, int32 length including itself, body)
 * across arbitrary chunk boundaries. Bodies of wanted types are handed over as views of the chunk when
 * they fit in it (no copy) and assembled only when they straddle chunks.
 */
export class FrameScanner {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private type = 0;
  /** Body bytes still to come for the current message; -1 while reading a header. */
  private remaining = -1;
  private parts: Buffer[] | null = null;
  /** Bytes kept of the current body (at most maxBody). */
  private kept = 0;
  private bodyLength = 0;
  /** Set when a length is impossible: the stream is no longer understood (bytes still flow). */
  broken = false;
  /** Wanted messages longer than maxBody: only their first maxBody bytes were read. */
  oversized = 0;

  /**
   * onMessage gets the body, or its first maxBody bytes when it is longer, and the full body length
   * (body.length < length means the message was cut; it was forwarded whole all the same).
   */
  constructor(
    private readonly wants: Uint8Array,
    private readonly onMessage: (type: number, body: Buffer, length: number) => void,
    private readonly maxBody = DEFAULT_MAX_MESSAGE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.remaining < 0) {
        let length: number;
        if (this.headerFill === 0 && n - i >= 5) {
          this.type = chunk[i];
          length = chunk.readInt32BE(i + 1);
          i += 5;
        } else {
          const take = Math.min(5 - this.headerFill, n - i);
          chunk.copy(this.header, this.headerFill, i, i + take);
          this.headerFill += take;
          i += take;
          if (this.headerFill < 5) return;
          this.headerFill = 0;
          this.type = this.header[0];
          length = this.header.readInt32BE(1);
        }
        if (length < 4) {
          this.broken = true;
          return;
        }
        const bodyLength = length - 4;
        const want = this.wants[this.type];
        if (want === BODY && n - i >= bodyLength) {
          // Fast path: the whole body is in this chunk.
          if (bodyLength > this.maxBody) this.oversized++;
          this.onMessage(this.type, bodyLength === 0 ? EMPTY : chunk.subarray(i, i + Math.min(bodyLength, this.maxBody)), bodyLength);
          i += bodyLength;
          continue;
        }
        if (bodyLength === 0) {
          if (want !== IGNORE) this.onMessage(this.type, EMPTY, 0);
          continue;
        }
        this.remaining = bodyLength;
        this.bodyLength = bodyLength;
        this.kept = 0;
        if (want === BODY) this.parts = [];
      }
      const take = Math.min(this.remaining, n - i);
      if (this.parts && this.kept < this.maxBody) {
        // Copy: the chunk's memory is reused for the next read. Past maxBody, bytes are only skipped.
        const keep = Math.min(take, this.maxBody - this.kept);
        this.parts.push(Buffer.from(chunk.subarray(i, i + keep)));
        this.kept += keep;
      }
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) {
        this.remaining = -1;
        const want = this.wants[this.type];
        if (want === BODY) {
          const body = Buffer.concat(this.parts ?? []);
          this.parts = null;
          if (this.bodyLength > this.maxBody) this.oversized++;
          this.onMessage(this.type, body, this.bodyLength);
        } else if (want === NOTIFY) {
          this.onMessage(this.type, EMPTY, 0);
        }
      }
    }
  }
}

interface Portal {
  sql: string;
  shape: number;
  traceId?: string;
  params?: Array<string | null>;
  /** When the first Execute of a portal that the server suspended (row limit) started. */
  suspendedSince?: number;
}

const enum Op {
  Parse,
  Bind,
  Execute,
  Sync,
  Query,
  Function,
}

interface PendingOp {
  op: Op;
  receivedAt: number;
  /** Parse text or Query text. */
  sql?: string;
  /** Shape of the Parse or Query text (statement-shape.ts), for the counters outside windows. */
  shape?: number;
  portal?: Portal;
  /** Query: index of the next statement of the text to complete. */
  piece?: number;
  /** Query: the trace id of its sqlcommenter comment. */
  traceId?: string;
}

/** A text the proxy read only the start of (its message was longer than the proxy's cap). */
function cutText(text: string, length: number): string {
  return `${text}… (message of ${length} bytes; the proxy read only its first bytes)`;
}

/** Reads a NUL-terminated string at `offset`; returns the text and the offset after the NUL. */
function readCString(body: Buffer, offset: number): [string, number] {
  let end = body.indexOf(0, offset);
  if (end === -1) end = body.length;
  return [end === offset ? '' : body.toString('utf8', offset, end), end + 1];
}

/** Decode Bind parameters: text formats as text, binary as \x hex (the way psql shows bytea), NULL as null. */
function decodeBindParams(body: Buffer, offset: number): Array<string | null> {
  const formatCount = body.readInt16BE(offset);
  offset += 2;
  const formats: number[] = [];
  for (let k = 0; k < formatCount; k++) formats.push(body.readInt16BE(offset + 2 * k));
  offset += 2 * formatCount;
  const paramCount = body.readInt16BE(offset);
  offset += 2;
  const params: Array<string | null> = [];
  for (let k = 0; k < paramCount; k++) {
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0) {
      params.push(null);
      continue;
    }
    const format = formatCount === 0 ? 0 : formatCount === 1 ? formats[0] : formats[k];
    params.push(format === 1 ? `\\x${body.toString('hex', offset, offset + length)}` : body.toString('utf8', offset, offset + length));
    offset += length;
  }
  return params;
}

/** "SQLSTATE: message" from an ErrorResponse body (fields: 1-byte code, NUL-terminated text). */
export function describeErrorResponse(body: Buffer): string {
  let code = '';
  let message = '';
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const field = body[offset];
    const [value, next] = readCString(body, offset + 1);
    if (field === 0x43)
      code = value; // 'C' SQLSTATE
    else if (field === 0x4d) message = value; // 'M' message
    offset = next;
  }
  return code ? `${code}: ${message}` : message;
}

interface PreparedStatement {
  /** Undefined when parsed outside windows without a name (the text is needed only for windows). */
  sql: string | undefined;
  shape: number;
  /** From the Parse text's sqlcommenter comment: every execution of the statement is that request's. */
  traceId?: string;
}

export class WireTracker {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly pending: PendingOp[] = [];
  private head = 0;
  /** After an ErrorResponse in the extended protocol the server ignores messages until Sync. */
  private skipUntilSync = false;
  /** When the server last finished something on this connection: a pipelined Execute starts no earlier. */
  private lastDoneAt = 0;
  private now = 0;
  private readonly frontendScanner: FrameScanner;
  private readonly backendScanner: FrameScanner;
  private failed = false;
  /** Answers that matched no pending operation; non-zero means the tracker lost step (reported, never thrown). */
  desyncs = 0;
  /** Statements finished on this connection, in or out of windows. */
  finished = 0;
  /** The server process serving this connection (from BackendKeyData), to match the server's logs. */
  backendPid: number | undefined;

  constructor(
    readonly connection: number,
    private readonly sink: WireStatementSink,
    maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    this.frontendScanner = new FrameScanner(FRONTEND_WANTS, (type, body, length) => this.onFrontend(type, body, length), maxMessageBytes);
    this.backendScanner = new FrameScanner(BACKEND_WANTS, (type, body, length) => this.onBackend(type, body, length), maxMessageBytes);
  }

  /** Messages longer than the cap, read only in part (forwarded whole). */
  get oversized(): number {
    return this.frontendScanner.oversized + this.backendScanner.oversized;
  }

  /** Bytes the client sent after its StartupMessage. */
  frontend(chunk: Buffer, now: number): void {
    if (this.failed) return;
    this.now = now;
    try {
      this.frontendScanner.push(chunk);
    } catch {
      // A malformed message must never take the proxy (and the app's connection) down: stop watching.
      this.failed = true;
    }
  }

  /** Bytes the server sent (from its first authentication message on). */
  backend(chunk: Buffer, now: number): void {
    if (this.failed) return;
    this.now = now;
    try {
      this.backendScanner.push(chunk);
    } catch {
      this.failed = true;
    }
  }

  /** True once the tracker stopped understanding the stream; the bytes still flow unchanged. */
  get broken(): boolean {
    return this.failed || this.frontendScanner.broken || this.backendScanner.broken;
  }

  private push(op: PendingOp): void {
    this.pending.push(op);
  }

  private peek(): PendingOp | undefined {
    return this.head < this.pending.length ? this.pending[this.head] : undefined;
  }

  private shift(): void {
    this.head++;
    if (this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    }
  }

  /** The statement text at `offset` of a Query or Parse body, and its shape; text only when needed. */
  private readText(body: Buffer, offset: number, length: number, needText: boolean): { sql: string | undefined; shape: number; traceId: string | undefined } {
    const shape = shapeHash(body, offset, body.length);
    const attribution = this.sink.attribution;
    // A cut message lost its end, and with it the comment: such a statement stays unattributed.
    const traceId = attribution !== undefined && body.length === length ? traceIdAt(body, offset, body.length) : undefined;
    const aggregates = this.sink.aggregates;
    const describe = !this.sink.recording && aggregates !== undefined && !aggregates.has(shape);
    const name = attribution !== undefined && !attribution.knowsText(shape);
    if (!needText && !describe && !name) return { sql: undefined, shape, traceId };
    let [sql] = readCString(body, offset);
    if (body.length < length) sql = cutText(sql, length);
    if (describe) aggregates?.describe(shape, sql);
    if (name) attribution?.describe(shape, sql);
    return { sql, shape, traceId };
  }

  private onFrontend(type: number, body: Buffer, length: number): void {
    if (type === F_SYNC) {
      this.skipUntilSync = false;
      this.push({ op: Op.Sync, receivedAt: this.now });
      return;
    }
    if (this.skipUntilSync) return; // the server discards these, so they never get an answer
    switch (type) {
      case F_QUERY: {
        const { sql, shape, traceId } = this.readText(body, 0, length, this.sink.recording);
        this.push({ op: Op.Query, receivedAt: this.now, sql, shape, piece: 0, traceId });
        return;
      }
      case F_PARSE: {
        const [name, offset] = readCString(body, 0);
        // A named statement may run in a later window, so its text is kept; an unnamed one only in windows.
        const { sql, shape, traceId } = this.readText(body, offset, length, this.sink.recording || name !== '');
        // A named statement keeps the trace of its Parse until it is parsed again.
        this.statements.set(name, { sql, shape, traceId });
        this.push({ op: Op.Parse, receivedAt: this.now, sql, shape, traceId });
        return;
      }
      case F_BIND: {
        const [portalName, offset] = readCString(body, 0);
        const [statementName, paramsOffset] = readCString(body, offset);
        const statement = this.statements.get(statementName);
        const sql = statement ? (statement.sql ?? '<statement parsed before the window>') : `<unknown prepared statement "${statementName}">`;
        const portal: Portal = { sql, shape: statement?.shape ?? UNKNOWN_SHAPE, traceId: statement?.traceId };
        if (this.sink.recording && body.length === length) portal.params = decodeBindParams(body, paramsOffset);
        this.portals.set(portalName, portal);
        this.push({ op: Op.Bind, receivedAt: this.now, portal });
        return;
      }
      case F_EXECUTE: {
        const [portalName] = readCString(body, 0);
        const portal = this.portals.get(portalName) ?? { sql: `<unknown portal "${portalName}">`, shape: UNKNOWN_SHAPE };
        this.push({ op: Op.Execute, receivedAt: this.now, portal });
        return;
      }
      case F_FUNCTION:
        this.push({ op: Op.Function, receivedAt: this.now });
        return;
      case F_CLOSE: {
        // Forget closed statements and portals so long-lived connections do not accumulate them.
        const [name] = readCString(body, 1);
        if (body[0] === 0x53) this.statements.delete(name);
        else this.portals.delete(name);
        return;
      }
    }
  }

  private onBackend(type: number, body: Buffer, _length: number): void {
    const op = this.peek();
    switch (type) {
      case B_PARSE_COMPLETE:
        if (op?.op === Op.Parse) this.shift();
        else this.desyncs++;
        return;
      case B_BIND_COMPLETE:
        if (op?.op === Op.Bind) this.shift();
        else this.desyncs++;
        return;
      case B_COMMAND_COMPLETE: {
        if (op?.op === Op.Execute) {
          const portal = op.portal as Portal;
          const tag = this.sink.recording ? readCString(body, 0)[0] : undefined;
          this.finish(portal.sql, portal.shape, -1, portal.suspendedSince ?? op.receivedAt, portal.params, undefined, tag, portal.traceId);
          portal.suspendedSince = undefined;
          this.shift();
        } else if (op?.op === Op.Query) {
          const tag = this.sink.recording ? readCString(body, 0)[0] : undefined;
          this.finish(op.sql, op.shape as number, op.piece as number, op.receivedAt, undefined, undefined, tag, op.traceId);
          op.piece = (op.piece as number) + 1;
          // The next statement of the same text starts when this one ends.
          op.receivedAt = this.now;
        } else if (op?.op !== Op.Function) {
          this.desyncs++;
        }
        return;
      }
      case B_EMPTY_QUERY:
        if (op?.op === Op.Execute) this.shift();
        return;
      case B_PORTAL_SUSPENDED:
        if (op?.op === Op.Execute) {
          const portal = op.portal as Portal;
          portal.suspendedSince ??= Math.max(op.receivedAt, this.lastDoneAt);
          this.shift();
        } else {
          this.desyncs++;
        }
        return;
      case B_ERROR:
        this.onError(op, body);
        return;
      case B_READY:
        this.onReady(op);
        return;
      case B_KEY_DATA:
        if (body.length >= 4) this.backendPid = body.readInt32BE(0);
        return;
    }
  }

  private onError(op: PendingOp | undefined, body: Buffer): void {
    // No pending statement: a connection-level error (authentication, FATAL on shutdown) or an error
    // raised at Sync (the implicit COMMIT); neither is a statement of its own.
    if (!op || op.op === Op.Sync || op.op === Op.Function) return;
    const error = this.sink.recording ? describeErrorResponse(body) : 'failed';
    if (op.op === Op.Query) {
      this.finish(op.sql, op.shape as number, op.piece as number, op.receivedAt, undefined, error, undefined, op.traceId);
      op.piece = (op.piece as number) + 1;
      return; // the rest of the text is skipped; ReadyForQuery ends the Query
    }
    const sql = op.op === Op.Parse ? op.sql : (op.portal as Portal).sql;
    const shape = op.op === Op.Parse ? (op.shape as number) : (op.portal as Portal).shape;
    const params = op.op === Op.Parse ? undefined : op.portal?.params;
    const traceId = op.op === Op.Parse ? op.traceId : (op.portal as Portal).traceId;
    this.finish(sql, shape, -1, op.receivedAt, params, error, undefined, traceId);
    // The server now discards everything up to Sync: drop what was queued behind the failed message.
    while (this.peek() && this.peek()?.op !== Op.Sync) this.shift();
    if (!this.peek()) this.skipUntilSync = true;
  }

  private onReady(op: PendingOp | undefined): void {
    if (!op) return; // the ReadyForQuery that ends startup
    if (op.op === Op.Query || op.op === Op.Sync || op.op === Op.Function) {
      this.shift();
      return;
    }
    // Unanswered Parse/Bind/Execute before ReadyForQuery: we lost step. Resynchronise at the
    // operation this ReadyForQuery ends, so one bad guess cannot shift every later statement.
    this.desyncs++;
    while (this.peek()) {
      const next = this.peek() as PendingOp;
      this.shift();
      if (next.op === Op.Query || next.op === Op.Sync || next.op === Op.Function) break;
    }
  }

  private finish(
    text: string | undefined,
    shape: number,
    piece: number,
    receivedAt: number,
    params: Array<string | null> | undefined,
    error: string | undefined,
    tag?: string,
    traceId?: string,
  ): void {
    // DB time: from the message that started it (or the end of the statement before it on this
    // connection, whichever is later: pipelined messages wait for the server) to its answer.
    const startedAt = Math.max(receivedAt, this.lastDoneAt);
    const durationMs = Math.max(0, this.now - startedAt);
    this.lastDoneAt = this.now;
    this.finished++;
    this.sink.attribution?.add(traceId, shape, durationMs, error !== undefined);
    if (!this.sink.recording) {
      this.sink.aggregates?.add(shape, durationMs, error !== undefined);
      return;
    }
    const statement: WireStatement = { connection: this.connection, text: text ?? '<statement started before the window>', piece, startedAt, durationMs };
    if (this.backendPid !== undefined) statement.backendPid = this.backendPid;
    if (params) statement.params = params;
    if (error !== undefined) statement.error = error;
    if (tag !== undefined) statement.tag = tag;
    if (traceId !== undefined) statement.traceId = traceId;
    this.sink.record(statement);
  }
}
