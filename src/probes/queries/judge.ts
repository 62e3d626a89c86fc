/**
 * Verdicts, tables and notes of the queries probe: pure functions of the configuration and what was
 * measured. Every figure judged is the worst of the measured requests (the budget is "per request").
 */
import type { ReportTable } from '../../result/result.js';
import { formatDuration } from '../../units/duration.js';
import { judgeBudget, judgeCondition, type JudgeInput } from '../../verdict/judge.js';
import type { Level, Verdict } from '../../verdict/types.js';
import { abbreviateSql, type QueryAnalysis, type ScalingChange } from './analyze.js';
import type { QueriesConfig } from './config.js';

export interface MeasuredRequest {
  status: number | null;
  analysis: QueryAnalysis;
  /** Kept only with queries.explain. */
  statements?: import('../../sources/postgres/types.js').ExecutedStatement[];
}

export interface ScalingMeasurement {
  param: string;
  small: { size: string; analysis: QueryAnalysis };
  large: { size: string; analysis: QueryAnalysis };
  changes: ScalingChange[];
}

export interface QueryMeasurement {
  /** queries.explain: the plans table and notes (explain-worst.ts). */
  explained?: { table?: import('../../result/result.js').ReportTable; notes: string[] };
  source: 'proxy' | 'pg_stat_statements';
  requests: MeasuredRequest[];
  scaling?: ScalingMeasurement;
  /** Caveats from the source (pg_stat_statements evictions). */
  sourceNotes: string[];
}

/** SQL shown in a sentence or a cell. */
const SQL_IN_TEXT = 100;
const SQL_IN_CELL = 140;
const MAX_GROUP_ROWS = 20;

/** The request with the most counted statements (first one on ties): the one tables show. */
export function worstRequest(measurement: QueryMeasurement): MeasuredRequest | undefined {
  let worst: MeasuredRequest | undefined;
  for (const request of measurement.requests) if (!worst || request.analysis.total > worst.analysis.total) worst = request;
  return worst;
}

function maxOf(measurement: QueryMeasurement, pick: (analysis: QueryAnalysis) => number): number | null {
  if (measurement.requests.length === 0) return null;
  return Math.max(...measurement.requests.map((request) => pick(request.analysis)));
}

/** "`SELECT ... FROM users WHERE id = '1'` ran 100 times" for each N+1 group. */
function describeNPlusOne(analysis: QueryAnalysis): string {
  return analysis.nPlusOne
    .map((group) => {
      const after = group.precededBy ? ` (after \`${abbreviateSql(group.precededBy, 60)}\`)` : '';
      return `\`${abbreviateSql(group.exampleSql, SQL_IN_TEXT)}\` ran ${group.count} times${after}`;
    })
    .join('; ');
}

