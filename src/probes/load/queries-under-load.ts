/**
 * Queries per request under load: the proxy's statements attributed to each request by trace id
 * (src/sources/postgres/trace-attribution.ts), grouped by request name through the entry the load
 * engine wrote into each trace id (src/load/flows/traceparent.ts), summarised and judged against
 * `thresholds.requests.NAME.queries` and `nPlusOne`. Pure: counters in; figures (summarise),
 * verdicts (judge) and tables (present) out.
 */
import { PerfspecError } from '../../errors.js';
import { entryOfTraceId } from '../../load/flows/traceparent.js';
import type { StatEntry } from '../../load/flows/compile-flows.js';
import type { ThresholdsConfig } from '../../load/types.js';
import type { ReportTable } from '../../result/result.js';
import { stripSqlComment } from '../../sources/postgres/sqlcommenter.js';
import type { TraceCounters, UnattributedCounters } from '../../sources/postgres/trace-attribution.js';
import { judgeCondition } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import { DEFAULT_N_PLUS_ONE_THRESHOLD } from '../queries/analyze.js';

export interface QueryThreshold {
  request: string;
  /** "<= 5" as written, and the largest count it allows. */
  queries?: { text: string; max: number };
  nPlusOne?: 'forbid' | 'allow';
}

export interface NPlusOneUnderLoad {
  /** The statement as first seen, without its sqlcommenter comment. */
  statement: string;
  /** Requests of this name in which it ran at least the N+1 threshold times. */
  requests: number;
  /** The most times it ran in one request. */
  maxPerRequest: number;
}

export interface RequestQueries {
  name: string;
  /** Requests of this name sent (the load report's count). */
  requests: number;
  /** Of them, requests that ran at least one attributed statement. */
  traced: number;
  statements: { total: number; p50: number; p95: number; max: number };
  /** Mean DB time per request (the proxy's clock), over requests that ran statements. */
  dbMsPerRequest: number;
  nPlusOne: NPlusOneUnderLoad[];
}

export interface QueriesUnderLoad {
  requests: RequestQueries[];
  attributedStatements: number;
  unattributedStatements: number;
  /** The most frequent unattributed statements (text, count). */
  unattributedTop: Array<{ statement: string; count: number }>;
}

const QUERIES_BUDGET = /^\s*(<=|<|==|=)\s*(\d+)\s*$/;

/** `thresholds.requests.NAME.queries` / `nPlusOne` (the rest of the thresholds are the load engine's). */
export function parseQueryThresholds(config: ThresholdsConfig | undefined, where: string): QueryThreshold[] {
  const out: QueryThreshold[] = [];
  for (const [request, group] of Object.entries(config?.requests ?? {})) {
    const raw = (group ?? {}) as { queries?: unknown; nPlusOne?: unknown };
    if (raw.queries === undefined && raw.nPlusOne === undefined) continue;
    const threshold: QueryThreshold = { request };
    if (raw.queries !== undefined) {
      const match = QUERIES_BUDGET.exec(String(raw.queries));
      if (!match)
        throw new PerfspecError('PS_SPEC_INVALID', `${where}.requests.${request}.queries: "${String(raw.queries)}" is not a statement count budget`, {
          hint: 'e.g. queries: "<= 5"',
        });
      const limit = Number(match[2]);
      threshold.queries = { text: `${match[1]} ${limit}`, max: match[1] === '<' ? limit - 1 : limit };
    }
    if (raw.nPlusOne !== undefined) {
      if (raw.nPlusOne !== 'forbid' && raw.nPlusOne !== 'allow')
        throw new PerfspecError('PS_SPEC_INVALID', `${where}.requests.${request}.nPlusOne: "${String(raw.nPlusOne)}" must be forbid or allow`);
      threshold.nPlusOne = raw.nPlusOne;
    }
    out.push(threshold);
  }
  return out;
}

