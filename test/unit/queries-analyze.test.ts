import { describe, expect, it } from 'vitest';
import { abbreviateSql, analyzeStatements, compareScaling, DEFAULT_N_PLUS_ONE_THRESHOLD } from '../../src/probes/queries/analyze.js';
import { createLexerFingerprinter } from '../../src/sources/postgres/fingerprint.js';
import type { ExecutedStatement } from '../../src/sources/postgres/types.js';

const { fingerprint } = createLexerFingerprinter();

const stmt = (sql: string, extra: Partial<ExecutedStatement> = {}): ExecutedStatement => ({ sql, durationMs: 1, utility: false, ...extra });
const LIST = 'SELECT * FROM audit_logs ORDER BY created_at DESC LIMIT 100';
const USER = 'SELECT * FROM users WHERE id = $1';

/** The naive 1 + N: one list, then one lookup per row. */
function naive(rows: number, userIds = (i: number) => String(i + 1)): ExecutedStatement[] {
  return [stmt(LIST), ...Array.from({ length: rows }, (_, i) => stmt(USER, { params: [userIds(i)] }))];
}

describe('analyzeStatements', () => {
  it('returns zeros for an empty window', () => {
    expect(analyzeStatements([], { fingerprint })).toEqual({
      total: 0,
      utilityExcluded: 0,
      errors: 0,
      dbTimeMs: 0,
      groups: [],
      nPlusOne: [],
      duplicateGroups: [],
      duplicates: 0,
      duplicatesKnown: true,
    });
  });

  it('counts 1 + N and names the N+1 group with its count and the statement before it', () => {
    const analysis = analyzeStatements(naive(100), { fingerprint });
    expect(analysis.total).toBe(101);
    expect(analysis.groups.map((g) => g.count)).toEqual([100, 1]);
    expect(analysis.nPlusOne).toHaveLength(1);
    expect(analysis.nPlusOne[0]).toMatchObject({ count: 100, exampleSql: "SELECT * FROM users WHERE id = '1'", precededBy: LIST });
    expect(analysis.duplicates).toBe(0);
  });

  it('uses the default threshold of 5 (Sentry) and a configurable one', () => {
    expect(DEFAULT_N_PLUS_ONE_THRESHOLD).toBe(5);
    expect(analyzeStatements(naive(4), { fingerprint }).nPlusOne).toHaveLength(0);
    expect(analyzeStatements(naive(5), { fingerprint }).nPlusOne).toHaveLength(1);
    expect(analyzeStatements(naive(2), { fingerprint, nPlusOneThreshold: 2 }).nPlusOne[0].count).toBe(2);
  });

  it('groups literal and parameterised forms of one statement', () => {
    const analysis = analyzeStatements([stmt('SELECT * FROM users WHERE id = 1'), stmt(USER, { params: ['2'] }), stmt('select * from users where id=3')], {
      fingerprint,
      nPlusOneThreshold: 3,
    });
    expect(analysis.groups).toHaveLength(1);
    expect(analysis.groups[0]).toMatchObject({ count: 3, exampleSql: 'SELECT * FROM users WHERE id = 1' });
    expect(analysis.nPlusOne).toHaveLength(1);
  });

  it('excludes utility statements by default and counts them on request', () => {
    const statements = [stmt('BEGIN', { utility: true }), stmt(LIST), stmt('COMMIT', { utility: true })];
    const analysis = analyzeStatements(statements, { fingerprint });
    expect(analysis).toMatchObject({ total: 1, utilityExcluded: 2, dbTimeMs: 1 });
    expect(analysis.groups.map((g) => g.exampleSql)).toEqual([LIST]);
    expect(analyzeStatements(statements, { fingerprint, includeUtility: true })).toMatchObject({ total: 3, utilityExcluded: 0, dbTimeMs: 3 });
  });

  it('never reports utility statements as N+1, even when counted', () => {
    const statements = Array.from({ length: 6 }, () => stmt('SAVEPOINT a', { utility: true }));
    expect(analyzeStatements(statements, { fingerprint, includeUtility: true }).nPlusOne).toEqual([]);
  });

  it('finds exact duplicates by SQL and parameters', () => {
    const statements = [
      stmt(USER, { params: ['7'] }),
      stmt(USER, { params: ['7'] }),
      stmt(USER, { params: ['7'] }),
      stmt(USER, { params: ['8'] }),
      stmt('SELECT 1'),
      stmt('SELECT 1'),
    ];
    const analysis = analyzeStatements(statements, { fingerprint });
    expect(analysis.duplicates).toBe(3);
    expect(analysis.duplicateGroups).toEqual([
      { exampleSql: "SELECT * FROM users WHERE id = '7'", count: 3 },
      { exampleSql: 'SELECT 1', count: 2 },
    ]);
  });

  it('does not look for duplicates when told the source cannot tell them apart', () => {
    const analysis = analyzeStatements([stmt(USER), stmt(USER)], { fingerprint, detectDuplicates: false });
    expect(analysis).toMatchObject({ duplicates: 0, duplicateGroups: [], duplicatesKnown: false });
  });

  it('counts failed statements and sums DB time', () => {
    const analysis = analyzeStatements([stmt('SELECT 1/1', { durationMs: 2.5 }), stmt('SELECT 1/0', { durationMs: 0.5, error: '22012: division by zero' })], {
      fingerprint,
    });
    expect(analysis).toMatchObject({ total: 2, errors: 1, dbTimeMs: 3 });
    expect(analysis.groups[0]).toMatchObject({ count: 2, errors: 1, totalMs: 3 });
  });

  it('weights records that stand for several executions (pg_stat_statements)', () => {
    const analysis = analyzeStatements(
      [
        stmt('SELECT * FROM audit_logs LIMIT $1', { count: 1, durationMs: 4 }),
        stmt('SELECT * FROM users WHERE id = $1', { count: 20, durationMs: 0.5 }),
        stmt('BEGIN', { count: 2, utility: true }),
      ],
      { fingerprint, detectDuplicates: false },
    );
    expect(analysis).toMatchObject({ total: 21, utilityExcluded: 2, dbTimeMs: 14 });
    expect(analysis.nPlusOne.map((g) => [g.count, g.totalMs])).toEqual([[20, 10]]);
  });

  it('orders groups by count, then by first appearance', () => {
    const analysis = analyzeStatements([stmt('SELECT a FROM x'), stmt('SELECT b FROM y'), stmt('SELECT b FROM y'), stmt('SELECT c FROM z')], { fingerprint });
    expect(analysis.groups.map((g) => [g.exampleSql, g.count, g.firstIndex])).toEqual([
      ['SELECT b FROM y', 2, 1],
      ['SELECT a FROM x', 1, 0],
      ['SELECT c FROM z', 1, 3],
    ]);
  });

  it('skips records with a zero count', () => {
    expect(analyzeStatements([stmt('SELECT 1', { count: 0 })], { fingerprint }).total).toBe(0);
  });
});

