import { describe, expect, it } from 'vitest';
import { assembleResult } from '../../src/engine/run.js';
import type { Verdict } from '../../src/verdict/types.js';
import { compareWithBaseline, isComparableReport } from '../../src/verdict/baseline.js';

function run(verdicts: Array<Pick<Verdict, 'metric' | 'actual' | 'actualValue' | 'passed'>>, runId: string) {
  const full = verdicts.map((verdict) => ({
    ...verdict,
    check: 'Audit logs list',
    probe: 'queries',
    target: '<= 5',
    level: 'error' as const,
    message: '',
    outcome: verdict.passed ? ('pass' as const) : ('fail' as const),
  }));
  return assembleResult(
    [
      {
        file: 'x.yaml',
        name: 'Phase 3',
        status: 'passed',
        errors: [],
        checks: [
          {
            name: 'Audit logs list',
            section: 'check',
            status: 'passed',
            durationMs: 1,
            probes: [{ kind: 'queries', verdicts: full, tables: [], notes: [], data: {} }],
          },
        ],
      },
    ],
    { runId, startedAt: new Date(0), finishedAt: new Date(1), durationMs: 1, aborted: false, version: 't' },
  );
}

describe('compareWithBaseline', () => {
  it('pairs verdicts by spec, check and budget: before → after, change and outcome', () => {
    const before = run(
      [
        { metric: 'queries.max', actual: '201', actualValue: 201, passed: false },
        { metric: 'latency.p95', actual: '10ms', actualValue: 10, passed: true },
      ],
      'before-run',
    );
    const after = run(
      [
        { metric: 'queries.max', actual: '3', actualValue: 3, passed: true },
        { metric: 'latency.p95', actual: '60ms', actualValue: 60, passed: false },
        { metric: 'queries.nPlusOne', actual: 'none', actualValue: 0, passed: true },
      ],
      'after-run',
    );
    const comparison = compareWithBaseline(after, before);
    expect(comparison.baselineRunId).toBe('before-run');
    expect(comparison.rows).toEqual([
      {
        spec: 'Phase 3',
        check: 'Audit logs list',
        metric: 'queries.max',
        before: '201',
        after: '3',
        beforeValue: 201,
        afterValue: 3,
        changePercent: ((3 - 201) / 201) * 100,
        outcome: 'fixed',
      },
      {
        spec: 'Phase 3',
        check: 'Audit logs list',
        metric: 'latency.p95',
        before: '10ms',
        after: '60ms',
        beforeValue: 10,
        afterValue: 60,
        changePercent: 500,
        outcome: 'regressed',
      },
      {
        spec: 'Phase 3',
        check: 'Audit logs list',
        metric: 'queries.nPlusOne',
        before: '—',
        after: 'none',
        beforeValue: null,
        afterValue: 0,
        changePercent: null,
        outcome: 'new',
      },
    ]);
  });

  it('has no change figure when either side was unmeasured or before was 0', () => {
    const before = run([{ metric: 'm', actual: '0', actualValue: 0, passed: true }], 'a');
    const after = run([{ metric: 'm', actual: '5', actualValue: 5, passed: true }], 'b');
    expect(compareWithBaseline(after, before).rows[0]).toMatchObject({ changePercent: null, outcome: 'same' });
  });

  it('recognises perfspec reports only', () => {
    expect(isComparableReport(run([], 'x'))).toBe(true);
    expect(isComparableReport({ formatVersion: 2, specs: [], runId: 'x' })).toBe(false);
    expect(isComparableReport(null)).toBe(false);
    expect(isComparableReport([])).toBe(false);
  });
});
