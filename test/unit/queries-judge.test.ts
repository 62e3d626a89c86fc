import { describe, expect, it } from 'vitest';
import type { QueriesBudget } from '../../src/generated/spec-types.js';
import { analyzeStatements, compareScaling } from '../../src/probes/queries/analyze.js';
import { readQueriesConfig } from '../../src/probes/queries/config.js';
import { withQueryParam } from '../../src/probes/queries/index.js';
import { buildQueryTables, formatBeforeAfter, judgeQueries, queryNotes, type QueryMeasurement } from '../../src/probes/queries/judge.js';
import { createLexerFingerprinter } from '../../src/sources/postgres/fingerprint.js';
import type { ExecutedStatement } from '../../src/sources/postgres/types.js';

const { fingerprint } = createLexerFingerprinter();
const LIST = 'SELECT * FROM audit_logs ORDER BY id DESC LIMIT $1';
const USER = 'SELECT id, email FROM users WHERE id = $1';

const stmt = (sql: string, params?: string[], extra: Partial<ExecutedStatement> = {}): ExecutedStatement => ({
  sql,
  params,
  durationMs: 0.5,
  utility: false,
  ...extra,
});
const naive = (n: number) => [stmt(LIST, [String(n)]), ...Array.from({ length: n }, (_, i) => stmt(USER, [String((i % 20) + 1)]))];
const bulk = (n: number) => [stmt(LIST, [String(n)]), stmt('SELECT id, email FROM users WHERE id = ANY($1)', ['{1,2}'])];
const analyze = (statements: ExecutedStatement[], detectDuplicates = true) => analyzeStatements(statements, { fingerprint, detectDuplicates });

function measurement(requests: ExecutedStatement[][], extra: Partial<QueryMeasurement> = {}): QueryMeasurement {
  return { source: 'proxy', requests: requests.map((statements) => ({ status: 200, analysis: analyze(statements) })), sourceNotes: [], ...extra };
}

// The tests give sections the schema would refuse too: readQueriesConfig must still name the path.
const config = (queries: Record<string, unknown>, level?: 'warn') => readQueriesConfig(queries as QueriesBudget, { index: 2, level });

describe('readQueriesConfig', () => {
  it('applies defaults', () => {
    expect(config({})).toEqual({ nPlusOne: 'warn', threshold: 5, requests: 3, includeUtility: false, level: 'error' });
  });

  it('parses every budget once', () => {
    expect(
      config(
        {
          max: 5,
          maxDuplicates: '< 1',
          maxDbTime: '20ms',
          nPlusOne: 'forbid',
          threshold: 3,
          scaling: { param: 'limit', sizes: [5, 50] },
          before: 101,
          requests: 2,
          includeUtility: true,
        },
        'warn',
      ),
    ).toEqual({
      max: { operator: '<=', value: 5, unit: 'count', text: '<= 5' },
      maxDuplicates: { operator: '<', value: 1, unit: 'count', text: '< 1' },
      maxDbTime: { operator: '<=', value: 20, unit: 'duration', text: '<= 20ms' },
      nPlusOne: 'forbid',
      threshold: 3,
      scaling: { param: 'limit', small: '5', large: '50' },
      before: 101,
      requests: 2,
      includeUtility: true,
      level: 'warn',
    });
  });

  it.each([
    [{ max: 'lots' }, 'checks[2].queries.max: "lots" is not a count budget'],
    [{ maxDbTime: '5 apples' }, 'checks[2].queries.maxDbTime: "5 apples" is not a duration budget'],
    [{ nPlusOne: 'never' }, 'checks[2].queries.nPlusOne: "never" is not one of forbid, warn, allow'],
    [{ threshold: 1 }, 'checks[2].queries.threshold: 1 must be a whole number of at least 2'],
    [{ scaling: { param: 'limit', sizes: [5, 5] } }, 'checks[2].queries.scaling needs a query parameter and two different sizes'],
    [{ scaling: { sizes: [5, 50] } }, 'checks[2].queries.scaling needs a query parameter and two different sizes'],
    [{ requests: 0 }, 'checks[2].queries.requests: 0 must be a whole number of at least 1'],
    [{ before: -1 }, 'checks[2].queries.before: -1 must be a count'],
  ])('rejects %j', (queries, message) => {
    expect(() => config(queries)).toThrow(message);
  });
});