describe('compareScaling', () => {
  it('reports the fingerprints whose count follows the page size', () => {
    const small = analyzeStatements(naive(5), { fingerprint });
    const large = analyzeStatements(naive(50), { fingerprint });
    expect(compareScaling(small, large)).toEqual([{ fingerprint: fingerprint(USER), exampleSql: "SELECT * FROM users WHERE id = '1'", small: 5, large: 50 }]);
  });

  it('finds nothing when bulk code runs the same statements at any size', () => {
    const bulk = (n: number) => [stmt(`SELECT * FROM audit_logs LIMIT ${n}`), stmt('SELECT * FROM users WHERE id = ANY($1)', { params: [`{${n}}`] })];
    expect(compareScaling(analyzeStatements(bulk(5), { fingerprint }), analyzeStatements(bulk(50), { fingerprint }))).toEqual([]);
  });

  it('reports statements that appear at only one size', () => {
    const small = analyzeStatements([stmt('SELECT 1')], { fingerprint });
    const large = analyzeStatements([stmt('SELECT 1'), stmt('SELECT a FROM extra')], { fingerprint });
    expect(compareScaling(small, large)).toMatchObject([{ exampleSql: 'SELECT a FROM extra', small: 0, large: 1 }]);
  });
});

describe('abbreviateSql', () => {
  it('collapses whitespace and cuts long text', () => {
    expect(abbreviateSql('SELECT *\n   FROM t')).toBe('SELECT * FROM t');
    expect(abbreviateSql('SELECT 1234567890', 10)).toBe('SELECT 12…');
  });
});

describe('analyzeStatements: the "1" of interleaved lookups', () => {
  it('names the list query for both lookups of 1 + 2n, not each other', () => {
    const ORG = 'SELECT id, name FROM organizations WHERE id = $1';
    const statements = [stmt(LIST), ...Array.from({ length: 6 }, (_, i) => [stmt(USER, { params: [String(i)] }), stmt(ORG, { params: [String(i)] })]).flat()];
    const analysis = analyzeStatements(statements, { fingerprint });
    expect(analysis.nPlusOne.map((g) => [g.count, g.precededBy])).toEqual([
      [6, LIST],
      [6, LIST],
    ]);
  });

  it('names nothing when the repeated statement comes first', () => {
    const analysis = analyzeStatements(naive(6).slice(1), { fingerprint });
    expect(analysis.nPlusOne[0].precededBy).toBeUndefined();
  });
});
