/**
 * The plan of a statement, for the report of a queries budget: `EXPLAIN (FORMAT JSON)` with the
 * parameters of an actual execution. It never changes data, by construction:
 *  - without `analyze` the statement is planned, never run (EXPLAIN alone executes nothing);
 *  - with `analyze`, only a statement whose first keyword is SELECT is run, and only inside
 *    `BEGIN READ ONLY` with `SET LOCAL statement_timeout`, always rolled back: a write anywhere in it
 *    (a data-modifying function, nextval) is refused by the server (SQLSTATE 25006), not undone after.
 *    Anything else asked to be analysed is planned only, and the report says why;
 *  - the EXPLAIN is always sent with the extended protocol, which takes exactly one statement: a text
 *    with a second statement after a semicolon is refused by the server, never run.
 */
import type pg from 'pg';

export type ExplainMode = 'plan' | 'analyze';

export interface ExplainPlan {
  /** Whether the statement was run (EXPLAIN ANALYZE) or only planned. */
  analyzed: boolean;
  /** Why ANALYZE was not used when it was asked for. */
  note?: string;
  /** The top nodes, depth-first, at most 8: type, relation, estimated rows, actual rows when analysed. */
  nodes: Array<{ depth: number; node: string; relation?: string; estimatedRows: number; actualRows?: number; totalCost: number }>;
  /** Relations read by a sequential scan anywhere in the plan. */
  sequentialScans: string[];
}

const FIRST_KEYWORD = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*([a-zA-Z]+)/;

/** Whether the statement may be run under EXPLAIN ANALYZE: a plain SELECT (the read-only transaction guards the rest). */
export function analyzable(sql: string): boolean {
  return FIRST_KEYWORD.exec(sql)?.[1].toLowerCase() === 'select';
}

/** The EXPLAIN to send and whether it runs the statement. Pure. */
export function explainCommand(sql: string, mode: ExplainMode): { text: string; analyze: boolean; note?: string } {
  const body = sql.trim().replace(/;\s*$/, '');
  if (mode === 'analyze' && analyzable(body)) return { text: `EXPLAIN (ANALYZE, FORMAT JSON) ${body}`, analyze: true };
  const note = mode === 'analyze' ? 'not a SELECT: planned only, never run (EXPLAIN ANALYZE would execute it)' : undefined;
  return { text: `EXPLAIN (FORMAT JSON) ${body}`, analyze: false, ...(note ? { note } : {}) };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Plan Rows': number;
  'Actual Rows'?: number;
  'Total Cost': number;
  Plans?: PlanNode[];
}

/** The report's view of EXPLAIN's JSON output. Pure. */
export function summarisePlan(output: unknown, analyzed: boolean): ExplainPlan {
  const root = (Array.isArray(output) ? output[0] : output) as { Plan?: PlanNode } | undefined;
  const nodes: ExplainPlan['nodes'] = [];
  const scans = new Set<string>();
  const walk = (node: PlanNode | undefined, depth: number) => {
    if (!node) return;
    if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) scans.add(node['Relation Name']);
    if (nodes.length < 8) {
      const entry: ExplainPlan['nodes'][number] = { depth, node: node['Node Type'], estimatedRows: node['Plan Rows'], totalCost: node['Total Cost'] };
      if (node['Relation Name']) entry.relation = node['Relation Name'];
      if (analyzed && node['Actual Rows'] !== undefined) entry.actualRows = node['Actual Rows'];
      nodes.push(entry);
    }
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(root?.Plan, 0);
  return { analyzed, nodes, sequentialScans: [...scans] };
}

/** pg's extended-protocol query (queryMode is missing from @types/pg). */
function extended(text: string, values: unknown[] | undefined): pg.QueryConfig {
  return { text, values: values ?? [], queryMode: 'extended' } as pg.QueryConfig;
}

/**
 * Explain one statement on `client` (a connection perfspec owns, not the app's). Always ends its
 * transaction; a statement timeout bounds an analysed run.
 */
export async function explainStatement(
  client: pg.Client,
  sql: string,
  params: ReadonlyArray<string | null> | undefined,
  mode: ExplainMode,
  timeoutMs = 5000,
): Promise<ExplainPlan> {
  const command = explainCommand(sql, mode);
  const values = params ? [...params] : undefined;
  if (!command.analyze) {
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(extended(command.text, values));
    const plan = summarisePlan(rows[0]?.['QUERY PLAN'], false);
    if (command.note) plan.note = command.note;
    return plan;
  }
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(extended(command.text, values));
    return summarisePlan(rows[0]?.['QUERY PLAN'], true);
  } finally {
    await client.query('ROLLBACK');
  }
}
