/**
 * The pg_stat_statements source against the real PostgreSQL, checked against the server's own
 * statement log (log_statement = 'all' on a dedicated database): for the same traffic, the executions
 * per fingerprint that pg_stat_statements reports must equal the successful statements the log shows,
 * fingerprint by fingerprint. (The extension does not count failed statements; the log does.)
 *
 * The extension must be preloaded, which takes a server restart: when it is not, the test preloads it
 * itself if nobody else is connected (a fresh CI machine), else it fails with the exact commands.
 */
import { readFile, stat } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerfspecError } from '../../src/errors.js';
import { createFingerprinter, type Fingerprinter } from '../../src/sources/postgres/fingerprint.js';
import { readStatementLog } from '../../src/sources/postgres/statement-log.js';
import { StatStatementsSource } from '../../src/sources/postgres/stat-statements.js';
import { requirePgStatStatementsPreloaded } from '../helpers/pg-stat-statements.js';

const HOST = '127.0.0.1';
const PORT = 5432;
const DATABASE = 'perfspec_pgtest';
const NO_EXTENSION_DATABASE = 'perfspec_pgtest_noext';
const READER = 'perfspec_pgtest_reader';
const URL = `postgres://postgres@${HOST}:${PORT}/${DATABASE}`;

let admin: pg.Client;
let fingerprinter: Fingerprinter;
let logFile = '/var/log/postgresql/postgresql-15-main.log';