export function judgeQueries(checkName: string, config: QueriesConfig, measurement: QueryMeasurement): Verdict[] {
  const input = (metric: string, level: Level = config.level): JudgeInput => ({ check: checkName, probe: 'queries', metric, level });
  const verdicts: Verdict[] = [];
  const worst = worstRequest(measurement);
  const total = maxOf(measurement, (a) => a.total);
  const what = config.includeUtility ? 'statements' : 'queries';

  if (config.max) {
    const verdict = judgeBudget(input('queries.max'), config.max, total);
    if (total !== null && worst) {
      const heavy = worst.analysis.groups
        .filter((group) => group.count > 1)
        .slice(0, 2)
        .map((group) => `${group.count} × \`${abbreviateSql(group.exampleSql, 60)}\``);
      const detail = !verdict.passed && heavy.length > 0 ? `: ${heavy.join(', ')}` : '';
      verdict.message = `${total} ${what} per request, ${verdict.passed ? 'within' : 'over'} the budget ${config.max.text}${detail}`;
    }
    verdicts.push(verdict);
  }

  if (config.nPlusOne !== 'allow') {
    const level: Level = config.nPlusOne === 'warn' ? 'warn' : config.level;
    const groups = measurement.requests.find((request) => request.analysis.nPlusOne.length > 0)?.analysis;
    const worstRepeat = groups ? Math.max(...groups.nPlusOne.map((group) => group.count)) : 0;
    const target = `no statement ${config.threshold}+ times per request`;
    if (measurement.requests.length === 0) {
      verdicts.push(judgeCondition(input('queries.nPlusOne', level), target, 'n/a', false, 'no request was measured', null));
    } else if (!groups) {
      verdicts.push(
        judgeCondition(input('queries.nPlusOne', level), target, 'none', true, `no statement ran ${config.threshold} or more times in one request`, 0),
      );
    } else {
      const count = groups.nPlusOne.length;
      verdicts.push(
        judgeCondition(
          input('queries.nPlusOne', level),
          target,
          `${count} N+1 group${count === 1 ? '' : 's'} (${groups.nPlusOne.map((group) => `${group.count}×`).join(', ')})`,
          false,
          `N+1: ${describeNPlusOne(groups)}`,
          worstRepeat,
        ),
      );
    }
  }

  if (config.maxDuplicates) {
    const known = measurement.requests.every((request) => request.analysis.duplicatesKnown);
    if (!known) {
      verdicts.push(
        judgeCondition(
          input('queries.maxDuplicates', 'warn'),
          config.maxDuplicates.text,
          'n/a',
          false,
          'pg_stat_statements shows statements without their parameters, so exact repeats cannot be told apart: use source: proxy',
          null,
        ),
      );
    } else {
      const duplicates = maxOf(measurement, (a) => a.duplicates);
      const verdict = judgeBudget(input('queries.maxDuplicates'), config.maxDuplicates, duplicates);
      const example = measurement.requests.flatMap((request) => request.analysis.duplicateGroups)[0];
      if (duplicates !== null) {
        verdict.message = `${duplicates} exact repeat${duplicates === 1 ? '' : 's'} per request (same SQL, same parameters), budget ${config.maxDuplicates.text}${
          !verdict.passed && example ? `: \`${abbreviateSql(example.exampleSql, SQL_IN_TEXT)}\` ran ${example.count} times` : ''
        }`;
      }
      verdicts.push(verdict);
    }
  }

  if (config.maxDbTime) {
    const dbTime = maxOf(measurement, (a) => a.dbTimeMs);
    const verdict = judgeBudget(input('queries.maxDbTime'), config.maxDbTime, dbTime);
    if (dbTime !== null)
      verdict.message = `statements took ${verdict.actual} per request, ${verdict.passed ? 'within' : 'over'} the budget ${config.maxDbTime.text}`;
    verdicts.push(verdict);
  }

  if (config.scaling) {
    const scaling = measurement.scaling;
    const target = `same counts at ${config.scaling.param}=${config.scaling.small} and ${config.scaling.param}=${config.scaling.large}`;
    if (!scaling) {
      verdicts.push(judgeCondition(input('queries.scaling'), target, 'n/a', false, 'the scaling requests were not measured', null));
    } else {
      const { param, small, large, changes } = scaling;
      const actual = `${small.analysis.total} → ${large.analysis.total} ${what}`;
      const message =
        changes.length === 0
          ? `every statement ran as often at ${param}=${small.size} as at ${param}=${large.size}`
          : changes
              .slice(0, 3)
              .map(
                (change) =>
                  `\`${abbreviateSql(change.exampleSql, SQL_IN_TEXT)}\` ran ${change.small} times at ${param}=${small.size} and ${change.large} times at ${param}=${large.size}`,
              )
              .join('; ') + ': the count follows the data size (N+1)';
      verdicts.push(judgeCondition(input('queries.scaling'), target, actual, changes.length === 0, message, changes.length));
    }
  }
  return verdicts;
}

/** "101 → 3 (-97%)". */
export function formatBeforeAfter(before: number, after: number): string {
  if (before === 0) return `${before} → ${after}`;
  const change = Math.round(((after - before) / before) * 100);
  return `${before} → ${after} (${change > 0 ? '+' : ''}${change}%)`;
}

