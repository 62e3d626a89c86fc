import { describe, expect, it } from 'vitest';
import { StatementAggregates } from '../../src/sources/postgres/statement-aggregates.js';
import { FrameScanner, WireTracker, describeErrorResponse, type WireStatement } from '../../src/sources/postgres/wire-tracker.js';

// --- message builders (the byte layouts of the PostgreSQL v3 protocol) ---
function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstr = (text: string) => Buffer.from(`${text}\0`, 'utf8');
const int16 = (value: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(value);
  return b;
};
const int32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
};

const F = {
  query: (sql: string) => message('Q', cstr(sql)),
  parse: (sql: string, name = '') => message('P', Buffer.concat([cstr(name), cstr(sql), int16(0)])),
  bind: (params: Array<string | null | Buffer>, statement = '', portal = '') => {
    const binary = params.some((p) => Buffer.isBuffer(p));
    const parts: Buffer[] = [cstr(portal), cstr(statement)];
    if (binary) {
      parts.push(int16(params.length));
      for (const p of params) parts.push(int16(Buffer.isBuffer(p) ? 1 : 0));
    } else {
      parts.push(int16(0));
    }
    parts.push(int16(params.length));
    for (const p of params) {
      if (p === null) parts.push(int32(-1));
      else {
        const bytes = Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8');
        parts.push(int32(bytes.length), bytes);
      }
    }
    parts.push(int16(0));
    return message('B', Buffer.concat(parts));
  },
  describe: (portal = '') => message('D', Buffer.concat([Buffer.from('P'), cstr(portal)])),
  execute: (portal = '', maxRows = 0) => message('E', Buffer.concat([cstr(portal), int32(maxRows)])),
  sync: () => message('S'),
  flush: () => message('H'),
  close: (kind: 'S' | 'P', name: string) => message('C', Buffer.concat([Buffer.from(kind), cstr(name)])),
};

const B = {
  parseComplete: () => message('1'),
  bindComplete: () => message('2'),
  rowDescription: () => message('T', Buffer.concat([int16(1), cstr('x'), int32(0), int16(0), int32(23), int16(4), int32(-1), int16(0)])),
  noData: () => message('n'),
  dataRow: (value: string) => message('D', Buffer.concat([int16(1), int32(Buffer.byteLength(value)), Buffer.from(value)])),
  complete: (tag: string) => message('C', cstr(tag)),
  empty: () => message('I'),
  suspended: () => message('s'),
  ready: (status = 'I') => message('Z', Buffer.from(status)),
  error: (code: string, text: string) => message('E', Buffer.concat([cstr('SERROR'), cstr(`C${code}`), cstr(`M${text}`), Buffer.from([0])])),
  notice: (text: string) => message('N', Buffer.concat([cstr('SNOTICE'), cstr(`M${text}`), Buffer.from([0])])),
  auth: () => message('R', int32(0)),
  parameterStatus: (name: string, value: string) => message('S', Buffer.concat([cstr(name), cstr(value)])),
  keyData: () => message('K', Buffer.concat([int32(42), int32(7)])),
};

const RESULT_ONE_ROW = [B.rowDescription(), B.dataRow('1')];

/** One exchange: what the client sent, then what the server answered. */
type Exchange = [frontend: Buffer[], backend: Buffer[]];

interface Recorder {
  recording: boolean;
  statements: WireStatement[];
  record(statement: WireStatement): void;
}

function recorder(recording = true): Recorder {
  return {
    recording,
    statements: [],
    record(statement) {
      this.statements.push(statement);
    },
  };
}

/** Feed exchanges to a tracker, every direction's bytes cut into pieces of `cut` bytes (0 = whole). */
function run(exchanges: Exchange[], cut = 0, sink = recorder()): { tracker: WireTracker; statements: WireStatement[] } {
  const tracker = new WireTracker(1, sink);
  let clock = 0;
  const feed = (bytes: Buffer, into: (chunk: Buffer, now: number) => void) => {
    if (cut === 0) into(bytes, ++clock);
    else for (let i = 0; i < bytes.length; i += cut) into(bytes.subarray(i, i + cut), ++clock);
  };
  // Startup answers (authentication, parameters, key data, the first ReadyForQuery) match no operation.
  feed(Buffer.concat([B.auth(), B.parameterStatus('server_version', '15.0'), B.keyData(), B.ready()]), (c, n) => tracker.backend(c, n));
  for (const [frontend, backend] of exchanges) {
    feed(Buffer.concat(frontend), (c, n) => tracker.frontend(c, n));
    feed(Buffer.concat(backend), (c, n) => tracker.backend(c, n));
  }
  return { tracker, statements: sink.statements };
}

