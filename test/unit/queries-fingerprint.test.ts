import { describe, expect, it } from 'vitest';
import { createFingerprinter, createLexerFingerprinter, duplicateKey, fingerprintWithLexer } from '../../src/sources/postgres/fingerprint.js';

describe('createFingerprinter (libpg-query)', () => {
  it('loads libpg-query', async () => {
    expect((await createFingerprinter()).engine).toBe('libpg-query');
  });

  it('gives literal, parameterised, re-cased, commented and pg_stat_statements forms one fingerprint', async () => {
    const fp = await createFingerprinter();
    const forms = [
      'SELECT * FROM users WHERE id = 7',
      'select * from users where id=$1',
      '/* caller */ SELECT *\n FROM users WHERE id = $1;',
      'SELECT * FROM users WHERE id = ANY($1)',
    ];
    expect(new Set(forms.map((sql) => fp.fingerprint(sql))).size).toBe(1);
    expect(fp.fingerprint('SELECT * FROM users WHERE email = $1')).not.toBe(fp.fingerprint(forms[0]));
  });

  it('falls back to the lexer for text it cannot parse, in a separate key space', async () => {
    const fp = await createFingerprinter();
    expect(fp.fingerprint('SELEC 1')).toBe(fingerprintWithLexer('SELEC 1'));
    expect(fp.fingerprint('SELEC 1')).toMatch(/^n:[0-9a-f]{16}$/);
    expect(fp.normalize('SELEC 1')).toBe('selec ?');
    expect(fp.normalize('SELECT * FROM t WHERE a = 5')).toBe('SELECT * FROM t WHERE a = $1');
  });

  it('memoises without changing answers, even past its cache size', async () => {
    const fp = await createFingerprinter({ cacheSize: 2 });
    const first = ['SELECT 1', 'SELECT a FROM b', 'SELECT c FROM d'].map((sql) => fp.fingerprint(sql));
    const again = ['SELECT 1', 'SELECT a FROM b', 'SELECT c FROM d'].map((sql) => fp.fingerprint(sql));
    expect(again).toEqual(first);
  });
});

describe('createLexerFingerprinter', () => {
  it('groups the same shapes as libpg-query does for common statements', async () => {
    const lexer = createLexerFingerprinter();
    expect(lexer.fingerprint('SELECT * FROM users WHERE id = 7')).toBe(lexer.fingerprint('select * from users where id=$1'));
    expect(lexer.fingerprint('SELECT * FROM users WHERE id = 7')).not.toBe(lexer.fingerprint('SELECT * FROM orgs WHERE id = 7'));
  });
});

describe('duplicateKey', () => {
  it('is equal for the same SQL and parameters only', () => {
    expect(duplicateKey('SELECT $1', ['1'])).toBe(duplicateKey('SELECT $1', ['1']));
    expect(duplicateKey('SELECT $1', ['1'])).not.toBe(duplicateKey('SELECT $1', ['2']));
    expect(duplicateKey('SELECT $1', [null])).not.toBe(duplicateKey('SELECT $1', ['null']));
    expect(duplicateKey('SELECT 1')).toBe(duplicateKey('SELECT 1', []));
    expect(duplicateKey('SELECT 1')).not.toBe(duplicateKey('SELECT 2'));
  });
});