describe('judgeQueries', () => {
  it('fails max with the count and the heaviest statements', () => {
    const [verdict] = judgeQueries('Audit logs', config({ max: 5, nPlusOne: 'allow' }), measurement([naive(100)]));
    expect(verdict).toMatchObject({
      check: 'Audit logs',
      probe: 'queries',
      metric: 'queries.max',
      target: '<= 5',
      actual: '101',
      actualValue: 101,
      passed: false,
      level: 'error',
    });
    expect(verdict.message).toBe(`101 queries per request, over the budget <= 5: 100 × \`SELECT id, email FROM users WHERE id = '1'\``);
  });

  it('passes max on the worst of several requests only when all fit', () => {
    const verdicts = judgeQueries('x', config({ max: 3, nPlusOne: 'allow' }), measurement([bulk(5), bulk(5)]));
    expect(verdicts).toEqual([expect.objectContaining({ passed: true, actualValue: 2, message: '2 queries per request, within the budget <= 3' })]);
    expect(judgeQueries('x', config({ max: 3, nPlusOne: 'allow' }), measurement([bulk(5), naive(4)]))[0]).toMatchObject({ passed: false, actualValue: 5 });
  });

  it('names each N+1 group with its statement, count and the statement before it', () => {
    const verdict = judgeQueries('x', config({ nPlusOne: 'forbid' }), measurement([naive(100)]))[0];
    expect(verdict).toMatchObject({
      metric: 'queries.nPlusOne',
      passed: false,
      level: 'error',
      actual: '1 N+1 group (100×)',
      actualValue: 100,
      target: 'no statement 5+ times per request',
    });
    expect(verdict.message).toBe(
      `N+1: \`SELECT id, email FROM users WHERE id = '1'\` ran 100 times (after \`SELECT * FROM audit_logs ORDER BY id DESC LIMIT '100'\`)`,
    );
  });

  it('reports N+1 as a warning with nPlusOne: warn (the default), and not at all with allow', () => {
    expect(judgeQueries('x', config({}), measurement([naive(10)]))[0]).toMatchObject({ metric: 'queries.nPlusOne', level: 'warn', passed: false });
    expect(judgeQueries('x', config({ nPlusOne: 'allow' }), measurement([naive(10)]))).toEqual([]);
    expect(judgeQueries('x', config({ nPlusOne: 'forbid' }), measurement([naive(4)]))[0]).toMatchObject({ passed: true, actual: 'none', actualValue: 0 });
  });

  it('judges exact repeats, and says when the source cannot see them', () => {
    const repeated = [stmt(USER, ['7']), stmt(USER, ['7']), stmt(USER, ['8'])];
    expect(judgeQueries('x', config({ nPlusOne: 'allow', maxDuplicates: 0 }), measurement([repeated]))[0]).toMatchObject({
      metric: 'queries.maxDuplicates',
      passed: false,
      actualValue: 1,
      message: `1 exact repeat per request (same SQL, same parameters), budget <= 0: \`SELECT id, email FROM users WHERE id = '7'\` ran 2 times`,
    });
    const blind: QueryMeasurement = {
      source: 'pg_stat_statements',
      requests: [{ status: 200, analysis: analyze([stmt(USER, undefined, { count: 3 })], false) }],
      sourceNotes: [],
    };
    expect(judgeQueries('x', config({ nPlusOne: 'allow', maxDuplicates: 0 }), blind)[0]).toMatchObject({
      level: 'warn',
      passed: false,
      actual: 'n/a',
      actualValue: null,
    });
  });

  it('judges DB time on the slowest request', () => {
    const verdict = judgeQueries('x', config({ nPlusOne: 'allow', maxDbTime: '< 10ms' }), measurement([naive(10), naive(30)]))[0];
    expect(verdict).toMatchObject({
      metric: 'queries.maxDbTime',
      passed: false,
      actualValue: 15.5,
      message: 'statements took 15.5ms per request, over the budget < 10ms',
    });
  });

  it('judges scaling: counts that follow the page size fail, flat counts pass', () => {
    const scaled = (small: ExecutedStatement[], large: ExecutedStatement[]): QueryMeasurement => {
      const a = analyze(small);
      const b = analyze(large);
      return {
        ...measurement([small]),
        scaling: { param: 'limit', small: { size: '5', analysis: a }, large: { size: '50', analysis: b }, changes: compareScaling(a, b) },
      };
    };
    const failing = judgeQueries('x', config({ nPlusOne: 'allow', scaling: { param: 'limit', sizes: [5, 50] } }), scaled(naive(5), naive(50)))[0];
    expect(failing).toMatchObject({ metric: 'queries.scaling', passed: false, actual: '6 → 51 queries', actualValue: 1 });
    expect(failing.message).toBe(
      `\`SELECT id, email FROM users WHERE id = '1'\` ran 5 times at limit=5 and 50 times at limit=50: the count follows the data size (N+1)`,
    );
    const passing = judgeQueries('x', config({ nPlusOne: 'allow', scaling: { param: 'limit', sizes: [5, 50] } }), scaled(bulk(5), bulk(50)))[0];
    expect(passing).toMatchObject({ passed: true, actual: '2 → 2 queries', message: 'every statement ran as often at limit=5 as at limit=50' });
  });

  it('never passes what was not measured', () => {
    const verdicts = judgeQueries('x', config({ max: 5, nPlusOne: 'forbid', maxDbTime: '10ms', scaling: { param: 'limit', sizes: [1, 2] } }), measurement([]));
    expect(verdicts.map((v) => [v.metric, v.passed, v.actual])).toEqual([
      ['queries.max', false, 'n/a'],
      ['queries.nPlusOne', false, 'n/a'],
      ['queries.maxDbTime', false, 'n/a'],
      ['queries.scaling', false, 'n/a'],
    ]);
  });
});

