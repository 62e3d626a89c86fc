import { describe, expect, it } from 'vitest';
import { formatSqlComment } from '../../src/sources/postgres/sqlcommenter.js';
import { TraceAttribution, unattributedSince } from '../../src/sources/postgres/trace-attribution.js';
import { WireTracker, type WireStatement } from '../../src/sources/postgres/wire-tracker.js';

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstr = (text: string) => Buffer.from(`${text}\0`, 'utf8');
const int16 = (value: number) => Buffer.from([(value >> 8) & 0xff, value & 0xff]);
const int32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
};
const F = {
  query: (sql: string) => message('Q', cstr(sql)),
  parse: (sql: string, name = '') => message('P', Buffer.concat([cstr(name), cstr(sql), int16(0)])),
  bind: (statement = '') => message('B', Buffer.concat([cstr(''), cstr(statement), int16(0), int16(0), int16(0)])),
  execute: () => message('E', Buffer.concat([cstr(''), int32(0)])),
  sync: () => message('S'),
};
const B = {
  parseComplete: () => message('1'),
  bindComplete: () => message('2'),
  complete: (tag: string) => message('C', cstr(tag)),
  ready: () => message('Z', Buffer.from('I')),
  error: (code: string, text: string) => message('E', Buffer.concat([cstr('SERROR'), cstr(`C${code}`), cstr(`M${text}`), Buffer.from([0])])),
};

const id = (n: number) => n.toString(16).padStart(32, '0');
const tp = (n: number) => `00-${id(n)}-00f067aa0ba902b7-01`;
const commented = (sql: string, n: number) => `${sql} ${formatSqlComment({ traceparent: tp(n) })}`;

/** A tracker outside windows (recording false) or inside one, feeding attribution; chunks cut at `cut` bytes. */
function track(recording: boolean, cut = 0) {
  const attribution = new TraceAttribution();
  const statements: WireStatement[] = [];
  const tracker = new WireTracker(1, { recording, record: (s) => statements.push(s), attribution });
  let clock = 0;
  const feed = (bytes: Buffer, into: (chunk: Buffer, now: number) => void) => {
    if (cut === 0) into(bytes, ++clock);
    else for (let i = 0; i < bytes.length; i += cut) into(bytes.subarray(i, i + cut), ++clock);
  };
  return {
    attribution,
    statements,
    exchange(frontend: Buffer[], backend: Buffer[]) {
      feed(Buffer.concat(frontend), (c, n) => tracker.frontend(c, n));
      feed(Buffer.concat(backend), (c, n) => tracker.backend(c, n));
    },
  };
}

const counts = (a: TraceAttribution) =>
  Object.fromEntries(
    a
      .take('')
      .map((t) => [t.traceId, t.statements])
      .sort(),
  );

describe('statements per request from sqlcommenter comments', () => {
  for (const recording of [false, true]) {
    for (const cut of [0, 1, 3, 7]) {
      it(`attributes simple, extended, multi-statement and failing statements (${recording ? 'in' : 'outside'} a window, cut ${cut})`, () => {
        const t = track(recording, cut);
        // Simple Query: one statement, then a two-statement text carrying one comment.
        t.exchange([F.query(commented('SELECT 1', 1))], [B.complete('SELECT 1'), B.ready()]);
        t.exchange([F.query(commented('SELECT 1; SELECT 2', 1))], [B.complete('SELECT 1'), B.complete('SELECT 1'), B.ready()]);
        // Extended protocol, unnamed statement.
        t.exchange(
          [F.parse(commented('SELECT $1', 2)), F.bind(), F.execute(), F.sync()],
          [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
        );
        // A failing statement is still that request's statement.
        t.exchange([F.parse(commented('SELECT nope', 2)), F.bind(), F.execute(), F.sync()], [B.error('42703', 'no such column'), B.ready()]);
        t.exchange([F.query(commented('SELECT 1/0', 3))], [B.error('22012', 'division by zero'), B.ready()]);
        // Without a comment: unattributed.
        t.exchange([F.query('SELECT 1')], [B.complete('SELECT 1'), B.ready()]);
        t.exchange([F.parse('SELECT $1'), F.bind(), F.execute(), F.sync()], [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()]);
        expect(t.attribution.attributed).toBe(6);
        expect(t.attribution.unattributed).toBe(2);
        const before = { statements: 0, shapes: new Map<number, number>() };
        expect(unattributedSince(before, t.attribution.unattributedSnapshot()).statements).toBe(2);
        expect(counts(t.attribution)).toEqual({ [id(1)]: 3, [id(2)]: 2, [id(3)]: 1 });
        if (recording) expect(t.statements.map((s) => s.traceId)).toEqual([id(1), id(1), id(1), id(2), id(2), id(3), undefined, undefined]);
      });
    }
  }

  it('a named statement keeps the trace of its Parse for every execution, until it is parsed again', () => {
    const t = track(false);
    t.exchange(
      [F.parse(commented('SELECT $1', 1), 's1'), F.bind('s1'), F.execute(), F.sync()],
      [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
    );
    t.exchange(
      [F.bind('s1'), F.execute(), F.bind('s1'), F.execute(), F.sync()],
      [B.bindComplete(), B.complete('SELECT 1'), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
    );
    t.exchange(
      [F.parse(commented('SELECT $1', 2), 's1'), F.bind('s1'), F.execute(), F.sync()],
      [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
    );
    t.exchange([F.parse('SELECT $1', 's1'), F.bind('s1'), F.execute(), F.sync()], [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()]);
    expect(counts(t.attribution)).toEqual({ [id(1)]: 3, [id(2)]: 1 });
    expect(t.attribution.unattributed).toBe(1);
  });

  it('counts statements per shape within a request (the N+1 groups), and names each shape', () => {
    const t = track(false);
    for (let k = 0; k < 4; k++)
      t.exchange(
        [F.parse(commented(`SELECT * FROM users WHERE id = ${k}`, 9)), F.bind(), F.execute(), F.sync()],
        [B.parseComplete(), B.bindComplete(), B.complete('SELECT 1'), B.ready()],
      );
    t.exchange([F.query(commented('SELECT * FROM orgs', 9))], [B.complete('SELECT 1'), B.ready()]);
    const [trace] = t.attribution.take(id(9).slice(0, 8));
    expect([...trace.shapes.values()].sort()).toEqual([1, 4]);
    const texts = [...trace.shapes.keys()].map((shape) => t.attribution.textOf(shape));
    expect(texts.sort()).toEqual([commented('SELECT * FROM orgs', 9), commented('SELECT * FROM users WHERE id = 0', 9)]);
    expect(t.attribution.traceCount).toBe(0);
  });

  it('take() returns only the traces of the prefix asked for', () => {
    const a = new TraceAttribution();
    a.add('aaaa0001', 1, 1, false);
    a.add('bbbb0001', 1, 1, false);
    a.add('aaaa0002', 1, 1, true);
    expect(a.take('aaaa').map((t) => [t.traceId, t.errors])).toEqual([
      ['aaaa0001', 0],
      ['aaaa0002', 1],
    ]);
    expect(a.traceCount).toBe(1);
  });

  it('counts traces past the cap without keeping them', () => {
    const a = new TraceAttribution(2);
    for (const trace of ['a', 'b', 'c', 'c', 'a']) a.add(trace, 1, 0, false);
    expect(a.overflowStatements).toBe(2);
    expect(a.take('').map((t) => [t.traceId, t.statements])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });
});
