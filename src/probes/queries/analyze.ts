/**
 * What one request's statements say: how many, which shapes (fingerprints), which shape repeats like
 * an N+1, which statements were exact repeats, how much time the database spent. Pure: statements and
 * a fingerprint function in, plain data out; the probe judges budgets on the result.
 *
 * Definitions (the README's queries section repeats them):
 * - counted statements: every finished statement except utility ones (BEGIN, COMMIT, SET...) unless
 *   `includeUtility`; failed statements count (the app sent them and the server worked on them).
 * - N+1 group: a fingerprint run at least `nPlusOneThreshold` times in one request (default 5, Sentry's
 *   count_threshold). A naive list of N rows runs 1 + N statements: the list once, the lookup N times;
 *   the group is the lookup, counted N, and `precededBy` names the statement that ran just before its
 *   first execution (usually the "1").
 * - duplicate: the same SQL text with the same parameters run again in the same request; `duplicates`
 *   is the number of such extra executions (3 identical runs = 2 duplicates).
 */
import { duplicateKey } from '../../sources/postgres/fingerprint.js';
import { inlineParams } from '../../sources/postgres/sql-lexer.js';
import type { ExecutedStatement } from '../../sources/postgres/types.js';

export const DEFAULT_N_PLUS_ONE_THRESHOLD = 5;

export interface AnalyzeOptions {
  /** Fingerprint of a statement's SQL (see src/sources/postgres/fingerprint.ts). */
  fingerprint: (sql: string) => string;
  nPlusOneThreshold?: number;
  /** Count transaction control and session statements too. */
  includeUtility?: boolean;
  /**
   * Look for exact repeats (default true). Turn off for pg_stat_statements: its text is normalised, so
   * `id = 1` and `id = 2` read alike and would look like duplicates.
   */
  detectDuplicates?: boolean;
}

export interface FingerprintGroup {
  fingerprint: string;
  count: number;
  /** The first execution's SQL with its parameters inlined, so it reads like the statement that ran. */
  exampleSql: string;
  totalMs: number;
  errors: number;
  utility: boolean;
  /** Position of its first execution among the counted statements (0-based), for a stable order. */
  firstIndex: number;
}

export interface NPlusOneGroup extends FingerprintGroup {
  /**
   * The "1" of 1 + N: the nearest statement before this group's first execution that is not itself
   * repeated (so with two interleaved lookups per row, both name the list query, not each other).
   */
  precededBy?: string;
}

export interface DuplicateGroup {
  /** The SQL with its parameters inlined. */
  exampleSql: string;
  /** Executions with this exact SQL and these exact parameters (at least 2). */
  count: number;
}

export interface QueryAnalysis {
  /** Statements counted against budgets. */
  total: number;
  /** Utility statements seen and left out of `total` (0 when includeUtility). */
  utilityExcluded: number;
  errors: number;
  /** Sum of the counted statements' durations, in ms. */
  dbTimeMs: number;
  /** Counted statements per fingerprint, most executed first (ties: first seen first). */
  groups: FingerprintGroup[];
  nPlusOne: NPlusOneGroup[];
  duplicateGroups: DuplicateGroup[];
  /** Executions that exactly repeated an earlier one of the same request. */
  duplicates: number;
  /** False when the source cannot tell exact repeats apart (pg_stat_statements); duplicates are then 0. */
  duplicatesKnown: boolean;
}

/** Analyse one request window's statements. */
export function analyzeStatements(statements: readonly ExecutedStatement[], options: AnalyzeOptions): QueryAnalysis {
  const threshold = options.nPlusOneThreshold ?? DEFAULT_N_PLUS_ONE_THRESHOLD;
  const groups = new Map<string, FingerprintGroup>();
  /** Counted statements in order (fingerprint and example), to find what preceded a repeated group. */
  const sequence: Array<{ fingerprint: string; example: string }> = [];
  const duplicates = new Map<string, DuplicateGroup>();
  let total = 0;
  let utilityExcluded = 0;
  let errors = 0;
  let dbTimeMs = 0;
  const duplicatesKnown = options.detectDuplicates ?? true;

  for (const statement of statements) {
    const count = statement.count ?? 1;
    if (count <= 0) continue;
    if (statement.utility && !options.includeUtility) {
      utilityExcluded += count;
      continue;
    }
    const example = inlineParams(statement.sql, statement.params);
    const fingerprint = options.fingerprint(statement.sql);
    let group = groups.get(fingerprint);
    if (!group) {
      group = { fingerprint, count: 0, exampleSql: example, totalMs: 0, errors: 0, utility: statement.utility, firstIndex: total };
      groups.set(fingerprint, group);
    }
    sequence.push({ fingerprint, example });
    group.count += count;
    group.totalMs += statement.durationMs * count;
    if (statement.error !== undefined) {
      group.errors += count;
      errors += count;
    }
    total += count;
    dbTimeMs += statement.durationMs * count;

    if (duplicatesKnown) {
      // The key is the text as sent plus its parameters; a record standing for several executions
      // counts as that many executions of one key.
      const key = duplicateKey(statement.sql, statement.params);
      const duplicate = duplicates.get(key);
      if (duplicate) duplicate.count += count;
      else duplicates.set(key, { exampleSql: example, count });
    }
  }

  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.firstIndex - b.firstIndex);
  const nPlusOne: NPlusOneGroup[] = sorted
    .filter((group) => group.count >= threshold && !group.utility)
    .map((group) => {
      const first = sequence.findIndex((entry) => entry.fingerprint === group.fingerprint);
      for (let k = first - 1; k >= 0; k--) {
        const candidate = groups.get(sequence[k].fingerprint) as FingerprintGroup;
        if (candidate.count < threshold) return { ...group, precededBy: sequence[k].example };
      }
      return { ...group };
    });
  const duplicateGroups = [...duplicates.values()].filter((group) => group.count >= 2).sort((a, b) => b.count - a.count);
  return {
    total,
    utilityExcluded,
    errors,
    dbTimeMs,
    groups: sorted,
    nPlusOne,
    duplicateGroups,
    duplicates: duplicateGroups.reduce((sum, group) => sum + group.count - 1, 0),
    duplicatesKnown,
  };
}

export interface ScalingChange {
  fingerprint: string;
  exampleSql: string;
  /** Executions with the smaller size / the larger size (0 when absent). */
  small: number;
  large: number;
}

/**
 * The strongest N+1 evidence: the same request at two sizes (limit=5 vs limit=50). Bulk code runs the
 * same statements whatever the size; N+1 code runs a statement once more per row. Every fingerprint
 * whose count differs between the two is returned, biggest growth first.
 */
export function compareScaling(small: QueryAnalysis, large: QueryAnalysis): ScalingChange[] {
  const changes = new Map<string, ScalingChange>();
  for (const group of small.groups) {
    changes.set(group.fingerprint, { fingerprint: group.fingerprint, exampleSql: group.exampleSql, small: group.count, large: 0 });
  }
  for (const group of large.groups) {
    const change = changes.get(group.fingerprint);
    if (change) change.large = group.count;
    else changes.set(group.fingerprint, { fingerprint: group.fingerprint, exampleSql: group.exampleSql, small: 0, large: group.count });
  }
  return [...changes.values()].filter((change) => change.small !== change.large).sort((a, b) => b.large - b.small - (a.large - a.small));
}

/** Shorten SQL for a table cell: whitespace collapsed, cut at `max` characters with an ellipsis. */
export function abbreviateSql(sql: string, max = 120): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
