/**
 * What the PostgreSQL sources hand to the queries probe: the statements one request window ran.
 * Both sources (the wire proxy and pg_stat_statements) produce this shape, so the analysis in
 * src/probes/queries/analyze.ts does not know where the figures came from.
 */

/** One statement the server finished (CommandComplete) or rejected (ErrorResponse). */
export interface ExecutedStatement {
  /**
   * The statement's SQL text. Proxy: exactly as the client sent it (one statement of a
   * multi-statement simple Query). pg_stat_statements: the server's normalised text ($1 for constants).
   */
  sql: string;
  /**
   * Proxy: from the message that started it (or, pipelined, the end of the statement before it) to its
   * CommandComplete/ErrorResponse, the loopback hop included. pg_stat_statements: the server's mean
   * planning + execution time.
   */
  durationMs: number;
  /** Bind parameters as text (binary ones as \x hex, NULL as null); absent for simple queries and for pg_stat_statements. */
  params?: Array<string | null>;
  /** "SQLSTATE: message" when the server answered with ErrorResponse. */
  error?: string;
  /**
   * Transaction control and session state (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, SET, RESET,
   * DISCARD, DEALLOCATE...). Recorded so nothing is hidden, but excluded from query budgets by default:
   * people mean "the SELECTs/INSERTs my endpoint ran" when they say "queries".
   */
  utility: boolean;
  /** The CommandComplete tag ("SELECT 100", "INSERT 0 1"), when the statement completed. */
  tag?: string;
  /**
   * Executions this record stands for. Always 1 for the proxy; pg_stat_statements gives one record per
   * statement group with its call count, so a window of 101 identical lookups is one record with count 101.
   */
  count?: number;
}

/** A source of per-window statement lists. Windows must not overlap with other traffic of the same app. */
export interface QueryWindowSource {
  /** "proxy" or "pg_stat_statements", for reports. */
  readonly source: 'proxy' | 'pg_stat_statements';
  /** Start recording; returns a handle for endWindow. */
  beginWindow(): Promise<number>;
  /** Stop recording and return what ran since beginWindow, in order (proxy) or grouped (pg_stat_statements). */
  endWindow(id: number): Promise<ExecutedStatement[]>;
}
