/**
 * A server whose statements per endpoint are known by construction, under concurrent load through
 * perfspec's proxy: /three runs 3 statements with the request's traceparent (a simple query, and a
 * named prepared statement parsed once and executed twice), /two runs 2 with it and 1 without, /none
 * runs none. Attributed counts per request and the unattributed total must be exact.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceTagOf } from '../../src/load/flows/traceparent.js';
import { runLoad } from '../../src/load/run/run-load.js';
import { formatSqlComment } from '../../src/sources/postgres/sqlcommenter.js';
import { PgWireProxy } from '../../src/sources/postgres/wire-proxy.js';

let proxy: PgWireProxy;
let pool: pg.Pool;
let server: http.Server;
let baseUrl = '';
const served = { three: 0, two: 0, none: 0 };

beforeAll(async () => {
  proxy = new PgWireProxy({ upstream: { host: '127.0.0.1', port: 5432 } });
  await proxy.listen();
  pool = new pg.Pool({ host: '127.0.0.1', port: proxy.port, user: 'postgres', database: 'postgres', max: 8 });
  server = http.createServer((req, res) => {
    const traceparent = String(req.headers.traceparent ?? '');
    const comment = formatSqlComment({ traceparent });
    const run = async () => {
      if (req.url === '/three') {
        await pool.query(`SELECT 1 ${comment}`);
        const client = await pool.connect();
        try {
          // One Parse (named, unique per request), two executions: both keep the Parse's traceparent.
          const named = { name: `s${traceparent.slice(3, 35)}`, text: `SELECT $1::int AS n ${comment}` };
          await client.query({ ...named, values: [1] });
          await client.query({ ...named, values: [2] });
        } finally {
          client.release();
        }
        served.three++;
      } else if (req.url === '/two') {
        await pool.query(`SELECT $1::int ${comment}`, [1]);
        await pool.query('SELECT 2'); // no comment: unattributed
        await pool.query(`SELECT 3 ${comment}`);
        served.two++;
      } else {
        served.none++;
      }
    };
    run().then(
      () => res.end('ok'),
      (error: Error) => {
        res.statusCode = 500;
        res.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await pool?.end();
  await proxy?.close();
});

describe('attribution against known per-endpoint counts', () => {
  it('counts attributed statements per request and unattributed ones exactly, under 20 concurrent users', async () => {
    const name = 'known-counts';
    const runId = `known-${Date.now()}`;
    const before = proxy.attribution.unattributedSnapshot().statements;
    const report = await runLoad(
      {
        name,
        users: 20,
        duration: '2s',
        flows: [
          {
            name: 'f',
            steps: [
              { request: 'GET /three', name: 'three' },
              { request: 'GET /two', name: 'two' },
              { request: 'GET /none', name: 'none' },
            ],
          },
        ],
      },
      { baseUrl, runId },
    );
    expect(report.overall.errors).toBe(0);
    const traces = proxy.attribution.take(traceTagOf(runId, name));
    const byEntry = new Map<number, number[]>();
    for (const trace of traces) {
      const entry = Number.parseInt(trace.traceId.slice(8, 12), 16);
      byEntry.set(entry, [...(byEntry.get(entry) ?? []), trace.statements]);
    }
    // Entries are numbered in step order: three, two, none.
    expect(byEntry.get(0)?.length).toBe(served.three);
    expect(new Set(byEntry.get(0))).toEqual(new Set([3]));
    expect(byEntry.get(1)?.length).toBe(served.two);
    expect(new Set(byEntry.get(1))).toEqual(new Set([2]));
    expect(byEntry.has(2)).toBe(false);
    expect(proxy.attribution.unattributedSnapshot().statements - before).toBe(served.two);
    expect(served.three).toBeGreaterThan(20);
  }, 30_000);
});