describe('buildQueryTables', () => {
  it('shows the summary with before → after, the statements by fingerprint and the N+1 groups', () => {
    const tables = buildQueryTables(config({ before: 201 }), measurement([naive(100), bulk(100)]));
    expect(tables.map((t) => t.title)).toEqual([
      'Queries per request',
      'Statements by fingerprint (request with the most: 101)',
      'N+1 groups (a statement run 5+ times in one request)',
      'Exact repeats (same SQL, same parameters)',
    ]);
    const [summary, groups, nPlusOne, repeats] = tables;
    expect(Object.fromEntries(summary.columns.map((c, i) => [c, summary.rows[0][i]]))).toEqual({
      requests: '2',
      'queries (max)': '101',
      'before → after': '201 → 101 (-50%)',
      'per request': '101, 2',
      'utility (not counted)': '0',
      'DB time (max)': '50.5ms',
      duplicates: '80',
      'N+1 groups': '1',
      source: 'proxy',
    });
    expect(groups.rows).toEqual([
      ['100', "SELECT id, email FROM users WHERE id = '1'", '50ms', '0'],
      ['1', "SELECT * FROM audit_logs ORDER BY id DESC LIMIT '100'", '0.5ms', '0'],
    ]);
    expect(nPlusOne.rows).toEqual([["SELECT id, email FROM users WHERE id = '1'", '100', "SELECT * FROM audit_logs ORDER BY id DESC LIMIT '100'"]]);
    expect(repeats.rows[0]).toEqual(["SELECT id, email FROM users WHERE id = '1'", '5']);
  });

  it('shows nothing when nothing was measured', () => {
    expect(buildQueryTables(config({}), measurement([]))).toEqual([]);
  });
});

describe('queryNotes', () => {
  it('notes counts that vary, failed requests, and the limits of pg_stat_statements', () => {
    const m = measurement([bulk(5), naive(3)]);
    m.requests[1].status = 500;
    expect(queryNotes(config({}), m)).toEqual([
      'The count changed between identical requests (2, 4): caching or background work. Budgets are judged on the highest.',
      "1 measured request(s) answered 500: their statements may not be the endpoint's normal work.",
    ]);
    expect(queryNotes(config({}), { ...measurement([bulk(5)]), source: 'pg_stat_statements', sourceNotes: ['evicted'] })[0]).toBe('evicted');
  });
});

describe('formatBeforeAfter and withQueryParam', () => {
  it("formats the seed's before → after", () => {
    expect(formatBeforeAfter(101, 2)).toBe('101 → 2 (-98%)');
    expect(formatBeforeAfter(0, 2)).toBe('0 → 2');
    expect(formatBeforeAfter(2, 3)).toBe('2 → 3 (+50%)');
  });

  it('sets one query parameter and keeps the rest of the request', () => {
    const request = { method: 'GET', url: 'http://h/api/x?limit=100&b=1', headers: { a: 'b' } };
    expect(withQueryParam(request, 'limit', '5')).toEqual({ method: 'GET', url: 'http://h/api/x?limit=5&b=1', headers: { a: 'b' } });
  });
});