async function createDatabase(name: string): Promise<void> {
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) {
    await admin.query(`CREATE DATABASE ${name}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error;
    });
  }
}

beforeAll(async () => {
  admin = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await requirePgStatStatementsPreloaded(admin);
  await createDatabase(DATABASE);
  await createDatabase(NO_EXTENSION_DATABASE);
  await admin.query(`ALTER DATABASE ${DATABASE} SET log_statement = 'all'`);
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v;
  logFile = `/var/log/postgresql/postgresql-${Math.floor(Number(version) / 10000)}-main.log`;
  const setup = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: DATABASE });
  await setup.connect();
  const preloaded = (await setup.query<{ p: string }>("SELECT current_setting('shared_preload_libraries') AS p")).rows[0].p;
  if (preloaded.includes('pg_stat_statements')) await setup.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await setup.query('CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text NOT NULL)');
  await setup.query("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g ON CONFLICT DO NOTHING");
  await setup.end();
  fingerprinter = await createFingerprinter();
});

afterAll(async () => {
  await admin.query(`DROP ROLE IF EXISTS ${READER}`).catch(() => undefined);
  await admin?.end();
});

function countByFingerprint(items: Array<{ sql: string; count?: number }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const key = fingerprinter.fingerprint(item.sql);
    counts[key] = (counts[key] ?? 0) + (item.count ?? 1);
  }
  return counts;
}

describe('StatStatementsSource against PostgreSQL', () => {
  it('reports per fingerprint exactly the successful statements the server logs', async () => {
    const source = await StatStatementsSource.open(URL);
    const app = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: DATABASE, application_name: 'perfspec-test-pgss' });
    await app.connect();
    const pid = (app as unknown as { processID: number }).processID;
    const offset = (await stat(logFile)).size;
    const window = await source.beginWindow();

    // An N+1 in both forms (literals and parameters: pg_stat_statements splits them into two
    // queryids, the fingerprint joins them again), a named statement run many times, a transaction,
    // a multi-statement Query, and failures (not counted by the extension).
    await app.query('SELECT id, name FROM items ORDER BY id LIMIT 10');
    for (let id = 1; id <= 5; id++) await app.query(`SELECT name FROM items WHERE id = ${id}`);
    for (let id = 6; id <= 10; id++) await app.query('SELECT name FROM items WHERE id = $1', [id]);
    for (let k = 0; k < 7; k++) await app.query({ name: 'count_items', text: 'SELECT count(*) FROM items WHERE id > $1', values: [k] });
    await app.query('BEGIN');
    await app.query('SELECT name FROM items WHERE id = $1', [11]);
    await app.query('COMMIT');
    await app.query('SELECT 1; SELECT 2');
    await app.query('SELEC broken').catch(() => undefined);
    await app.query('SELECT 1/$1::int', [0]).catch(() => undefined);

    const statements = await source.endWindow(window);
    await app.end();
    await source.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log = (await readFile(logFile)).subarray(offset).toString('utf8');
    const logged = readStatementLog(log, new Set([pid])).filter((s) => s.error === undefined && !s.ambiguous);

    const fromExtension = countByFingerprint(statements);
    const fromLog = countByFingerprint(logged);
    expect(fromExtension).toEqual(fromLog);
    // And the figures a reader cares about, by name:
    expect(fromExtension[fingerprinter.fingerprint('SELECT name FROM items WHERE id = 1')]).toBe(11);
    expect(fromExtension[fingerprinter.fingerprint('SELECT count(*) FROM items WHERE id > 1')]).toBe(7);
    expect(statements.reduce((sum, s) => sum + (s.count ?? 1), 0)).toBe(1 + 5 + 5 + 7 + 3 + 2);
    expect(
      statements
        .filter((s) => s.utility)
        .map((s) => s.sql)
        .sort(),
    ).toEqual(['BEGIN', 'COMMIT']);
  });

  it('sees nothing of its own snapshots', async () => {
    const source = await StatStatementsSource.open(URL);
    for (let k = 0; k < 3; k++) {
      const window = await source.beginWindow();
      expect(await source.endWindow(window)).toEqual([]);
    }
    await source.close();
  });

  it('says how to create the extension when a database lacks it', async () => {
    const error = await StatStatementsSource.open(`postgres://postgres@${HOST}:${PORT}/${NO_EXTENSION_DATABASE}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerfspecError);
    expect((error as PerfspecError).code).toBe('PS_PG_STAT_STATEMENTS');
    expect((error as PerfspecError).exitCode).toBe(3);
    expect((error as PerfspecError).message).toBe(
      `pg_stat_statements is loaded on PostgreSQL at ${HOST}:${PORT} but not created in database "${NO_EXTENSION_DATABASE}"`,
    );
    expect((error as PerfspecError).hint).toContain(
      `psql -h ${HOST} -p ${PORT} -U postgres -d ${NO_EXTENSION_DATABASE} -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"`,
    );
  });

  it("says how to grant access when perfspec's user cannot read the app role's statements", async () => {
    await admin.query(`DROP ROLE IF EXISTS ${READER}`);
    await admin.query(`CREATE ROLE ${READER} LOGIN`);
    const url = `postgres://${READER}@${HOST}:${PORT}/${DATABASE}`;
    const error = await StatStatementsSource.open(url, { role: 'postgres' }).catch((e: unknown) => e);
    expect((error as PerfspecError).code).toBe('PS_PG_STAT_STATEMENTS');
    expect((error as PerfspecError).message).toContain(`user "${READER}" cannot read the statements of role "postgres"`);
    expect((error as PerfspecError).hint).toContain(`GRANT pg_read_all_stats TO "${READER}"`);

    await admin.query(`GRANT pg_read_all_stats TO ${READER}`);
    const source = await StatStatementsSource.open(url, { role: 'postgres' });
    const app = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: DATABASE });
    await app.connect();
    const window = await source.beginWindow();
    await app.query('SELECT name FROM items WHERE id = $1', [1]);
    const statements = await source.endWindow(window);
    await app.end();
    await source.close();
    expect(statements.map((s) => [s.sql, s.count])).toEqual([['SELECT name FROM items WHERE id = $1', 1]]);
  });

  it('maps a missing database and a closed port to PS_PG_UNREACHABLE with the address and the fix', async () => {
    const missing = await StatStatementsSource.open(`postgres://postgres:pw-never-shown@${HOST}:${PORT}/perfspec_no_such_db`).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'PS_PG_UNREACHABLE', message: `PostgreSQL at ${HOST}:${PORT} has no database "perfspec_no_such_db"` });
    expect((missing as PerfspecError).hint).toContain(`createdb -h ${HOST} -p ${PORT} -U postgres perfspec_no_such_db`);
    const closed = await StatStatementsSource.open(`postgres://postgres:pw-never-shown@${HOST}:1/x`).catch((e: unknown) => e);
    expect(closed).toMatchObject({ code: 'PS_PG_UNREACHABLE', message: `PostgreSQL is not reachable at ${HOST}:1: connection refused` });
    for (const error of [missing, closed]) {
      expect(`${(error as PerfspecError).message} ${(error as PerfspecError).hint}`).not.toContain('pw-never-shown');
    }
  });
});