/** The nearest-rank percentile of sorted counts (exact: counts are integers, no interpolation). */
function rank(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function summariseQueriesUnderLoad(input: {
  traces: TraceCounters[];
  tag: string;
  entries: StatEntry[];
  /** Requests sent per request name (from the load report). */
  sent: Map<string, number>;
  unattributed: UnattributedCounters;
  textOf(shape: number): string | undefined;
  nPlusOneThreshold?: number;
}): QueriesUnderLoad {
  const threshold = input.nPlusOneThreshold ?? DEFAULT_N_PLUS_ONE_THRESHOLD;
  const perName = new Map<string, TraceCounters[]>();
  let attributed = 0;
  for (const trace of input.traces) {
    attributed += trace.statements;
    const entry = entryOfTraceId(trace.traceId, input.tag);
    const name = entry === undefined ? undefined : input.entries[entry]?.name;
    if (name === undefined) continue;
    let list = perName.get(name);
    if (!list) perName.set(name, (list = []));
    list.push(trace);
  }
  const requests: RequestQueries[] = [];
  for (const [name, sent] of input.sent) {
    const traces = perName.get(name) ?? [];
    // Requests that ran no statement leave no trace at the proxy: they count as 0.
    const counts = traces.map((t) => t.statements);
    for (let k = traces.length; k < sent; k++) counts.push(0);
    counts.sort((a, b) => a - b);
    const groups = new Map<number, NPlusOneUnderLoad>();
    let dbMs = 0;
    for (const trace of traces) {
      dbMs += trace.dbMs;
      for (const [shape, count] of trace.shapes) {
        if (count < threshold) continue;
        let group = groups.get(shape);
        if (!group)
          groups.set(shape, (group = { statement: stripSqlComment(input.textOf(shape) ?? `(statement shape ${shape})`), requests: 0, maxPerRequest: 0 }));
        group.requests++;
        group.maxPerRequest = Math.max(group.maxPerRequest, count);
      }
    }
    const total = counts.reduce((a, b) => a + b, 0);
    requests.push({
      name,
      requests: Math.max(sent, traces.length),
      traced: traces.length,
      statements: { total, p50: rank(counts, 0.5), p95: rank(counts, 0.95), max: counts.length ? counts[counts.length - 1] : 0 },
      dbMsPerRequest: traces.length ? dbMs / traces.length : 0,
      nPlusOne: [...groups.values()].sort((a, b) => b.maxPerRequest - a.maxPerRequest),
    });
  }
  const unattributedTop = [...input.unattributed.shapes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([shape, count]) => ({ statement: stripSqlComment(input.textOf(shape) ?? `(statement shape ${shape})`), count }));
  return { requests, attributedStatements: attributed, unattributedStatements: input.unattributed.statements, unattributedTop };
}

export const HOW_TO_COMMENT =
  'No statement carried a traceparent comment, so statements cannot be counted per request. Turn sqlcommenter comments on in the app ' +
  '(Node pg: OpenTelemetry PgInstrumentation { addSqlCommenterCommentToQueries: true }; Django: google-cloud-sqlcommenter middleware; ' +
  'Rails: ActiveRecord query log tags with the traceparent; Spring: sqlcommenter-java) — README "Queries per request under load".';

/** The figures as reports show them: the table of statements per request, and notes on what could not be counted. */
export function presentQueriesUnderLoad(summary: QueriesUnderLoad): { tables: ReportTable[]; notes: string[] } {
  const notes: string[] = [];
  if (summary.attributedStatements === 0) notes.push(HOW_TO_COMMENT);
  if (summary.unattributedStatements > 0) {
    const top = summary.unattributedTop.map((u) => `${u.count}× ${truncate(u.statement)}`).join('; ');
    notes.push(`${summary.unattributedStatements} statements during the run carried no traceparent (unattributed)${top ? `: ${top}` : ''}.`);
  }
  const tables: ReportTable[] = [
    {
      title: 'Queries per request (attributed by traceparent)',
      columns: ['Request', 'Requests', 'With statements', 'Statements p50', 'p95', 'Max', 'DB time / request', 'N+1 under load'],
      rows: summary.requests.map((r) => [
        r.name,
        String(r.requests),
        String(r.traced),
        String(r.statements.p50),
        String(r.statements.p95),
        String(r.statements.max),
        r.traced ? `${r.dbMsPerRequest.toFixed(2)}ms` : '–',
        r.nPlusOne.length
          ? r.nPlusOne.map((g) => `${truncate(g.statement)} (up to ${g.maxPerRequest}× per request, in ${g.requests} requests)`).join('; ')
          : 'none',
      ]),
    },
  ];
  return { tables, notes };
}

/**
 * The query thresholds against the figures; without figures (undefined: the spec has no
 * services.postgres on source proxy) each threshold is inconclusive with the reason.
 */
export function judgeQueriesUnderLoad(summary: QueriesUnderLoad | undefined, thresholds: QueryThreshold[], check: string): Verdict[] {
  const verdicts: Verdict[] = [];
  if (summary === undefined) {
    for (const t of thresholds) {
      const metric = `requests.${t.request}.${t.queries ? 'queries' : 'nPlusOne'}`;
      verdicts.push({
        ...judgeCondition(
          { check, probe: 'load', metric },
          t.queries?.text ?? 'no N+1',
          'n/a',
          false,
          'statements per request need services.postgres with source: proxy (the proxy reads the traceparent comments)',
        ),
        outcome: 'inconclusive',
      });
    }
    return verdicts;
  }
  const nothing = summary.attributedStatements === 0;
  for (const threshold of thresholds) {
    const figures = summary.requests.find((r) => r.name === threshold.request);
    const input = { check, probe: 'load' };
    if (threshold.queries) {
      const metric = `requests.${threshold.request}.queries`;
      if (nothing || !figures) {
        verdicts.push({
          ...judgeCondition(
            { ...input, metric },
            threshold.queries.text,
            'n/a',
            false,
            `statements per ${threshold.request} request could not be counted: no statement carried a traceparent`,
          ),
          outcome: 'inconclusive',
        });
      } else {
        const max = figures.statements.max;
        verdicts.push(
          judgeCondition(
            { ...input, metric },
            threshold.queries.text,
            String(max),
            max <= threshold.queries.max,
            `the most statements one ${threshold.request} request ran under load was ${max} (p50 ${figures.statements.p50}, p95 ${figures.statements.p95}, over ${figures.requests} requests)`,
            max,
          ),
        );
      }
    }
    if (threshold.nPlusOne === 'forbid') {
      const metric = `requests.${threshold.request}.nPlusOne`;
      if (nothing || !figures) {
        verdicts.push({
          ...judgeCondition(
            { ...input, metric },
            'no N+1',
            'n/a',
            false,
            `N+1 under load could not be looked for in ${threshold.request}: no statement carried a traceparent`,
          ),
          outcome: 'inconclusive',
        });
      } else {
        const worst = figures.nPlusOne[0];
        verdicts.push(
          judgeCondition(
            { ...input, metric },
            'no N+1',
            worst ? `${worst.maxPerRequest}× one statement` : 'none',
            worst === undefined,
            worst
              ? `N+1 under load in ${threshold.request}: ${truncate(worst.statement)} ran up to ${worst.maxPerRequest} times in one request (${worst.requests} requests)`
              : `no statement ran ${DEFAULT_N_PLUS_ONE_THRESHOLD} or more times in one ${threshold.request} request`,
            worst?.maxPerRequest ?? 0,
          ),
        );
      }
    }
  }
  return verdicts;
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 90 ? `${flat.slice(0, 87)}…` : flat;
}
