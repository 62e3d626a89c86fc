/**
 * The queries probe end to end against the reference API over real PostgreSQL, for both sources:
 * naive mode fails with its N+1 named and counted exactly as the naive code runs it (1 + 2n for the
 * audit log list: each row's user and organization; 1 + o + w for the organization list), optimized
 * mode passes with its documented counts (3 and 2).
 *
 * The API is started in-process on its own database (perfspec_pgtest_ref, created and seeded by the
 * API itself), so registrations by other test files cannot change the organization count.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueriesBudget } from '../../src/generated/spec-types.js';
import { buildRequest } from '../../src/engine/request-builder.js';
import { openServices, type OpenedServices } from '../../src/engine/services.js';
import { queriesProbe } from '../../src/probes/queries/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import type { ProbeResult } from '../../src/result/result.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { postgresService, type PostgresServiceHandle } from '../../src/sources/postgres/service.js';
import { startReferenceApi, type ReferenceApi } from '../helpers/reference-api.js';
import { requirePgStatStatementsPreloaded } from '../helpers/pg-stat-statements.js';
import { runCheckProbe } from '../../src/engine/run-check-probe.js';

const DATABASE = 'perfspec_pgtest_ref';
const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE}`;
const REDIS_URL = 'redis://127.0.0.1:6379/1';
const USER_LOOKUP = 'SELECT id, email FROM users WHERE id = $1';
const ORG_LOOKUP = 'SELECT id, name FROM organizations WHERE id = $1';

const http = createHttpClient();
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await requirePgStatStatementsPreloaded(admin);
});

afterAll(async () => {
  await http.close();
  await admin.end();
});

interface Running {
  services: OpenedServices;
  api: ReferenceApi;
  token: string;
  close(): Promise<void>;
}

/** Open the postgres service, start the API connected through it (as target.start would), log in. */
async function start(mode: 'naive' | 'optimized', source: 'proxy' | 'pg_stat_statements'): Promise<Running> {
  const progress = { update: () => undefined, info: () => undefined };
  if (source === 'pg_stat_statements') {
    // The API creates its database on first start; the extension must exist in it.
    const api = await startReferenceApi(mode, { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL });
    await api.close();
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await db.end();
  }
  const services = await openServices({ postgres: { url: DATABASE_URL, source } }, [postgresService], { signal: new AbortController().signal, progress });
  const databaseUrl = services.targetEnv().DATABASE_URL ?? DATABASE_URL;
  if (source === 'proxy') expect(databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/perfspec_pgtest_ref$/);
  const api = await startReferenceApi(mode, { databaseUrl, redisUrl: REDIS_URL });
  const login = await http.send({
    method: 'POST',
    url: `${api.url}/api/v1/auth/login`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'owner@acme.example.test', password: 'perfspec-demo' }),
  });
  expect(login.status).toBe(200);
  return {
    services,
    api,
    token: (JSON.parse(login.body) as { access_token: string }).access_token,
    async close() {
      await api.close();
      await services.closeAll();
    },
  };
}

function context(running: Running): ProbeContext {
  const headers = { authorization: `Bearer ${running.token}` };
  return {
    http,
    services: running.services,
    buildRequest: (template) => buildRequest(template, { vars: {} }, { baseUrl: running.api.url, defaultHeaders: headers }),
    resolve: (text) => text,
    vars: {},
    baseUrl: running.api.url,
    signal: new AbortController().signal,
    progress: { update: () => undefined, info: () => undefined },
    now: () => performance.now(),
    specDir: '.',
  };
}

function check(name: string, url: string, queries: QueriesBudget): PlannedCheck {
  return {
    name,
    index: 0,
    request: { method: 'GET', url, headers: {}, query: {} },
    samples: 1,
    warmup: 1,
    concurrency: 1,
    timeoutMs: 10_000,
    expectStatus: [200],
    inconclusive: 'warn',
    maxSamples: 1,
    maxSampleTimeMs: 1000,
    repeat: 1,
    raw: { name, request: `GET ${url}`, queries },
  };
}

const verdict = (result: ProbeResult, metric: string) => result.verdicts.find((v) => v.metric === metric);

const AUDIT_BUDGET: QueriesBudget = { max: 5, nPlusOne: 'forbid', maxDuplicates: 0, scaling: { param: 'limit', sizes: [5, 20] }, before: 201, requests: 2 };
const ORG_BUDGET: QueriesBudget = { max: 3, nPlusOne: 'forbid' };

