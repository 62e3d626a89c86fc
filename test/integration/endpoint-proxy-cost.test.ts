/**
 * An endpoint check whose API reaches PostgreSQL through perfspec's proxy says what the proxy cost
 * it: statements per request (checked against a query window over the same request: the window
 * count is itself checked against the server's log in postgres-proxy.test.ts), the added time per
 * statement measured after the check, and their product. Without the proxy in the way, no such note.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/engine/request-builder.js';
import { openServices } from '../../src/engine/services.js';
import { endpointProbe } from '../../src/probes/endpoint/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { postgresService, type PostgresServiceHandle } from '../../src/sources/postgres/service.js';
import { startReferenceApi } from '../helpers/reference-api.js';
import { runCheckProbe } from '../../src/engine/run-check-probe.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/perfspec_pgtest_ref';
const REDIS_URL = 'redis://127.0.0.1:6379/1';
const http = createHttpClient();

afterAll(async () => {
  await http.close();
});

describe('endpoint check through the query proxy', () => {
  it("reports the proxy's measured cost per statement and its estimated share of each latency", async () => {
    const progress = { update: () => undefined, info: () => undefined };
    const services = await openServices({ postgres: { url: DATABASE_URL, source: 'proxy' } }, [postgresService], {
      signal: new AbortController().signal,
      progress,
    });
    const api = await startReferenceApi('naive', { databaseUrl: services.targetEnv().DATABASE_URL ?? DATABASE_URL, redisUrl: REDIS_URL });
    try {
      const login = await http.send({
        method: 'POST',
        url: `${api.url}/api/v1/auth/login`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'owner@acme.example.test', password: 'perfspec-demo' }),
      });
      const headers = { authorization: `Bearer ${(JSON.parse(login.body) as { access_token: string }).access_token}` };
      const ctx: ProbeContext = {
        http,
        services,
        buildRequest: (template) => buildRequest(template, { vars: {} }, { baseUrl: api.url, defaultHeaders: headers }),
        resolve: (text) => text,
        vars: {},
        baseUrl: api.url,
        signal: new AbortController().signal,
        progress,
        now: () => performance.now(),
        specDir: '.',
      };
      const check: PlannedCheck = {
        name: 'Audit logs list',
        index: 0,
        request: { method: 'GET', url: '/api/v1/audit-logs?limit=10', headers: {}, query: {} },
        samples: 8,
        warmup: 1,
        concurrency: 1,
        timeoutMs: 10_000,
        expectStatus: [200],
        raw: { name: 'Audit logs list', request: 'GET /api/v1/audit-logs?limit=10' },
        maxSamples: 8,
        maxSampleTimeMs: 1000,
        repeat: 1,
        inconclusive: 'warn',
      };

      // Ground truth for the count: one request of the same check inside a query window.
      const postgres = services.get<PostgresServiceHandle>('postgres');
      const window = await postgres.source.beginWindow();
      await http.send(ctx.buildRequest(check.request));
      const perRequest = (await postgres.source.endWindow(window)).length;
      expect(perRequest).toBeGreaterThanOrEqual(21); // naive: 1 + 2 × 10, plus any utility statements

      const result = await runCheckProbe(endpointProbe, check, ctx);
      const proxy = result.data.proxy as { statementsPerRequest: number; addedMsPerStatement: number; estimatedMsPerRequest: number };
      expect(proxy.statementsPerRequest).toBe(perRequest);
      expect(proxy.addedMsPerStatement).toBeGreaterThanOrEqual(0);
      expect(proxy.estimatedMsPerRequest).toBeCloseTo(perRequest * proxy.addedMsPerStatement, 9);
      const note = result.notes.find((n) => n.startsWith('Query proxy:'));
      expect(note).toContain(`Query proxy: ${perRequest} statement(s) per request went through perfspec's PostgreSQL proxy`);
      expect(note).toMatch(/of each latency above is the proxy's\.$/);
    } finally {
      await api.close();
      await services.closeAll();
    }
  });
});