const summary = (statements: WireStatement[]) => statements.map((s) => ({ text: s.text, piece: s.piece, params: s.params, error: s.error, tag: s.tag }));

/** Same records whole and cut at every byte count from 1 to 17: chunk boundaries must not matter. */
function expectStableUnderChunking(exchanges: Exchange[]) {
  const whole = summary(run(exchanges).statements);
  for (let cut = 1; cut <= 17; cut++) expect(summary(run(exchanges, cut).statements)).toEqual(whole);
  return whole;
}

describe('WireTracker', () => {
  it('counts one statement per CommandComplete of a simple query', () => {
    const statements = expectStableUnderChunking([[[F.query('SELECT 1')], [...RESULT_ONE_ROW, B.complete('SELECT 1'), B.ready()]]]);
    expect(statements).toEqual([{ text: 'SELECT 1', piece: 0, params: undefined, error: undefined, tag: 'SELECT 1' }]);
  });

  it('learns the backend process id from BackendKeyData', () => {
    const { tracker, statements } = run([[[F.query('SELECT 1')], [B.complete('SELECT 1'), B.ready()]]], 3);
    expect(tracker.backendPid).toBe(42);
    expect(statements[0].backendPid).toBe(42);
  });

  it('counts each statement of a multi-statement simple query, in order', () => {
    const statements = expectStableUnderChunking([
      [
        [F.query('SELECT 1; SELECT 2; SELECT 3')],
        [...RESULT_ONE_ROW, B.complete('SELECT 1'), ...RESULT_ONE_ROW, B.complete('SELECT 1'), ...RESULT_ONE_ROW, B.complete('SELECT 1'), B.ready()],
      ],
    ]);
    expect(statements.map((s) => s.piece)).toEqual([0, 1, 2]);
    expect(new Set(statements.map((s) => s.text))).toEqual(new Set(['SELECT 1; SELECT 2; SELECT 3']));
  });

  it('counts an error in a multi-statement query once and nothing after it', () => {
    const statements = expectStableUnderChunking([
      [[F.query('SELECT 1; SELECT 1/0; SELECT 3')], [...RESULT_ONE_ROW, B.complete('SELECT 1'), B.error('22012', 'division by zero'), B.ready()]],
      [[F.query('SELECT 4')], [...RESULT_ONE_ROW, B.complete('SELECT 1'), B.ready()]],
    ]);
    expect(statements.map((s) => [s.piece, s.error ?? s.tag])).toEqual([
      [0, 'SELECT 1'],
      [1, '22012: division by zero'],
      [0, 'SELECT 1'],
    ]);
  });

  it('maps extended-protocol statements to their Parse text and decodes Bind parameters', () => {
    const statements = expectStableUnderChunking([
      [
        [
          F.parse('SELECT * FROM t WHERE id = $1 AND name = $2 AND b = $3'),
          F.bind(['7', null, Buffer.from([0xde, 0xad])]),
          F.describe(),
          F.execute(),
          F.sync(),
        ],
        [B.parseComplete(), B.bindComplete(), B.rowDescription(), B.dataRow('x'), B.complete('SELECT 1'), B.ready()],
      ],
    ]);
    expect(statements).toEqual([
      { text: 'SELECT * FROM t WHERE id = $1 AND name = $2 AND b = $3', piece: -1, params: ['7', null, '\\xdead'], error: undefined, tag: 'SELECT 1' },
    ]);
  });

  it('counts every execution of a named prepared statement parsed once', () => {
    const exchanges: Exchange[] = [
      [
        [F.parse('SELECT $1::int', 'get'), F.bind(['1'], 'get'), F.execute(), F.sync()],
        [B.parseComplete(), B.bindComplete(), B.dataRow('1'), B.complete('SELECT 1'), B.ready()],
      ],
    ];
    for (const value of ['2', '3', '4']) {
      exchanges.push([
        [F.bind([value], 'get'), F.execute(), F.sync()],
        [B.bindComplete(), B.dataRow(value), B.complete('SELECT 1'), B.ready()],
      ]);
    }
    const statements = expectStableUnderChunking(exchanges);
    expect(statements.map((s) => [s.text, s.params])).toEqual([
      ['SELECT $1::int', ['1']],
      ['SELECT $1::int', ['2']],
      ['SELECT $1::int', ['3']],
      ['SELECT $1::int', ['4']],
    ]);
  });

  it('attributes an extended-protocol error and skips what the server skips until Sync', () => {
    const statements = expectStableUnderChunking([
      [
        // Pipelined: the first Execute fails; the second Parse/Bind/Execute before Sync are discarded by the server.
        [F.parse('SELECT 1/$1::int'), F.bind(['0']), F.execute(), F.parse('SELECT 2'), F.bind([]), F.execute(), F.sync()],
        [B.parseComplete(), B.bindComplete(), B.error('22012', 'division by zero'), B.ready()],
      ],
      [
        [F.parse('SELECT 3'), F.bind([]), F.execute(), F.sync()],
        [B.parseComplete(), B.bindComplete(), B.dataRow('3'), B.complete('SELECT 1'), B.ready()],
      ],
    ]);
    expect(statements.map((s) => [s.text, s.error ?? s.tag])).toEqual([
      ['SELECT 1/$1::int', '22012: division by zero'],
      ['SELECT 3', 'SELECT 1'],
    ]);
  });

  it('attributes a Parse (syntax) error to the Parse text and skips messages sent after it, before Sync', () => {
    const sink = recorder();
    const t = new WireTracker(1, sink);
    t.frontend(Buffer.concat([F.parse('SELEC 1'), F.bind([]), F.execute(), F.flush()]), 1);
    t.backend(B.error('42601', 'syntax error at or near "SELEC"'), 2);
    // Sent after the error arrived but before Sync: the server discards these too.
    t.frontend(Buffer.concat([F.parse('SELECT 9'), F.bind([]), F.execute(), F.sync()]), 3);
    t.backend(B.ready(), 4);
    t.frontend(Buffer.concat([F.query('SELECT 5')]), 5);
    t.backend(Buffer.concat([B.complete('SELECT 1'), B.ready()]), 6);
    expect(sink.statements.map((s) => [s.text, s.error ?? s.tag])).toEqual([
      ['SELEC 1', '42601: syntax error at or near "SELEC"'],
      ['SELECT 5', 'SELECT 1'],
    ]);
    expect(t.desyncs).toBe(0);
  });

  it('handles pipelined Sync batches in order', () => {
    const statements = expectStableUnderChunking([
      [
        [F.parse('SELECT 1'), F.bind([]), F.execute(), F.sync(), F.parse('SELECT 2'), F.bind([]), F.execute(), F.sync()],
        [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready(), B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
      ],
    ]);
    expect(statements.map((s) => s.text)).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('counts a portal fetched in pieces (row limit) once, when it completes', () => {
    const statements = expectStableUnderChunking([
      [
        [F.parse('SELECT generate_series(1, 3)'), F.bind([]), F.execute('', 2), F.flush()],
        [B.parseComplete(), B.bindComplete(), B.dataRow('1'), B.dataRow('2'), B.suspended()],
      ],
      [
        [F.execute('', 2), F.sync()],
        [B.dataRow('3'), B.complete('SELECT 1'), B.ready()],
      ],
    ]);
    expect(statements.map((s) => [s.text, s.tag])).toEqual([['SELECT generate_series(1, 3)', 'SELECT 1']]);
  });

  it('does not count empty queries, notices, or the startup ReadyForQuery', () => {
    const { statements, tracker } = run([
      [[F.query('')], [B.empty(), B.ready()]],
      [[F.query('-- nothing')], [B.empty(), B.ready()]],
      [[F.query('DO $$ BEGIN RAISE NOTICE $q$hi$q$; END $$')], [B.notice('hi'), B.complete('DO'), B.ready()]],
    ]);
    expect(statements.map((s) => s.tag)).toEqual(['DO']);
    expect(tracker.desyncs).toBe(0);
  });

  it('does not count an error raised at Sync or a connection-level FATAL', () => {
    const { statements } = run([
      [
        [F.parse('INSERT INTO t VALUES (1)'), F.bind([]), F.execute(), F.sync()],
        [B.parseComplete(), B.bindComplete(), B.complete('INSERT 0 1'), B.error('23505', 'deferred unique violation'), B.ready()],
      ],
    ]);
    expect(statements.map((s) => s.tag ?? s.error)).toEqual(['INSERT 0 1']);
    const sink = recorder();
    const t = new WireTracker(1, sink);
    t.backend(B.error('57P01', 'terminating connection due to administrator command'), 1);
    expect(sink.statements).toEqual([]);
  });

  it('forgets closed statements and portals', () => {
    const sink = recorder();
    const t = new WireTracker(1, sink);
    t.frontend(Buffer.concat([F.parse('SELECT 1', 's1'), F.close('S', 's1'), F.bind([], 's1'), F.execute(), F.sync()]), 1);
    t.backend(Buffer.concat([B.parseComplete(), message('3'), B.bindComplete(), B.complete('SELECT 1'), B.ready()]), 2);
    expect(sink.statements[0].text).toBe('<unknown prepared statement "s1">');
  });

  it('records nothing and decodes no parameters while no window is open', () => {
    const sink = recorder(false);
    const { statements, tracker } = run(
      [
        [
          [F.parse('SELECT $1'), F.bind(['1']), F.execute(), F.sync()],
          [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
        ],
      ],
      0,
      sink,
    );
    expect(statements).toEqual([]);
    expect(tracker.finished).toBe(1);
  });

  it('times a statement from its frontend message to its completion', () => {
    const sink = recorder();
    const t = new WireTracker(1, sink);
    t.frontend(F.query('SELECT 1; SELECT 2'), 10);
    t.backend(B.complete('SELECT 1'), 12.5);
    t.backend(Buffer.concat([B.complete('SELECT 1'), B.ready()]), 14);
    expect(sink.statements.map((s) => [s.startedAt, s.durationMs])).toEqual([
      [10, 2.5],
      [12.5, 1.5],
    ]);
  });

  it('counts statements outside windows per shape, with their times, and keeps no statement', () => {
    const aggregates = new StatementAggregates();
    const sink = Object.assign(recorder(false), { aggregates });
    const t = new WireTracker(1, sink);
    t.frontend(F.query('SELECT * FROM t WHERE id = 1'), 10);
    t.backend(Buffer.concat([B.complete('SELECT 1'), B.ready()]), 11);
    t.frontend(F.query('SELECT * FROM t WHERE id = 2'), 20);
    t.backend(Buffer.concat([B.complete('SELECT 1'), B.ready()]), 23);
    t.frontend(Buffer.concat([F.parse('UPDATE t SET x = $1'), F.bind(['1']), F.execute(), F.sync()]), 30);
    t.backend(Buffer.concat([B.parseComplete(), B.bindComplete(), B.error('23505', 'duplicate key'), B.ready()]), 34);
    expect(sink.statements).toEqual([]);
    const groups = aggregates.summary().shapes.map((g) => [g.text, g.count, g.errors, g.totalMs, g.maxMs]);
    expect(groups).toEqual([
      ['SELECT * FROM t WHERE id = 1', 2, 0, 4, 3],
      ['UPDATE t SET x = $1', 1, 1, 4, 4],
    ]);
  });

  it('reads only the first bytes of a message longer than its cap, and still counts it in step', () => {
    const sink = recorder();
    const t = new WireTracker(1, sink, 64);
    const long = `SELECT '${'x'.repeat(500)}'`;
    const bytes = Buffer.concat([F.query(long), F.parse('SELECT $1'), F.bind(['y'.repeat(200)]), F.execute(), F.sync()]);
    for (let i = 0; i < bytes.length; i += 37) t.frontend(bytes.subarray(i, i + 37), 1);
    t.backend(Buffer.concat([B.complete('SELECT 1'), B.ready(), B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()]), 2);
    expect(sink.statements.map((s) => s.text.slice(0, 20))).toEqual([long.slice(0, 20), 'SELECT $1']);
    expect(sink.statements[0].text).toMatch(/… \(message of 510 bytes; the proxy read only its first bytes\)$/);
    expect(sink.statements[0].text.length).toBeLessThan(200);
    expect(sink.statements[1].params).toBeUndefined(); // the Bind was cut: its parameters are not guessed
    expect(t.oversized).toBe(2);
    expect(t.desyncs).toBe(0);
  });

  it('survives garbage without throwing and reports itself broken', () => {
    const sink = recorder();
    const t = new WireTracker(1, sink);
    t.frontend(Buffer.from([0x42, 0, 0, 0, 9, 0, 0, 0xff, 0xff, 0xff]), 1); // a Bind too short to hold its fields
    t.backend(Buffer.from([0x43, 0, 0, 0, 1]), 2); // impossible length
    expect(t.broken).toBe(true);
    expect(() => t.frontend(F.query('SELECT 1'), 3)).not.toThrow();
  });
});

describe('FrameScanner', () => {
  it('hands over whole-chunk bodies without copying and assembles split ones', () => {
    const wants = new Uint8Array(256);
    wants['Q'.charCodeAt(0)] = 2;
    const seen: string[] = [];
    const scanner = new FrameScanner(wants, (type, body) => seen.push(`${String.fromCharCode(type)}:${body.toString('utf8')}`));
    const bytes = Buffer.concat([F.query('SELECT 1'), message('d', Buffer.alloc(100)), F.query('SELECT 2')]);
    scanner.push(bytes.subarray(0, 3));
    scanner.push(bytes.subarray(3, 50));
    scanner.push(bytes.subarray(50));
    expect(seen).toEqual(['Q:SELECT 1\0', 'Q:SELECT 2\0']);
  });
});

describe('describeErrorResponse', () => {
  it('reads SQLSTATE and message', () => {
    expect(describeErrorResponse(B.error('42P01', 'relation "x" does not exist').subarray(5))).toBe('42P01: relation "x" does not exist');
  });
});
