/**
 * PostgreSQL's own statement log (`log_statement = 'all'`, stderr format, Debian's default prefix
 * `%m [%p] %q%u@%d `) read back into executed statements per server process. perfspec's tests use it
 * as the ground truth the proxy and pg_stat_statements are checked against; it is also the last-resort
 * source the research notes mention. Pure: text in, statements out.
 *
 * How the server logs (measured on PG15):
 * - a simple Query: one `statement: <whole text>` line, however many statements it holds;
 * - an extended-protocol Execute: `execute <name>: <text>` followed by `DETAIL:  parameters: $1 = '5', ...`;
 * - a failure: `ERROR:  ...` then `STATEMENT:  <text>`. A statement that fails before it is logged
 *   (syntax error, error at Bind) appears only as ERROR/STATEMENT.
 * One ambiguity: a multi-statement simple Query that fails part-way is logged as its whole text plus an
 * ERROR, without saying which statement failed; such entries are flagged `ambiguous`.
 *
 * With `log_min_duration_statement = 0` the server also says how long it worked on each message:
 * `duration: 1.278 ms  statement: <text>` (a whole simple Query), and `parse`, `bind` and `execute`
 * lines for the extended protocol; readDurationLog reads those (the ground truth for DB time).
 */
import { splitStatements } from './sql-lexer.js';

export interface LoggedStatement {
  pid: number;
  sql: string;
  params?: Array<string | null>;
  error?: string;
  /** From a multi-statement Query that failed part-way: which of its statements ran is unknown. */
  ambiguous?: boolean;
}

interface LogEntry {
  pid: number;
  level: string;
  text: string;
}

const ENTRY = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (?:\S*@\S* )?([A-Z]+): {2}([\s\S]*)$/;

/** Split log text into entries (continuation lines of a multi-line statement start with a tab). */
export function parseLogEntries(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = ENTRY.exec(line);
    if (match) {
      entries.push({ pid: Number(match[1]), level: match[2], text: match[3] });
    } else if (line.startsWith('\t') && entries.length > 0) {
      entries[entries.length - 1].text += `\n${line.slice(1)}`;
    }
  }
  return entries;
}

/** `$1 = '5', $2 = NULL, $3 = 'it''s'` → ['5', null, "it's"]. */
export function parseLoggedParameters(detail: string): Array<string | null> {
  const params: Array<string | null> = [];
  for (const match of detail.matchAll(/\$(\d+) = (NULL|'((?:[^']|'')*)')/g)) {
    params[Number(match[1]) - 1] = match[2] === 'NULL' ? null : match[3].replace(/''/g, "'");
  }
  return params;
}

/** Levels the server writes after an ERROR and before its STATEMENT line. */
const ERROR_DETAIL_LEVELS = new Set(['DETAIL', 'HINT', 'CONTEXT', 'QUERY', 'LOCATION']);

/**
 * The statements each server process ran, for the given pids (all when omitted): grouped by pid (lines
 * of concurrent processes interleave), each process's statements in the order it logged them.
 */
export function readStatementLog(text: string, pids?: ReadonlySet<number>): LoggedStatement[] {
  const perPid = new Map<number, LogEntry[]>();
  for (const entry of parseLogEntries(text)) {
    if (pids && !pids.has(entry.pid)) continue;
    let list = perPid.get(entry.pid);
    if (!list) perPid.set(entry.pid, (list = []));
    list.push(entry);
  }
  const out: LoggedStatement[] = [];
  for (const [pid, entries] of perPid) out.push(...readProcessLog(pid, entries));
  return out;
}

function readProcessLog(pid: number, entries: LogEntry[]): LoggedStatement[] {
  const out: LoggedStatement[] = [];
  /** The statements of the last logged line, so an ERROR can be attached to them. */
  let last: { text: string; statements: LoggedStatement[] } | undefined;
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k];
    if (entry.level === 'LOG') {
      const simple = /^statement: ([\s\S]*)$/.exec(entry.text);
      const execute = /^execute [^:]+: ([\s\S]*)$/.exec(entry.text);
      if (simple) {
        const statements = splitStatements(simple[1]).map((sql) => ({ pid, sql }));
        out.push(...statements);
        last = { text: simple[1], statements };
      } else if (execute) {
        const statement: LoggedStatement = { pid, sql: execute[1] };
        const next = entries[k + 1];
        if (next && next.level === 'DETAIL' && next.text.startsWith('parameters: ')) {
          statement.params = parseLoggedParameters(next.text.slice('parameters: '.length));
        }
        out.push(statement);
        last = { text: execute[1], statements: [statement] };
      }
    } else if (entry.level === 'ERROR') {
      let j = k + 1;
      while (j < entries.length && ERROR_DETAIL_LEVELS.has(entries[j].level)) j++;
      const sql = entries[j]?.level === 'STATEMENT' ? entries[j].text : undefined;
      if (sql === undefined) continue;
      const previous = last;
      last = undefined;
      if (previous && previous.text === sql) {
        if (previous.statements.length === 1) previous.statements[0].error = entry.text;
        else for (const statement of previous.statements) statement.ambiguous = true;
      } else {
        // Failed before the server logged it (syntax error, error at Bind): the ERROR is its only trace.
        out.push({ pid, sql: sql.trim(), error: entry.text });
      }
    }
  }
  return out;
}

/** One `duration:` line: how long the server worked on one message (a Query, or a Parse, Bind or Execute). */
export interface LoggedDuration {
  pid: number;
  /** statement (simple Query), parse, bind or execute. */
  kind: 'statement' | 'parse' | 'bind' | 'execute';
  durationMs: number;
  sql: string;
}

const DURATION = /^duration: ([\d.]+) ms {2}(statement|parse|bind|execute)(?: [^:]*)?: ([\s\S]*)$/;

/** The `duration:` lines of the given server processes (all when omitted), in the order logged. */
export function readDurationLog(text: string, pids?: ReadonlySet<number>): LoggedDuration[] {
  const out: LoggedDuration[] = [];
  for (const entry of parseLogEntries(text)) {
    if (entry.level !== 'LOG' || (pids && !pids.has(entry.pid))) continue;
    const match = DURATION.exec(entry.text);
    if (match) out.push({ pid: entry.pid, kind: match[2] as LoggedDuration['kind'], durationMs: Number(match[1]), sql: match[3] });
  }
  return out;
}
