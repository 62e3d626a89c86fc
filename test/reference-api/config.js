/**
 * Environment → options for createApp().
 *
 * Kept apart from server.js so the parsing rules (defaults, validation) are one pure function that
 * the tests and the entry point share; only server.js reads `process.env` itself.
 */

/** The two implementations of every data endpoint. */
export const MODES = Object.freeze(['naive', 'optimized']);

export const DEFAULTS = Object.freeze({
  port: 8000,
  host: '127.0.0.1',
  mode: 'optimized',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/perfspec_ref',
  redisUrl: 'redis://127.0.0.1:6379/1',
  dbLatencyMs: 1,
});

/**
 * @param {Record<string, string | undefined>} env
 * @returns {{port: number, host: string, mode: 'naive' | 'optimized', databaseUrl: string,
 *   redisUrl: string, dbLatencyMs: number, tokenSecret?: string}}
 */
export function readConfig(env) {
  const mode = env.REF_API_MODE || DEFAULTS.mode;
  if (!MODES.includes(mode)) {
    throw new Error(`REF_API_MODE must be one of ${MODES.join(', ')} (got "${mode}")`);
  }
  return {
    port: intFrom(env.PORT, DEFAULTS.port, 'PORT', 0, 65535),
    host: env.HOST || DEFAULTS.host,
    mode: /** @type {'naive' | 'optimized'} */ (mode),
    databaseUrl: env.DATABASE_URL || DEFAULTS.databaseUrl,
    redisUrl: env.REDIS_URL || DEFAULTS.redisUrl,
    dbLatencyMs: numberFrom(env.REF_API_DB_LATENCY_MS, DEFAULTS.dbLatencyMs, 'REF_API_DB_LATENCY_MS'),
    tokenSecret: env.REF_API_TOKEN_SECRET || undefined,
  };
}

/** A typo in the environment should stop the start, not silently fall back to a default. */
function intFrom(raw, fallback, name, min, max) {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}] (got "${raw}")`);
  }
  return n;
}

function numberFrom(raw, fallback, name) {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0 (got "${raw}")`);
  return n;
}
