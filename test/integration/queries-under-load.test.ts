/**
 * Queries per request under load, against the reference API (both modes) through perfspec's proxy,
 * with 50 concurrent users. Ground truth: PostgreSQL's own statement log (log_statement = 'all' on
 * this test's own database): every logged statement carries the traceparent the API copied from the
 * request, so the log says exactly how many statements each request ran. The proxy's count for every
 * single request must equal the log's; in naive mode (no cache) every request of a name runs the same
 * number of statements, which must equal the count of the same request sent alone.
 */
import { readFile, stat } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../src/load/run/run-load.js';
import { traceTagOf } from '../../src/load/flows/traceparent.js';
import { runSpecProbe } from '../../src/engine/run-spec-probe.js';
import { loadProbe } from '../../src/probes/load/index.js';
import type { ProbeContext } from '../../src/probes/types.js';
import { readStatementLog } from '../../src/sources/postgres/statement-log.js';
import { traceIdOfStatement } from '../../src/sources/postgres/sqlcommenter.js';
import { PgWireProxy } from '../../src/sources/postgres/wire-proxy.js';
import { createApp, SEED_PASSWORD, type ReferenceApi } from '../reference-api/index.js';

const DATABASE = 'perfspec_attribution_test';
const REDIS_URL = 'redis://127.0.0.1:6379/12';
const USERS = 50;

let admin: pg.Client;
let proxy: PgWireProxy;
let logFile: string;
const apps = {} as Record<'naive' | 'optimized', ReferenceApi>;
let token = '';

async function locateLog(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ file: string | null; dir: string; version: string }>(
    "SELECT pg_current_logfile() AS file, current_setting('data_directory') AS dir, current_setting('server_version_num') AS version",
  );
  const candidates = [
    rows[0].file && (rows[0].file.startsWith('/') ? rows[0].file : `${rows[0].dir}/${rows[0].file}`),
    `/var/log/postgresql/postgresql-${Math.floor(Number(rows[0].version) / 10000)}-main.log`,
  ];
  for (const file of candidates) {
    if (!file) continue;
    try {
      await stat(file);
      return file;
    } catch {
      // not this one
    }
  }
  throw new Error('cannot find the PostgreSQL server log (needed as ground truth)');
}

