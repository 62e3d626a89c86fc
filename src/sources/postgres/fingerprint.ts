/**
 * Statement fingerprints: one key for every form of one statement, so a literal `WHERE id = 7`, a
 * parameterised `WHERE id = $1` and pg_stat_statements' normalised text land in one group.
 *
 * libpg-query (PostgreSQL's own parser, WASM) gives the fingerprint. It also unifies `id = 1`,
 * `id IN (1,2,3)` and `id = ANY($1)`, and LIMIT 10 / LIMIT 20: so count executions per fingerprint,
 * never infer batching from the fingerprint itself. Text it cannot parse (a statement that failed with
 * a syntax error, a newer grammar) falls back to the lexer's normalised text, hashed; those keys start
 * with "n:" so the two kinds can never collide.
 */
import { createHash } from 'node:crypto';
import { normalizeSqlText } from './sql-lexer.js';

export interface Fingerprinter {
  /** A stable key for the statement's shape. */
  fingerprint(sql: string): string;
  /** The statement with constants as $n (libpg-query) or ? (fallback), for display. */
  normalize(sql: string): string;
  /** "libpg-query" or "lexer": which one answers when the SQL parses. */
  readonly engine: 'libpg-query' | 'lexer';
}

interface LibPgQuery {
  loadModule(): Promise<void>;
  fingerprintSync(sql: string): string;
  normalizeSync(sql: string): string;
}

let loading: Promise<LibPgQuery | null> | undefined;

/** Load libpg-query once per process (about 40 ms); null when it cannot load (the lexer then answers alone). */
function loadLibPgQuery(): Promise<LibPgQuery | null> {
  loading ??= (async () => {
    try {
      const module = (await import('libpg-query')) as unknown as LibPgQuery;
      await module.loadModule();
      return module;
    } catch {
      return null;
    }
  })();
  return loading;
}

/** The fallback key: the normalised text, hashed so keys are short and uniform. */
export function fingerprintWithLexer(sql: string): string {
  return `n:${createHash('sha1').update(normalizeSqlText(sql)).digest('hex').slice(0, 16)}`;
}

/** A fingerprinter backed by the lexer only (pure and synchronous; used by unit tests and as fallback). */
export function createLexerFingerprinter(): Fingerprinter {
  return { engine: 'lexer', fingerprint: fingerprintWithLexer, normalize: normalizeSqlText };
}

/**
 * A fingerprinter backed by libpg-query when it loads, with results memoised per SQL text: an N+1 sends
 * one text hundreds of times. The cache is bounded so a long run over many distinct texts cannot grow it forever.
 */
export async function createFingerprinter(options: { cacheSize?: number } = {}): Promise<Fingerprinter> {
  const lib = await loadLibPgQuery();
  if (!lib) return createLexerFingerprinter();
  const cacheSize = options.cacheSize ?? 10_000;
  const fingerprints = new Map<string, string>();
  const normalized = new Map<string, string>();
  const remember = (cache: Map<string, string>, key: string, value: string): string => {
    if (cache.size >= cacheSize) cache.clear();
    cache.set(key, value);
    return value;
  };
  return {
    engine: 'libpg-query',
    fingerprint(sql) {
      const hit = fingerprints.get(sql);
      if (hit !== undefined) return hit;
      let key: string;
      try {
        key = lib.fingerprintSync(sql);
      } catch {
        key = fingerprintWithLexer(sql);
      }
      return remember(fingerprints, sql, key);
    },
    normalize(sql) {
      const hit = normalized.get(sql);
      if (hit !== undefined) return hit;
      let text: string;
      try {
        text = lib.normalizeSync(sql);
      } catch {
        text = normalizeSqlText(sql);
      }
      return remember(normalized, sql, text);
    },
  };
}

/**
 * The key of an exact repeat: same SQL text and same parameters (django-debug-toolbar's "duplicate").
 * Two executions with this key fetched the same thing twice.
 */
export function duplicateKey(sql: string, params?: ReadonlyArray<string | null>): string {
  return params && params.length > 0 ? JSON.stringify([sql, params]) : JSON.stringify([sql]);
}
