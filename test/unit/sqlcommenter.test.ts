import { describe, expect, it } from 'vitest';
import {
  formatSqlComment,
  parseSqlComment,
  stripSqlComment,
  traceIdAt,
  traceIdOfStatement,
  traceIdOfTraceparent,
  trailingCommentRange,
} from '../../src/sources/postgres/sqlcommenter.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('sqlcommenter: trace ids from statements', () => {
  it('reads the example of the sqlcommenter spec (keys sorted, values URL-encoded)', () => {
    const sql =
      "SELECT * FROM FOO /*action='%2Fparam*d',controller='index',framework='spring',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/";
    expect(traceIdOfStatement(sql)).toBe('5bd66ef5095369c7b0d1f8f4bd33716a');
    const pairs = parseSqlComment(sql.slice(sql.indexOf('/*') + 2, -2));
    expect(pairs?.get('action')).toBe('/param*d');
    expect(pairs?.get('tracestate')).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
  });
  it('does not depend on key order, and accepts an URL-encoded traceparent', () => {
    expect(traceIdOfStatement(`SELECT 1 /*traceparent='${TP}',action='a'*/`)).toBe(TID);
    expect(traceIdOfStatement(`SELECT 1 /*traceparent='${encodeURIComponent(TP).replace(/-/g, '%2D')}'*/`)).toBe(TID);
  });
  it('tolerates whitespace and semicolons after the comment, and a NUL-terminated protocol body', () => {
    expect(traceIdOfStatement(`SELECT 1 /*traceparent='${TP}'*/ ;\n`)).toBe(TID);
    const body = Buffer.concat([Buffer.from('stmt\0'), Buffer.from(`SELECT $1 /*traceparent='${TP}'*/`), Buffer.from([0, 0, 0])]);
    expect(traceIdAt(body, 5, body.length)).toBe(TID);
  });
  it('round-trips what formatSqlComment writes, including quotes and escapes', () => {
    const comment = formatSqlComment({ traceparent: TP, route: "/o'k,=x", a: 'é' });
    expect(comment).toBe(`/*a='%C3%A9',route='%2Fo\\'k%2C%3Dx',traceparent='${TP}'*/`);
    const pairs = parseSqlComment(comment.slice(2, -2));
    expect(pairs && Object.fromEntries(pairs)).toEqual({ a: 'é', route: "/o'k,=x", traceparent: TP });
    expect(traceIdOfStatement(`SELECT 1 ${comment}`)).toBe(TID);
  });
  it.each([
    ['no comment', 'SELECT 1'],
    ['a comment not at the end', `SELECT /*traceparent='${TP}'*/ 1`],
    ['a free-form comment', `SELECT 1 /* traceparent is ${TP} */`],
    ['an unquoted value', `SELECT 1 /*traceparent=${TP}*/`],
    ['an unterminated value', `SELECT 1 /*traceparent='${TP}*/`],
    ['a trailing comma', `SELECT 1 /*traceparent='${TP}',*/`],
    ['bad percent-encoding', `SELECT 1 /*traceparent='${TP}',x='%zz'*/`],
    ['an all-zero trace id', `SELECT 1 /*traceparent='00-${'0'.repeat(32)}-00f067aa0ba902b7-01'*/`],
    ['an all-zero parent id', `SELECT 1 /*traceparent='00-${TID}-${'0'.repeat(16)}-01'*/`],
    ['version ff', `SELECT 1 /*traceparent='ff-${TID}-00f067aa0ba902b7-01'*/`],
    ['upper-case hex', `SELECT 1 /*traceparent='00-${TID.toUpperCase()}-00f067aa0ba902b7-01'*/`],
    ['a short trace id', `SELECT 1 /*traceparent='00-${TID.slice(1)}-00f067aa0ba902b7-01'*/`],
    ['version 00 with extra fields', `SELECT 1 /*traceparent='${TP}-extra'*/`],
    ['another key only', "SELECT 1 /*action='x'*/"],
    ['an empty comment', 'SELECT 1 /**/'],
    ['a lone */', 'SELECT 1 */'],
    ['a string literal that looks like one', `SELECT '/*traceparent=''${TP}''*/'`],
  ])('finds no trace id in %s', (_why, sql) => {
    expect(traceIdOfStatement(sql)).toBeUndefined();
  });
  it('accepts a future version with extra fields', () => {
    expect(traceIdOfTraceparent(`01-${TID}-00f067aa0ba902b7-01-more`)).toBe(TID);
  });
  it('finds the range of the last comment only', () => {
    const sql = Buffer.from("SELECT /*a='1'*/ 1 /*b='2'*/");
    const range = trailingCommentRange(sql, 0, sql.length);
    expect(range && sql.toString('utf8', range[0], range[1])).toBe("b='2'");
  });
  it('strips a sqlcommenter comment for display, and keeps other comments', () => {
    expect(stripSqlComment(`SELECT 1 /*traceparent='${TP}'*/`)).toBe('SELECT 1');
    expect(stripSqlComment('SELECT 1 /* note */')).toBe('SELECT 1 /* note */');
  });
});