export function buildQueryTables(config: QueriesConfig, measurement: QueryMeasurement): ReportTable[] {
  const tables: ReportTable[] = [];
  const worst = worstRequest(measurement);
  if (!worst) return tables;
  const a = worst.analysis;
  const total = Math.max(...measurement.requests.map((request) => request.analysis.total));
  const dbTime = Math.max(...measurement.requests.map((request) => request.analysis.dbTimeMs));
  const summary: Array<[string, string]> = [
    ['requests', String(measurement.requests.length)],
    ['queries (max)', String(total)],
  ];
  if (config.before !== undefined) summary.push(['before → after', formatBeforeAfter(config.before, total)]);
  summary.push(
    ['per request', measurement.requests.map((request) => String(request.analysis.total)).join(', ')],
    ['utility (not counted)', config.includeUtility ? 'counted' : String(a.utilityExcluded)],
    ['DB time (max)', formatDuration(dbTime)],
    ['duplicates', a.duplicatesKnown ? String(a.duplicates) : 'n/a'],
    ['N+1 groups', String(a.nPlusOne.length)],
    ['source', measurement.source],
  );
  tables.push({ title: 'Queries per request', columns: summary.map(([name]) => name), rows: [summary.map(([, value]) => value)] });

  if (a.groups.length > 0) {
    tables.push({
      title: `Statements by fingerprint (request with the most: ${a.total})`,
      columns: ['count', 'statement (first execution)', 'time', 'errors'],
      rows: a.groups
        .slice(0, MAX_GROUP_ROWS)
        .map((group) => [String(group.count), abbreviateSql(group.exampleSql, SQL_IN_CELL), formatDuration(group.totalMs), String(group.errors)]),
    });
  }
  if (a.nPlusOne.length > 0) {
    tables.push({
      title: `N+1 groups (a statement run ${config.threshold}+ times in one request)`,
      columns: ['repeated statement', 'count', 'after'],
      rows: a.nPlusOne.map((group) => [
        abbreviateSql(group.exampleSql, SQL_IN_CELL),
        String(group.count),
        group.precededBy ? abbreviateSql(group.precededBy, 80) : '',
      ]),
    });
  }
  if (a.duplicateGroups.length > 0) {
    tables.push({
      title: 'Exact repeats (same SQL, same parameters)',
      columns: ['statement', 'executions'],
      rows: a.duplicateGroups.slice(0, MAX_GROUP_ROWS).map((group) => [abbreviateSql(group.exampleSql, SQL_IN_CELL), String(group.count)]),
    });
  }
  const scaling = measurement.scaling;
  if (scaling) {
    const small = `${scaling.param}=${scaling.small.size}`;
    const large = `${scaling.param}=${scaling.large.size}`;
    const rows = scaling.changes.map((change) => [abbreviateSql(change.exampleSql, SQL_IN_CELL), String(change.small), String(change.large)]);
    rows.push(['(all statements)', String(scaling.small.analysis.total), String(scaling.large.analysis.total)]);
    tables.push({ title: 'Scaling: statements that follow the data size', columns: ['statement', small, large], rows });
  }
  return tables;
}

/** What "DB time" is, per source: the two measure different things, and the report says which. */
export const DB_TIME_MEANING: Record<QueryMeasurement['source'], string> = {
  proxy:
    "DB time (proxy): per statement, from the message that starts it (or the end of the statement before it, when pipelined) to its CommandComplete/ErrorResponse, as the proxy sees them: the server's parse, plan and execution plus the loopback hop to the server and back, never the client's time between messages.",
  pg_stat_statements:
    "DB time (pg_stat_statements): the server's planning + execution time of each statement (planning only when pg_stat_statements.track_planning is on), without any network time.",
};

export function queryNotes(config: QueriesConfig, measurement: QueryMeasurement): string[] {
  const notes = [...measurement.sourceNotes];
  const totals = measurement.requests.map((request) => request.analysis.total);
  if (new Set(totals).size > 1) {
    notes.push(`The count changed between identical requests (${totals.join(', ')}): caching or background work. Budgets are judged on the highest.`);
  }
  const failed = measurement.requests.filter((request) => request.status !== null && request.status >= 400).map((request) => request.status);
  if (failed.length > 0)
    notes.push(`${failed.length} measured request(s) answered ${[...new Set(failed)].join(', ')}: their statements may not be the endpoint's normal work.`);
  if (measurement.source === 'pg_stat_statements') {
    notes.push(
      'Source pg_stat_statements: failed statements are not counted, statement text is normalised ($1), and any other traffic of the same role and database during a request is counted too.',
    );
  }
  if (config.maxDbTime) notes.push(DB_TIME_MEANING[measurement.source]);
  const worst = worstRequest(measurement);
  if (worst && worst.analysis.groups.length > MAX_GROUP_ROWS)
    notes.push(`${worst.analysis.groups.length - MAX_GROUP_ROWS} more statement shapes are in the JSON report.`);
  return notes;
}
