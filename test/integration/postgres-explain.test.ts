/**
 * explain never changes data, against the real server: a writing statement asked to be analysed is
 * planned only (the table is unchanged), a SELECT is analysed inside a read-only transaction, a
 * SELECT that writes (nextval) is refused by the server, and a second statement smuggled after a
 * semicolon is refused (extended protocol), never run.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainStatement } from '../../src/sources/postgres/explain.js';

const DATABASE = 'perfspec_explain_test';
let client: pg.Client;

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: DATABASE });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS items; DROP SEQUENCE IF EXISTS counter');
  await client.query('CREATE TABLE items (id int PRIMARY KEY, n int); CREATE SEQUENCE counter');
  await client.query('INSERT INTO items SELECT g, 0 FROM generate_series(1, 100) g');
});

afterAll(async () => {
  await client?.end();
});

const state = async () =>
  (await client.query<{ total: string; last: string }>('SELECT sum(n)::text AS total, (SELECT last_value::text FROM counter) AS last FROM items')).rows[0];

describe('explain', () => {
  it('plans a writing statement asked to be analysed, without running it', async () => {
    const before = await state();
    const plan = await explainStatement(client, 'UPDATE items SET n = n + 1 WHERE id > $1', ['0'], 'analyze');
    expect(plan.analyzed).toBe(false);
    expect(plan.note).toMatch(/not a SELECT/);
    expect(plan.nodes[0].node).toBe('ModifyTable');
    expect(await state()).toEqual(before);
  });

  it('analyses a SELECT, with actual rows and its sequential scans', async () => {
    const plan = await explainStatement(client, 'SELECT * FROM items WHERE n = $1', ['0'], 'analyze');
    expect(plan.analyzed).toBe(true);
    expect(plan.sequentialScans).toEqual(['items']);
    expect(plan.nodes[0].actualRows).toBe(100);
    const planned = await explainStatement(client, 'SELECT * FROM items WHERE id = $1', ['7'], 'plan');
    expect(planned.analyzed).toBe(false);
    expect(planned.nodes[0].actualRows).toBeUndefined();
    expect(planned.sequentialScans).toEqual([]);
  });

  it('a SELECT that writes is refused by the read-only transaction, and a smuggled second statement never runs', async () => {
    const before = await state();
    await expect(explainStatement(client, "SELECT nextval('counter')", undefined, 'analyze')).rejects.toMatchObject({ code: '25006' });
    await expect(explainStatement(client, 'SELECT 1; UPDATE items SET n = 5', undefined, 'plan')).rejects.toMatchObject({ code: '42601' });
    await expect(explainStatement(client, 'SELECT 1; UPDATE items SET n = 5', undefined, 'analyze')).rejects.toMatchObject({ code: '42601' });
    expect(await state()).toEqual(before);
    // The connection is usable afterwards: every path ended its transaction.
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