describe.each(['proxy', 'pg_stat_statements'] as const)('queries probe via %s against the reference API', (source) => {
  it('fails naive mode: the N+1 named and counted exactly (1 + 2n, 1 + o + w)', async () => {
    const running = await start('naive', source);
    try {
      const ctx = context(running);
      const audit = await runCheckProbe(queriesProbe, check('Audit logs list', '/api/v1/audit-logs?limit=100', AUDIT_BUDGET), ctx);
      expect(audit.error).toBeUndefined();
      // 1 + 2 × 100: the rows, then each row's user and organization.
      expect(verdict(audit, 'queries.max')).toMatchObject({ passed: false, actualValue: 201, target: '<= 5' });
      const nPlusOne = verdict(audit, 'queries.nPlusOne');
      expect(nPlusOne).toMatchObject({ passed: false, level: 'error', actualValue: 100, actual: '2 N+1 groups (100×, 100×)' });
      expect(nPlusOne?.message).toContain('ran 100 times');
      const groups = (audit.data.worst as { nPlusOne: Array<{ count: number; exampleSql: string }> }).nPlusOne;
      expect(groups.map((g) => g.count)).toEqual([100, 100]);
      if (source === 'proxy') {
        // The proxy shows the statement as the app sent it, parameters inlined.
        expect(groups.map((g) => g.exampleSql.replace(/'\d+'$/, '$1')).sort()).toEqual([ORG_LOOKUP, USER_LOOKUP].sort());
        expect(groups[0].exampleSql).toMatch(/ WHERE id = '\d+'$/);
        expect(verdict(audit, 'queries.maxDuplicates')).toMatchObject({ passed: false });
      } else {
        expect(groups.map((g) => g.exampleSql).sort()).toEqual([ORG_LOOKUP, USER_LOOKUP].sort());
        expect(verdict(audit, 'queries.maxDuplicates')).toMatchObject({ passed: false, level: 'warn', actual: 'n/a' });
      }
      // limit=5 → 11, limit=20 → 41: the lookups follow the page size.
      expect(verdict(audit, 'queries.scaling')).toMatchObject({ passed: false, actual: '11 → 41 queries' });
      const summary = audit.tables.find((t) => t.title === 'Queries per request');
      expect(summary?.rows[0][summary.columns.indexOf('before → after')]).toBe('201 → 201 (0%)');
      expect(audit.tables.find((t) => t.title.startsWith('N+1 groups'))?.rows.map((row) => row[1])).toEqual(['100', '100']);

      const orgs = await runCheckProbe(queriesProbe, check('Organization list', '/api/v1/organizations', ORG_BUDGET), ctx);
      // 1 + o + w with the seed's 5 organizations, all with an owner: 11.
      expect(verdict(orgs, 'queries.max')).toMatchObject({ passed: false, actualValue: 11 });
      expect(verdict(orgs, 'queries.nPlusOne')).toMatchObject({ passed: false, actualValue: 5, actual: '2 N+1 groups (5×, 5×)' });
    } finally {
      await running.close();
    }
  });

  it('passes optimized mode with its bulk fetches (3 and 2 statements)', async () => {
    const running = await start('optimized', source);
    try {
      const ctx = context(running);
      const audit = await runCheckProbe(queriesProbe, check('Audit logs list', '/api/v1/audit-logs?limit=100', AUDIT_BUDGET), ctx);
      expect(audit.error).toBeUndefined();
      expect(verdict(audit, 'queries.max')).toMatchObject({ passed: true, actualValue: 3 });
      expect(verdict(audit, 'queries.nPlusOne')).toMatchObject({ passed: true, actual: 'none' });
      expect(verdict(audit, 'queries.scaling')).toMatchObject({ passed: true, actual: '3 → 3 queries' });
      expect(audit.tables.find((t) => t.title === 'Queries per request')?.rows[0]).toContain('201 → 3 (-99%)');
      if (source === 'proxy') expect(audit.verdicts.every((v) => v.passed)).toBe(true);

      const orgs = await runCheckProbe(queriesProbe, check('Organization list', '/api/v1/organizations', ORG_BUDGET), ctx);
      expect(verdict(orgs, 'queries.max')).toMatchObject({ passed: true, actualValue: 2 });
      expect(orgs.verdicts.every((v) => v.passed)).toBe(true);
    } finally {
      await running.close();
    }
  });
});

describe('queries probe misconfiguration', () => {
  it('breaks (instead of passing with zero queries) when the API does not connect through the proxy', async () => {
    const progress = { update: () => undefined, info: () => undefined };
    const services = await openServices({ postgres: { url: DATABASE_URL } }, [postgresService], { signal: new AbortController().signal, progress });
    // The API talks to PostgreSQL directly, as an API started by hand would.
    const api = await startReferenceApi('naive', { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL });
    try {
      const running: Running = { services, api, token: '', close: async () => undefined };
      const result = runCheckProbe(queriesProbe, check('Organization list', '/api/v1/organizations', ORG_BUDGET), context(running));
      await expect(result).rejects.toMatchObject({ code: 'PS_PROBE_FAILED' });
      await expect(result).rejects.toThrow(/has not connected to PostgreSQL through perfspec's proxy/);
      const handle = services.get<PostgresServiceHandle>('postgres');
      await expect(result).rejects.toHaveProperty('hint', expect.stringContaining(handle.proxyUrl as string));
    } finally {
      await api.close();
      await services.closeAll();
    }
  });

  it('fails to open with PS_PG_UNREACHABLE naming the address when PostgreSQL is down', async () => {
    const progress = { update: () => undefined, info: () => undefined };
    const opening = openServices({ postgres: { url: 'postgres://postgres:secret-pw@127.0.0.1:1/app' } }, [postgresService], {
      signal: new AbortController().signal,
      progress,
    });
    await expect(opening).rejects.toMatchObject({
      code: 'PS_PG_UNREACHABLE',
      exitCode: 3,
      message: 'PostgreSQL is not reachable at 127.0.0.1:1: connection refused',
    });
  });

  it('opens the proxy for a database the app has yet to create, but not pg_stat_statements', async () => {
    const progress = { update: () => undefined, info: () => undefined };
    const signal = new AbortController().signal;
    const url = 'postgres://postgres@127.0.0.1:5432/perfspec_missing_db';
    const services = await openServices({ postgres: { url } }, [postgresService], { signal, progress });
    expect(services.targetEnv().DATABASE_URL).toMatch(/\/perfspec_missing_db$/);
    await services.closeAll();
    await expect(openServices({ postgres: { url, source: 'pg_stat_statements' } }, [postgresService], { signal, progress })).rejects.toMatchObject({
      code: 'PS_PG_UNREACHABLE',
      message: 'PostgreSQL at 127.0.0.1:5432 has no database "perfspec_missing_db"',
    });
  });
});
