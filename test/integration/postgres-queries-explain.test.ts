/**
 * queries.explain through the queries probe against the reference API (naive mode, through the proxy):
 * the report holds the plans of the worst request's slowest and most repeated statements, explained
 * with the parameters of an actual execution; ANALYZE only when asked, and then for SELECTs only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueriesBudget } from '../../src/generated/spec-types.js';
import { buildRequest } from '../../src/engine/request-builder.js';
import { openServices, type OpenedServices } from '../../src/engine/services.js';
import { queriesProbe } from '../../src/probes/queries/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { postgresService } from '../../src/sources/postgres/service.js';
import { startReferenceApi, type ReferenceApi } from '../helpers/reference-api.js';
import { runCheckProbe } from '../../src/engine/run-check-probe.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/perfspec_explain_ref';
const REDIS_URL = 'redis://127.0.0.1:6379/12';
const http = createHttpClient();
let services: OpenedServices;
let api: ReferenceApi;
let token = '';

beforeAll(async () => {
  const progress = { update: () => undefined, info: () => undefined };
  services = await openServices({ postgres: { url: DATABASE_URL, source: 'proxy' } }, [postgresService], { signal: new AbortController().signal, progress });
  api = await startReferenceApi('naive', { databaseUrl: services.targetEnv().DATABASE_URL, redisUrl: REDIS_URL });
  const login = await http.send({
    method: 'POST',
    url: `${api.url}/api/v1/auth/login`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'owner@acme.example.test', password: 'perfspec-demo' }),
  });
  token = (JSON.parse(login.body) as { access_token: string }).access_token;
}, 60_000);

afterAll(async () => {
  await api?.close();
  await services?.closeAll();
  await http.close();
});

function context(): ProbeContext {
  return {
    http,
    services,
    buildRequest: (template) => buildRequest(template, { vars: {} }, { baseUrl: api.url, defaultHeaders: { authorization: `Bearer ${token}` } }),
    resolve: (text) => text,
    vars: {},
    baseUrl: api.url,
    signal: new AbortController().signal,
    progress: { update: () => undefined, info: () => undefined },
    now: () => performance.now(),
    specDir: '.',
  };
}

function check(queries: QueriesBudget, concurrency = 1): PlannedCheck {
  return {
    name: 'Audit logs',
    index: 0,
    request: { method: 'GET', url: '/api/v1/audit-logs?limit=5', headers: {}, query: {} },
    samples: 1,
    warmup: 1,
    concurrency,
    timeoutMs: 10_000,
    expectStatus: [200],
    inconclusive: 'warn',
    maxSamples: 1,
    maxSampleTimeMs: 1000,
    repeat: 1,
    raw: { name: 'Audit logs', request: 'GET /api/v1/audit-logs?limit=5', queries },
  };
}

describe('queries.explain', () => {
  it('shows the plans of the slowest and the most repeated statement; ANALYZE only with explain: analyze', async () => {
    const planned = await runCheckProbe(queriesProbe, check({ max: 20, requests: 1, explain: true }), context());
    const plans = planned.tables.find((t) => t.title === 'Plans of the worst request');
    expect(plans?.rows.length).toBeGreaterThanOrEqual(1);
    expect(plans?.rows.every((row) => row[2] === 'EXPLAIN (not run)')).toBe(true);
    // The user lookup runs 5 times (1 + 2n with n = 5): it is the most repeated shape.
    expect(plans?.rows.some((row) => row[0].includes('most repeated (5×)') && /FROM users WHERE id = \$1/.test(row[1]))).toBe(true);

    const analyzed = await runCheckProbe(queriesProbe, check({ max: 20, requests: 1, explain: 'analyze' }), context());
    const rows = analyzed.tables.find((t) => t.title === 'Plans of the worst request')?.rows ?? [];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((row) => row[2] === 'EXPLAIN ANALYZE (read only, rolled back)')).toBe(true);
    expect(rows.some((row) => /actual \d+/.test(row[3]))).toBe(true);
    // None of this counted against the budget: the explain connection does not go through the proxy.
    expect(analyzed.verdicts.find((v) => v.metric === 'queries.max')?.actual).toBe(planned.verdicts.find((v) => v.metric === 'queries.max')?.actual);
  }, 60_000);

  it('counts a queries check with concurrency > 1 by traceparent, equal to the one-at-a-time counts', async () => {
    const alone = await runCheckProbe(queriesProbe, check({ requests: 2 }), context());
    const together = await runCheckProbe(queriesProbe, check({ requests: 6 }, 6), context());
    const totals = (result: typeof alone) => (result.data.requests as Array<{ total: number }>).map((r) => r.total);
    expect(totals(alone)).toEqual([11, 11]); // 1 + 2n with n = 5
    expect(totals(together)).toEqual([11, 11, 11, 11, 11, 11]);
    expect(together.notes.some((n) => n.startsWith('Counted 6 requests sent at once'))).toBe(true);
    // With traceparents off, the check falls back to one request at a time (nothing to tell requests apart by).
    const off = await runCheckProbe(queriesProbe, check({ requests: 2 }, 4), { ...context(), trace: false });
    expect(totals(off)).toEqual([11, 11]);
    expect(off.notes.some((n) => n.startsWith('Counted'))).toBe(false);
  }, 60_000);

  it('rejects an explain value it does not know (spec error)', () => {
    expect(queriesProbe.validate?.(check({ explain: 'yes' } as unknown as QueriesBudget))).toEqual([
      expect.stringContaining('explain: "yes" must be true, false or analyze'),
    ]);
  });
});
