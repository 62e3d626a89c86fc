/**
 * `queries.explain`: the plans of the worst request's slowest statement and of its most repeated
 * statement shape, with the parameters of an actual execution, as a report table. A plan that cannot
 * be had (the statement failed to plan, the server refused an analysed write) becomes a note; it
 * never changes the check's verdicts.
 */
import type { ReportTable } from '../../result/result.js';
import type { ExplainMode, ExplainPlan } from '../../sources/postgres/explain.js';
import { stripSqlComment } from '../../sources/postgres/sqlcommenter.js';
import type { ExecutedStatement } from '../../sources/postgres/types.js';
import { abbreviateSql } from './analyze.js';

export interface ExplainTarget {
  why: string;
  statement: ExecutedStatement;
}

/** The slowest statement and the first of the most repeated shape (one entry when they are the same). Pure. */
export function pickStatementsToExplain(statements: readonly ExecutedStatement[], fingerprint: (sql: string) => string): ExplainTarget[] {
  const work = statements.filter((s) => !s.utility && s.error === undefined);
  if (work.length === 0) return [];
  let slowest = work[0];
  for (const s of work) if (s.durationMs > slowest.durationMs) slowest = s;
  const counts = new Map<string, { count: number; first: ExecutedStatement }>();
  for (const s of work) {
    const key = fingerprint(s.sql);
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { count: 1, first: s });
  }
  let repeated: { count: number; first: ExecutedStatement } | undefined;
  for (const entry of counts.values()) if (!repeated || entry.count > repeated.count) repeated = entry;
  const out: ExplainTarget[] = [{ why: `slowest (${slowest.durationMs.toFixed(2)}ms)`, statement: slowest }];
  if (repeated && repeated.count > 1 && fingerprint(repeated.first.sql) !== fingerprint(slowest.sql))
    out.push({ why: `most repeated (${repeated.count}×)`, statement: repeated.first });
  else if (repeated && repeated.count > 1) out[0].why += `, also the most repeated (${repeated.count}×)`;
  return out;
}

export async function explainWorst(
  statements: readonly ExecutedStatement[],
  mode: ExplainMode,
  fingerprint: (sql: string) => string,
  explain: (sql: string, params: ReadonlyArray<string | null> | undefined, mode: ExplainMode) => Promise<ExplainPlan>,
): Promise<{ table?: ReportTable; notes: string[] }> {
  const notes: string[] = [];
  const rows: string[][] = [];
  for (const target of pickStatementsToExplain(statements, fingerprint)) {
    const sql = stripSqlComment(target.statement.sql);
    try {
      const plan = await explain(sql, target.statement.params, mode);
      const nodes = plan.nodes
        .slice(0, 4)
        .map(
          (n) =>
            `${'  '.repeat(n.depth)}${n.node}${n.relation ? ` on ${n.relation}` : ''} (est. ${n.estimatedRows} rows${n.actualRows !== undefined ? `, actual ${n.actualRows}` : ''})`,
        )
        .join('; ');
      rows.push([
        target.why,
        abbreviateSql(sql),
        plan.analyzed ? 'EXPLAIN ANALYZE (read only, rolled back)' : 'EXPLAIN (not run)',
        nodes,
        plan.sequentialScans.join(', ') || 'none',
      ]);
      if (plan.note) notes.push(`Plan of the ${target.why.split(' ')[0]} statement: ${plan.note}.`);
    } catch (error) {
      notes.push(`No plan for the ${target.why.split(' ')[0]} statement: ${(error as Error).message}`);
    }
  }
  return {
    table: rows.length ? { title: 'Plans of the worst request', columns: ['Statement', 'SQL', 'How', 'Top plan nodes', 'Sequential scans'], rows } : undefined,
    notes,
  };
}
