/**
 * The pg_stat_statements source: snapshot the extension's counters for the app's database and role
 * before and after a request, and turn the difference into statements (one record per statement
 * group, with its call count). It needs no change to the app's connection, but it needs the extension
 * preloaded (a server restart) and created, which is why perfspec also has its own proxy.
 *
 * Measured limits on PG15 (see the research notes), handled here or documented:
 * - Rows are per (userid, dbid, queryid, toplevel), cluster-wide: we filter by the app's database and
 *   role, and keep top-level statements only (what the app itself sent, as the proxy sees it).
 * - Counts appear at ExecutorEnd, before the client gets CommandComplete; an extended-protocol SELECT
 *   inside an explicit transaction is counted only when its portal is dropped, at COMMIT at the latest,
 *   so the "after" snapshot is taken once the app has answered (its transactions have ended).
 * - Failed statements are not counted; the text is normalised ($1 for constants), so exact repeats
 *   cannot be told apart (the analysis turns duplicate detection off for this source).
 * - perfspec's own snapshot query lands in the same view; it carries a marker comment and is excluded.
 */
import type pg from 'pg';
import { PerfspecError, describeError } from '../../errors.js';
import { connectPostgres, describeAddress, parsePostgresUrl, type PgTarget } from './connect.js';
import { isUtilityStatement } from './sql-lexer.js';
import type { ExecutedStatement, QueryWindowSource } from './types.js';

const MARKER = 'perfspec:pgss-snapshot';

export interface StatRow {
  queryid: string;
  toplevel: boolean;
  calls: number;
  totalMs: number;
  query: string;
}

export interface StatSnapshot {
  rows: Map<string, StatRow>;
  /** pg_stat_statements_info.dealloc (PG14+): entries evicted so far; a change means counts may be lost. */
  dealloc: number | null;
}

export interface StatDelta {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
}

/** What ran between two snapshots: rows whose call count grew (pure). */
export function diffSnapshots(before: StatSnapshot, after: StatSnapshot): StatDelta[] {
  const deltas: StatDelta[] = [];
  for (const [key, row] of after.rows) {
    const earlier = before.rows.get(key);
    // A row evicted and re-created in between starts again from zero: its current count is the delta.
    const calls = earlier && earlier.calls <= row.calls ? row.calls - earlier.calls : row.calls;
    if (calls <= 0) continue;
    const totalMs = earlier && earlier.calls <= row.calls ? row.totalMs - earlier.totalMs : row.totalMs;
    deltas.push({ queryid: row.queryid, query: row.query, calls, totalMs: Math.max(0, totalMs) });
  }
  // No execution order exists in these counters: fewest calls first puts the "1" of a 1 + N before the N.
  return deltas.sort((a, b) => a.calls - b.calls || a.query.localeCompare(b.query));
}

/** One statement record per group, standing for `calls` executions at their mean time. */
export function deltasToStatements(deltas: readonly StatDelta[]): ExecutedStatement[] {
  return deltas.map((delta) => ({
    sql: delta.query,
    durationMs: delta.calls > 0 ? delta.totalMs / delta.calls : 0,
    count: delta.calls,
    utility: isUtilityStatement(delta.query),
  }));
}

/** The commands that make pg_stat_statements count, for the database perfspec connects to. */
export function pgStatStatementsFix(target: PgTarget, preload: string | null, majorVersion: number | null): string {
  const libraries = (preload ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && name !== 'pg_stat_statements');
  libraries.push('pg_stat_statements');
  const psql = `psql -h ${target.host} -p ${target.port} -U postgres`;
  return [
    ...(preload === null ? [`${psql} -c "SHOW shared_preload_libraries"   # keep what is listed there in the next line`] : []),
    `${psql} -c "ALTER SYSTEM SET shared_preload_libraries = '${libraries.join(',')}'"`,
    `pg_ctlcluster --skip-systemctl-redirect ${majorVersion ?? '<version>'} main restart   # or restart PostgreSQL the way it is managed here`,
    `${psql} -d ${target.database} -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"`,
    'Cannot restart the server? Use `source: proxy` under services.postgres: it needs nothing from the server.',
  ].join('\n');
}

