/**
 * PostgreSQL access for the reference API: database creation, the one pg.Pool every query goes
 * through, the simulated network round trip, and the query hook the tests count with.
 */
import pg from 'pg';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The incoming request's W3C traceparent, for the statements it runs. What OpenTelemetry's pg
 * instrumentation does with `addSqlCommenterCommentToQueries: true`, in a few lines: each statement
 * gets a sqlcommenter comment at its end, `/*traceparent='00-…-…-01'*\/`, so a proxy that reads the
 * wire (perfspec's) can tell which request ran which statement, under any concurrency.
 */
export const requestTrace = new AsyncLocalStorage();

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * `text` with the sqlcommenter comment of the current request's traceparent appended (keys sorted,
 * values URL-encoded and single-quoted, as the sqlcommenter spec says). Left alone when there is no
 * valid traceparent, or when the text has a comment already (as OpenTelemetry does).
 * @param {string} text
 */
export function withTraceComment(text) {
  const traceparent = requestTrace.getStore();
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent) || typeof text !== 'string') return text;
  if (text.includes('/*') || text.includes('--')) return text;
  return `${text} /*traceparent='${encodeURIComponent(traceparent)}'*/`;
}

/** SQLSTATEs that mean "the database already exists" when two processes race to create it. */
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505'; // the loser of a concurrent CREATE DATABASE sometimes gets this instead
const INVALID_CATALOG_NAME = '3D000'; // "database ... does not exist"

/**
 * Creates the database named in `databaseUrl` when it does not exist yet.
 *
 * It connects to the target first and only falls back to the `postgres` maintenance database when
 * that fails with "does not exist", so a user without access to `postgres` can still run against a
 * database someone created for it.
 * @param {string} databaseUrl
 */
export async function ensureDatabase(databaseUrl) {
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if (err?.code !== INVALID_CATALOG_NAME) throw err;
  } finally {
    await probe.end().catch(() => {});
  }

  const name = databaseName(databaseUrl);
  const maintenanceUrl = new URL(databaseUrl);
  maintenanceUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenanceUrl.toString() });
  await admin.connect();
  try {
    // CREATE DATABASE takes no parameters; the identifier is quoted instead.
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (err) {
    if (err?.code !== DUPLICATE_DATABASE && err?.code !== UNIQUE_VIOLATION) throw err;
  } finally {
    await admin.end().catch(() => {});
  }
}

/** @param {string} databaseUrl */
export function databaseName(databaseUrl) {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${databaseUrl}`);
  return name;
}

/** @param {string} ident */
export function quoteIdent(ident) {
  return `"${ident.replace(/"/g, '""')}"`;
}

/**
 * @typedef {{text: string, values: unknown[] | undefined}} QueryEvent
 * @typedef {{
 *   pool: pg.Pool,
 *   query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>,
 *   transaction: <T>(fn: (tx: {query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>}) => Promise<T>) => Promise<T>,
 *   end: () => Promise<void>,
 * }} Db
 */

/**
 * @param {{databaseUrl: string, latencyMs: number, applicationName: string,
 *   onQuery?: (event: QueryEvent) => void, log?: (msg: string) => void}} options
 * @returns {Db}
 */
export function createDb({ databaseUrl, latencyMs, applicationName, onQuery, log = () => {} }) {
  // One pool of 10 for everything: the same limit a small production service would have, so that
  // N+1 handlers under load queue for connections the way they would for real.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: applicationName,
  });

  // An idle client whose backend dies (restart, pg_terminate_backend) emits 'error' on the pool;
  // without a listener that would crash the process. The pool drops the client and reconnects.
  pool.on('error', (err) => log(`postgres idle client error: ${err.message}`));

  if (onQuery) {
    // Count at the client, the layer that writes to the socket: every statement the pool actually
    // sends — handler queries, BEGIN/COMMIT, seed statements — passes here exactly once.
    pool.on('connect', (client) => {
      const original = client.query;
      client.query = function instrumentedQuery(config, values, ...rest) {
        const text = typeof config === 'string' ? config : config?.text;
        const params = Array.isArray(values) ? values : config?.values;
        try {
          onQuery({ text, values: params });
        } catch (err) {
          log(`onQuery hook threw: ${err?.message ?? err}`);
        }
        return original.call(this, config, values, ...rest);
      };
    });
  }

  /**
   * The simulated network round trip to a database on another host. It is paid before every
   * statement, so a handler that issues 201 statements pays 201 round trips, as it would in
   * production — N+1 code is slow here for the real reason, not because of an artificial penalty.
   */
  const roundTrip = latencyMs > 0 ? () => sleep(latencyMs) : () => Promise.resolve();

  return {
    pool,
    async query(text, values) {
      await roundTrip();
      return pool.query(withTraceComment(text), values);
    },
    async transaction(fn) {
      const client = await pool.connect();
      const query = async (text, values) => {
        await roundTrip();
        return client.query(withTraceComment(text), values);
      };
      let broken;
      try {
        await query('BEGIN');
        const result = await fn({ query });
        await query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query(withTraceComment('ROLLBACK'));
        } catch (rollbackErr) {
          broken = rollbackErr; // the connection itself is gone: do not hand it back to the pool
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    end: () => pool.end(),
  };
}