/** Statements per trace id in the server log written since `offset`, for trace ids starting with `tag`. */
async function loggedCountsSince(offset: number, tag: string): Promise<Map<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const text = (await readFile(logFile)).subarray(offset).toString('utf8');
  const counts = new Map<string, number>();
  for (const statement of readStatementLog(text)) {
    const id = traceIdOfStatement(statement.sql);
    if (id?.startsWith(tag)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const ENDPOINTS: Array<[string, string]> = [
  ['audit-logs', 'GET /api/v1/audit-logs?limit=5'],
  ['audit-stats', 'GET /api/v1/audit-logs/stats'],
  ['sso', 'GET /api/v1/sso/config'],
  ['org-settings', 'GET /api/v1/organizations/1/settings'],
  ['me', 'GET /api/v1/users/me'],
];

function scenario(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    users: USERS,
    duration: '3s',
    headers: { authorization: `Bearer ${token}` },
    flows: [{ name: 'all', steps: ENDPOINTS.map(([stepName, request]) => ({ request, name: stepName })) }],
    ...extra,
  };
}

beforeAll(async () => {
  admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.query(`ALTER DATABASE ${DATABASE} SET log_statement = 'all'`);
  logFile = await locateLog(admin);
  proxy = new PgWireProxy({ upstream: { host: '127.0.0.1', port: 5432 } });
  await proxy.listen();
  const databaseUrl = `postgres://postgres@127.0.0.1:${proxy.port}/${DATABASE}`;
  for (const mode of ['naive', 'optimized'] as const)
    apps[mode] = await createApp({ mode, databaseUrl, redisUrl: REDIS_URL, dbLatencyMs: 1, port: 0, log: () => undefined });
  const login = await fetch(`${apps.naive.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'owner@acme.example.test', password: SEED_PASSWORD }),
  });
  token = ((await login.json()) as { access_token: string }).access_token;
}, 60_000);

afterAll(async () => {
  for (const app of Object.values(apps)) await app.close();
  await proxy?.close();
  await admin?.end();
});

/** Statements the proxy attributes to one request sent alone with a known traceparent. */
async function aloneCount(app: ReferenceApi, request: string, n: number): Promise<number> {
  const [method, path] = request.split(' ');
  const traceId = `a1a1a1a1${n.toString(16).padStart(24, '0')}`;
  await fetch(`${app.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  return proxy.attribution.take(traceId).reduce((sum, t) => sum + t.statements, 0);
}

describe('queries per request under load', () => {
  for (const mode of ['naive', 'optimized'] as const) {
    it(`${mode}: every request's statement count under ${USERS} users equals the server log's`, async () => {
      const name = `attribution-${mode}`;
      const runId = `test-${Date.now()}`;
      const tag = traceTagOf(runId, name);
      const offset = (await stat(logFile)).size;
      const report = await runLoad(scenario(name), { baseUrl: apps[mode].url, runId });
      expect(report.overall.errors).toBe(0);
      const traces = proxy.attribution.take(tag);
      const logged = await loggedCountsSince(offset, tag);
      const proxied = new Map(traces.map((t) => [t.traceId, t.statements]));
      expect(proxied.size).toBeGreaterThan(USERS);
      expect(proxied).toEqual(logged);
      console.log(
        `${mode}: ${proxied.size} requests, ${[...proxied.values()].reduce((a, b) => a + b, 0)} statements attributed, equal to the server log's per request; ${report.overall.requests} responses`,
      );
      // Naive mode has no cache: each request of a name runs exactly what it runs alone.
      if (mode === 'naive') {
        const alone = new Map<string, number>();
        for (const [k, [stepName, request]] of ENDPOINTS.entries()) alone.set(stepName, await aloneCount(apps.naive, request, k + 1));
        expect(alone.get('audit-logs')).toBe(11); // 1 + 2n with n = 5: checked against the handler's own arithmetic
        const entries = new Map<number, string>(ENDPOINTS.map(([stepName], k) => [k, stepName]));
        for (const trace of traces) {
          const entry = Number.parseInt(trace.traceId.slice(8, 12), 16);
          expect(trace.statements, entries.get(entry)).toBe(alone.get(entries.get(entry) as string));
        }
      }
    }, 60_000);
  }

  it('a queries-per-request threshold fails against naive and passes against optimized (through the load probe)', async () => {
    const results: Record<string, { status: string; verdicts: Array<{ metric: string; outcome: string; actual: string }>; table?: string[][] }> = {};
    for (const mode of ['naive', 'optimized'] as const) {
      const section = {
        ...scenario(`probe-${mode}`, { duration: '2s' }),
        thresholds: { requests: { 'audit-logs': { queries: '<= 5', nPlusOne: 'forbid' as const } } },
      };
      const ctx = {
        services: { has: (n: string) => n === 'postgres', get: () => ({ source: proxy }) },
        buildRequest: () => ({ headers: {} }),
        resolve: () => `probe-${Date.now()}`,
        vars: {},
        baseUrl: apps[mode].url,
        signal: new AbortController().signal,
        progress: { update: () => undefined, info: () => undefined },
        now: () => performance.now(),
        specDir: '.',
      } as unknown as ProbeContext;
      const [result] = await runSpecProbe(loadProbe, section, ctx, { select: {} });
      const probe = result.probes[0];
      results[mode] = {
        status: result.status,
        verdicts: probe.verdicts
          .filter((v) => v.metric.startsWith('requests.audit-logs'))
          .map((v) => ({ metric: v.metric, outcome: v.outcome, actual: v.actual })),
        table: probe.tables.find((t) => t.title.startsWith('Queries per request'))?.rows,
      };
    }
    expect(results.naive.status).toBe('failed');
    expect(results.naive.verdicts).toEqual([
      { metric: 'requests.audit-logs.queries', outcome: 'fail', actual: '11' },
      { metric: 'requests.audit-logs.nPlusOne', outcome: 'fail', actual: '5× one statement' },
    ]);
    expect(results.optimized.verdicts.map((v) => v.outcome)).toEqual(['pass', 'pass']);
    // Not 'passed': on a loaded machine the generator-health warning may fire; no verdict may fail.
    expect(results.optimized.status).not.toBe('failed');
    expect(results.naive.table?.find((row) => row[0] === 'audit-logs')?.slice(3, 6)).toEqual(['11', '11', '11']);
  }, 60_000);
});