interface ServerFacts {
  version: number;
  /** null when perfspec's user may not see the setting (superuser-only): the snapshot then tells. */
  preload: string | null;
  schema: string | null;
  currentUser: string;
  canReadAll: boolean;
}

function statementsError(message: string, hint: string, cause?: unknown): PerfspecError {
  return new PerfspecError('PS_PG_STAT_STATEMENTS', message, { hint, cause });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface StatStatementsOptions {
  /** The app's role; defaults to the URL's user. */
  role?: string;
  /** The app's database; defaults to the URL's database. */
  database?: string;
  applicationName?: string;
}

export class StatStatementsSource implements QueryWindowSource {
  readonly source = 'pg_stat_statements' as const;
  private readonly windows = new Map<number, StatSnapshot>();
  private nextWindow = 1;
  /** Caveats about the last window (evictions), for the report. */
  lastWindowNotes: string[] = [];

  private constructor(
    private readonly client: pg.Client,
    private readonly snapshotSql: string,
    private readonly snapshotParams: [number, number],
  ) {}

  /**
   * Connect and check that the extension is preloaded, created and readable for the app's role;
   * every way it can be missing throws PS_PG_STAT_STATEMENTS with the commands that fix it.
   */
  static async open(url: string, options: StatStatementsOptions = {}): Promise<StatStatementsSource> {
    const target = parsePostgresUrl(url);
    const client = await connectPostgres(url, { applicationName: options.applicationName ?? 'perfspec (pg_stat_statements)' });
    try {
      return await StatStatementsSource.prepare(client, target, options);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  private static async prepare(client: pg.Client, target: PgTarget, options: StatStatementsOptions): Promise<StatStatementsSource> {
    const database = options.database ?? target.database;
    const role = options.role ?? target.user;
    const facts = (
      await client.query<{ version: number; preload: string | null; schema: string | null; current_user: string; can_read_all: boolean }>(
        `SELECT current_setting('server_version_num')::int AS version,
                (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') AS preload,
                (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pg_stat_statements') AS schema,
                current_user,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                  OR pg_has_role(current_user, 'pg_read_all_stats', 'member') AS can_read_all`,
      )
    ).rows[0];
    const server: ServerFacts = {
      version: facts.version,
      preload: facts.preload,
      schema: facts.schema,
      currentUser: facts.current_user,
      canReadAll: facts.can_read_all,
    };
    const major = Math.floor(server.version / 10000);
    const address = describeAddress(target);
    const fix = pgStatStatementsFix(target, server.preload, major);
    const preloaded = server.preload === null || server.preload.split(',').some((name) => name.trim() === 'pg_stat_statements');
    if (!preloaded) {
      throw statementsError(`pg_stat_statements is not loaded on PostgreSQL at ${address} (shared_preload_libraries = '${server.preload}')`, fix);
    }
    if (server.schema === null) {
      throw statementsError(
        `pg_stat_statements is loaded on PostgreSQL at ${address} but not created in database "${target.database}"`,
        `${`psql -h ${target.host} -p ${target.port} -U postgres -d ${target.database} -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"`}\nCannot change the database? Use \`source: proxy\` under services.postgres.`,
      );
    }
    if (role !== server.currentUser && !server.canReadAll) {
      throw statementsError(
        `user "${server.currentUser}" cannot read the statements of role "${role}" in pg_stat_statements (they show as <insufficient privilege>)`,
        `psql -h ${target.host} -p ${target.port} -U postgres -c "GRANT pg_read_all_stats TO ${quoteIdent(server.currentUser)}"\nor connect perfspec as the app's role "${role}".`,
      );
    }
    const ids = (
      await client.query<{ dbid: number | null; userid: number | null }>(
        'SELECT (SELECT oid FROM pg_database WHERE datname = $1)::int8 AS dbid, (SELECT oid FROM pg_roles WHERE rolname = $2)::int8 AS userid',
        [database, role],
      )
    ).rows[0];
    if (ids.dbid === null)
      throw statementsError(
        `PostgreSQL at ${address} has no database "${database}" to watch`,
        "Name the app's database in services.postgres.url (or services.postgres.database).",
      );
    if (ids.userid === null)
      throw statementsError(`PostgreSQL at ${address} has no role "${role}" to watch`, 'Name the role the app connects as in services.postgres.role.');

    const view = `${quoteIdent(server.schema)}.pg_stat_statements`;
    // DB time is planning + execution (planning is non-zero only with pg_stat_statements.track_planning).
    const time = server.version >= 130000 ? '(s.total_plan_time + s.total_exec_time)' : 's.total_time';
    const toplevel = server.version >= 140000 ? 's.toplevel' : 'true';
    // One statement per snapshot, so perfspec adds exactly one row of its own to the view. It learns
    // that row's queryid from pg_stat_activity (PG14+) and drops it; matching the marker comment alone
    // is not enough, because the view keeps the text of whichever client ran the shape first.
    const self = server.version >= 140000 ? '(SELECT query_id::text FROM pg_stat_activity WHERE pid = pg_backend_pid())' : 'NULL::text';
    const dealloc = server.version >= 140000 ? `(SELECT dealloc::float8 FROM ${quoteIdent(server.schema)}.pg_stat_statements_info)` : 'NULL::float8';
    const snapshotSql =
      `/* ${MARKER} */ SELECT me.self_id, me.dealloc, s.queryid::text AS queryid, ${toplevel} AS toplevel, s.calls::float8 AS calls, ` +
      `${time} AS total_ms, s.query FROM (SELECT ${self} AS self_id, ${dealloc} AS dealloc) me ` +
      `LEFT JOIN ${view} s ON s.dbid = $1 AND s.userid = $2 AND s.queryid IS NOT NULL AND ${toplevel}`;
    const source = new StatStatementsSource(client, snapshotSql, [Number(ids.dbid), Number(ids.userid)]);
    try {
      await source.snapshot();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '55000') throw statementsError(`pg_stat_statements is not loaded on PostgreSQL at ${address}: ${describeError(error)}`, fix, error);
      if (code === '42501') {
        throw statementsError(
          `user "${server.currentUser}" may not read pg_stat_statements on PostgreSQL at ${address}`,
          `psql -h ${target.host} -p ${target.port} -U postgres -d ${target.database} -c "GRANT pg_read_all_stats TO ${quoteIdent(server.currentUser)}"`,
          error,
        );
      }
      throw error;
    }
    return source;
  }

  async snapshot(): Promise<StatSnapshot> {
    const result = await this.client.query<{
      self_id: string | null;
      dealloc: number | null;
      queryid: string | null;
      toplevel: boolean;
      calls: number;
      total_ms: number;
      query: string | null;
    }>(this.snapshotSql, this.snapshotParams);
    const rows = new Map<string, StatRow>();
    let dealloc: number | null = null;
    for (const row of result.rows) {
      if (row.dealloc !== null) dealloc = Number(row.dealloc);
      if (row.queryid === null) continue; // the LEFT JOIN's lone row when nothing matched
      const query = row.query ?? '<query text unavailable>';
      if (row.queryid === row.self_id || query.includes(MARKER)) continue;
      rows.set(`${row.queryid}:${row.toplevel}`, {
        queryid: row.queryid,
        toplevel: row.toplevel,
        calls: Number(row.calls),
        totalMs: Number(row.total_ms),
        query,
      });
    }
    return { rows, dealloc };
  }

  async beginWindow(): Promise<number> {
    const id = this.nextWindow++;
    this.windows.set(id, await this.snapshot());
    return id;
  }

  async endWindow(id: number): Promise<ExecutedStatement[]> {
    const before = this.windows.get(id);
    if (!before) throw new Error(`no open query window ${id}`);
    this.windows.delete(id);
    const after = await this.snapshot();
    const deltas = diffSnapshots(before, after);
    this.lastWindowNotes = [];
    if (before.dealloc !== null && after.dealloc !== null && after.dealloc > before.dealloc) {
      this.lastWindowNotes.push(
        `pg_stat_statements evicted ${after.dealloc - before.dealloc} entries during the request (pg_stat_statements.max is too small): counts may be low`,
      );
    }
    const unreadable = deltas.find((delta) => delta.query === '<insufficient privilege>');
    if (unreadable) {
      throw statementsError(
        "pg_stat_statements hides the text of the app's statements from perfspec (<insufficient privilege>)",
        "Grant perfspec's user the pg_read_all_stats role (GRANT pg_read_all_stats TO <user>), or connect perfspec as the app's role.",
      );
    }
    return deltasToStatements(deltas);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
