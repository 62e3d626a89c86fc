import { describe, expect, it } from 'vitest';
import { firstKeyword, inlineParams, isUtilityStatement, normalizeSqlText, splitStatements, tokenizeSql } from '../../src/sources/postgres/sql-lexer.js';

describe('tokenizeSql', () => {
  it('covers the whole text with tokens', () => {
    const sql = `SELECT 'a;b', "c;d", $x$ e;f $x$, $1, 1.5e3 -- g;h\n/* i; /* nested; */ j */ FROM t;`;
    const tokens = tokenizeSql(sql);
    expect(tokens.map((t) => sql.slice(t.start, t.end)).join('')).toBe(sql);
    expect(tokens.filter((t) => t.kind === 'semicolon')).toHaveLength(1);
  });

  it('knows E-strings with backslash escapes and doubled quotes in plain strings', () => {
    const kinds = (sql: string) =>
      tokenizeSql(sql)
        .filter((t) => t.kind !== 'space')
        .map((t) => [t.kind, sql.slice(t.start, t.end)]);
    expect(kinds(`E'it\\'s;' x`)).toEqual([
      ['string', `E'it\\'s;'`],
      ['word', 'x'],
    ]);
    expect(kinds(`'it''s;' x`)).toEqual([
      ['string', `'it''s;'`],
      ['word', 'x'],
    ]);
  });

  it('runs an unterminated string or comment to the end instead of throwing', () => {
    expect(tokenizeSql(`SELECT 'open`).at(-1)?.kind).toBe('string');
    expect(tokenizeSql(`SELECT /* open`).at(-1)?.kind).toBe('comment');
    expect(tokenizeSql(`SELECT $tag$ open`).at(-1)?.kind).toBe('string');
  });
});

describe('splitStatements', () => {
  it.each([
    ['SELECT 1', ['SELECT 1']],
    ['SELECT 1;', ['SELECT 1']],
    ['SELECT 1; SELECT 2', ['SELECT 1', 'SELECT 2']],
    ['SELECT 1;;  ; SELECT 2;', ['SELECT 1', 'SELECT 2']],
    ['SELECT \';\'; SELECT "a;b" FROM t', ["SELECT ';'", 'SELECT "a;b" FROM t']],
    [
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT f()',
      ['CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql', 'SELECT f()'],
    ],
    ['SELECT 1; -- trailing comment', ['SELECT 1']],
    ['/* app:list */ SELECT 1; /* app:get */ SELECT 2', ['/* app:list */ SELECT 1', '/* app:get */ SELECT 2']],
    ['', []],
    ['  -- only a comment', []],
  ])('%j', (sql, expected) => {
    expect(splitStatements(sql)).toEqual(expected);
  });
});

describe('firstKeyword and isUtilityStatement', () => {
  it('finds the first keyword after comments', () => {
    expect(firstKeyword('/* tag */ -- x\n  begin')).toBe('BEGIN');
    expect(firstKeyword('(SELECT 1)')).toBe('SELECT');
    expect(firstKeyword('')).toBe('');
  });

  it.each([
    ['BEGIN', undefined, true],
    ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'START TRANSACTION', true],
    ['COMMIT', 'COMMIT', true],
    ['END', 'COMMIT', true],
    ['ABORT', undefined, true],
    ['ROLLBACK TO SAVEPOINT a', 'ROLLBACK', true],
    ['SAVEPOINT a', 'SAVEPOINT', true],
    ['RELEASE SAVEPOINT a', 'RELEASE', true],
    ["SET search_path = 'app'", 'SET', true],
    ['RESET ALL', 'RESET', true],
    ['DISCARD ALL', 'DISCARD ALL', true],
    ['DEALLOCATE ALL', 'DEALLOCATE ALL', true],
    ["PREPARE TRANSACTION 'x'", 'PREPARE TRANSACTION', true],
    ["/* c */ PREPARE TRANSACTION 'x'", undefined, true],
    ['PREPARE q AS SELECT 1', 'PREPARE', false],
    ['PREPARE q AS SELECT 1', undefined, false],
    ['SELECT 1', 'SELECT 1', false],
    ['UPDATE t SET a = 1', 'UPDATE 3', false],
    ['SHOW work_mem', 'SHOW', false],
    ['WITH x AS (SELECT 1) SELECT * FROM x', undefined, false],
  ])('%s (tag %s) → %s', (sql, tag, utility) => {
    expect(isUtilityStatement(sql, tag)).toBe(utility);
  });

  it('trusts the tag over the text', () => {
    // "COMMIT" in a failed transaction is answered with the tag ROLLBACK: still utility.
    expect(isUtilityStatement('COMMIT', 'ROLLBACK')).toBe(true);
  });
});

describe('normalizeSqlText (the fallback fingerprint text)', () => {
  it('makes literal, parameterised, re-cased and commented forms equal', () => {
    const forms = [
      'SELECT * FROM users WHERE id = 7',
      'select * from users where id=$1',
      '/* caller */ SELECT *\n  FROM users\n WHERE id = $1;',
      "SELECT * FROM users WHERE id = '7'",
      'SELECT * FROM users WHERE id = -7',
      'SELECT * FROM users WHERE id IN (1, 2, 3)',
      'SELECT * FROM users WHERE id = ANY($1)',
    ];
    expect(new Set(forms.map(normalizeSqlText))).toEqual(new Set(['select * from users where id = ?']));
  });

  it('collapses multi-row VALUES and keeps different statements apart', () => {
    expect(normalizeSqlText('INSERT INTO t (a, b) VALUES (1, 2), (3, 4)')).toBe(normalizeSqlText('INSERT INTO t (a, b) VALUES ($1, $2)'));
    expect(normalizeSqlText('SELECT * FROM users WHERE email = $1')).not.toBe(normalizeSqlText('SELECT * FROM users WHERE id = $1'));
    expect(normalizeSqlText('SELECT * FROM "Users"')).not.toBe(normalizeSqlText('SELECT * FROM users'));
  });
});

describe('inlineParams', () => {
  it('replaces $n with quoted literals, NULL for null, and leaves strings and missing ones alone', () => {
    expect(inlineParams("SELECT $1, $2, '$1', $3, $10", ["it's", null])).toBe("SELECT 'it''s', NULL, '$1', $3, $10");
    expect(inlineParams('SELECT $1', undefined)).toBe('SELECT $1');
    expect(inlineParams('SELECT $1', [])).toBe('SELECT $1');
  });
});
