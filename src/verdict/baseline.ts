/**
 * Before → after: compare this run's verdicts with those of a saved earlier run (its JSON report),
 * matched by spec, check and budget. Pure; the CLI reads the file.
 */
import type { Comparison, ComparisonRow, RunResult } from '../result/result.js';

export type { Comparison, ComparisonRow };

/** The baseline's statement groups per check (queries probe, worst request), for before → after charts. */
function queryGroupsOf(result: RunResult): NonNullable<Comparison['queryGroups']> {
  const out: NonNullable<Comparison['queryGroups']> = [];
  for (const spec of result.specs) {
    for (const check of spec.checks) {
      for (const probe of check.probes) {
        const worst =
          probe.kind === 'queries'
            ? (probe.data as { worst?: { groups?: Array<{ fingerprint?: unknown; count?: unknown; exampleSql?: unknown }> } }).worst
            : undefined;
        if (!Array.isArray(worst?.groups)) continue;
        const groups = worst.groups
          .filter((group) => typeof group.fingerprint === 'string' && typeof group.count === 'number')
          .map((group) => ({
            fingerprint: group.fingerprint as string,
            count: group.count as number,
            ...(typeof group.exampleSql === 'string' ? { sql: group.exampleSql } : {}),
          }));
        out.push({ spec: spec.name, check: check.name, groups });
      }
    }
  }
  return out;
}

interface FlatVerdict {
  spec: string;
  check: string;
  metric: string;
  actual: string;
  actualValue: number | null;
  passed: boolean;
}

function flatten(result: RunResult): FlatVerdict[] {
  return result.specs.flatMap((spec) =>
    spec.checks.flatMap((check) =>
      check.probes.flatMap((probe) =>
        probe.verdicts.map((verdict) => ({
          spec: spec.name,
          check: check.name,
          metric: verdict.metric,
          actual: verdict.actual,
          actualValue: verdict.actualValue,
          passed: verdict.passed,
        })),
      ),
    ),
  );
}

export function compareWithBaseline(current: RunResult, baseline: RunResult): Comparison {
  const key = (verdict: FlatVerdict) => `${verdict.spec}\u0000${verdict.check}\u0000${verdict.metric}`;
  const earlier = new Map(flatten(baseline).map((verdict) => [key(verdict), verdict]));
  const rows = flatten(current).map((now): ComparisonRow => {
    const before = earlier.get(key(now));
    if (!before) {
      return {
        spec: now.spec,
        check: now.check,
        metric: now.metric,
        before: '—',
        after: now.actual,
        beforeValue: null,
        afterValue: now.actualValue,
        changePercent: null,
        outcome: 'new',
      };
    }
    const changePercent =
      before.actualValue !== null && now.actualValue !== null && before.actualValue !== 0
        ? ((now.actualValue - before.actualValue) / Math.abs(before.actualValue)) * 100
        : null;
    const outcome = before.passed && !now.passed ? 'regressed' : !before.passed && now.passed ? 'fixed' : 'same';
    return {
      spec: now.spec,
      check: now.check,
      metric: now.metric,
      before: before.actual,
      after: now.actual,
      beforeValue: before.actualValue,
      afterValue: now.actualValue,
      changePercent,
      outcome,
    };
  });
  return { baselineRunId: baseline.runId, baselineStartedAt: baseline.startedAt, rows, queryGroups: queryGroupsOf(baseline) };
}

/** Is this object a perfspec JSON report this version can compare with? */
export function isComparableReport(value: unknown): value is RunResult {
  const report = value as Partial<RunResult> | null;
  return Boolean(report && report.formatVersion === 1 && Array.isArray(report.specs) && typeof report.runId === 'string');
}
