/**
 * The README's main job: specs/phase3.yaml against the reference API, started by perfspec itself.
 * Optimized must pass; naive must fail, for the right, named reasons.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportSchemaProblems } from '../helpers/report-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { freePort } from '../helpers/free-port.js';
import { parseJunit, xsdProblems } from '../helpers/junit-check.js';
import { launchChromium } from '../helpers/browser.js';
import { checkHtmlReport } from '../helpers/html-report-check.js';

interface Verdict {
  check: string;
  metric: string;
  outcome: 'pass' | 'fail' | 'inconclusive';
  passed: boolean;
  actual: string;
  actualValue: number | null;
  message: string;
}

async function runPhase3(mode: 'naive' | 'optimized', extraArgs: string[] = []) {
  const out = await mkdtemp(path.join(os.tmpdir(), `perfspec-phase3-${mode}-`));
  const port = await freePort();
  const outcome = await runCli(['run', 'specs/phase3.yaml', '--out', out, ...extraArgs], {
    env: { PATH: process.env.PATH, REF_API_MODE: mode, PERFSPEC_BASE_URL: `http://127.0.0.1:${port}` },
  });
  const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
  const verdicts: Verdict[] = json.specs[0].checks.flatMap((check: { probes: Array<{ verdicts: Verdict[] }> }) =>
    check.probes.flatMap((probe) => probe.verdicts),
  );
  const markdown = await readFile(path.join(out, 'perfspec-report.md'), 'utf8');
  const junitXml = await readFile(path.join(out, 'perfspec-junit.xml'), 'utf8');
  expect(await xsdProblems(junitXml)).toEqual([]);
  const junit = await parseJunit(junitXml);
  expect(junit.countProblems).toEqual([]);
  return { outcome, json, verdicts, markdown, out, junitNames: junit.cases.map((item) => String(item.name)) };
}

/**
 * What the main job must leave as it found it on the user's servers: the libraries PostgreSQL
 * preloads (this machine preloads pg_stat_statements for the suite, scripts/services.sh) and the
 * time it started (a restart would change it), Redis's run id (a restart) and its keyspace
 * notification setting (the cache probe sets it for a window and must restore it).
 */
async function serverState() {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await client.connect();
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const { rows } = await client.query<{ preload: string; started: string }>(
      "SELECT current_setting('shared_preload_libraries') AS preload, pg_postmaster_start_time()::text AS started",
    );
    await redis.connect();
    const runId = /run_id:(\w+)/.exec(await redis.info('server'))?.[1];
    const notify = (await redis.config('GET', 'notify-keyspace-events')) as string[];
    return { postgres: rows[0], redis: { runId, notify: notify[1] } };
  } finally {
    await client.end();
    redis.disconnect();
  }
}

describe('specs/phase3.yaml against the reference API', { timeout: 600_000 }, () => {
  let before: Awaited<ReturnType<typeof serverState>>;
  beforeAll(async () => {
    before = await serverState();
  });
  let naiveReport = '';
  let naiveJunitNames: string[] = [];
  // The output folders of both runs, for the browser test (set before any assertion can fail).
  const outputs: Partial<Record<'naive' | 'optimized', string>> = {};

  it('naive mode fails (exit 1) for the named reasons: N+1 queries counted exactly, no cache, slow lists', async () => {
    const { outcome, verdicts, markdown, out, json, junitNames } = await runPhase3('naive');
    outputs.naive = out;
    naiveReport = path.join(out, 'perfspec-report.json');
    naiveJunitNames = junitNames;
    expect(outcome.exitCode).toBe(1);
    expect(reportSchemaProblems(json)).toEqual([]);
    const find = (check: string, metric: string) => verdicts.find((verdict) => verdict.check === check && verdict.metric === metric)!;

    // 1 + 2×100 statements, as the naive handler runs them (test/reference-api/README.md).
    expect(find('Audit logs list', 'queries.max')).toMatchObject({ passed: false, actualValue: 201 });
    expect(find('Audit logs list', 'queries.nPlusOne').message).toMatch(/N\+1: `SELECT id, email FROM users WHERE id = .+` ran 100 times/);
    expect(find('Audit logs list', 'queries.scaling')).toMatchObject({ passed: false, actual: '11 → 101 queries' });
    expect(find('Audit logs export', 'queries.max')).toMatchObject({ passed: false, actualValue: 201 });
    // 1 grouped query + 1 per distinct user of the seed's 20.
    expect(find('Audit logs stats', 'queries.max')).toMatchObject({ passed: false, actualValue: 21 });
    expect(find('Organization list', 'queries.max').passed).toBe(false);

    // No cache at all: every cache check fails on its hit rate with the reason.
    for (const check of ['SSO configuration (cached)', 'Organization settings (cached)', 'RBAC permissions (cached)', 'User lookup (cached)']) {
      expect(find(check, 'cache.hitRate')).toMatchObject({ passed: false, actualValue: 0 });
      expect(find(check, 'cache.keys').passed).toBe(false);
    }
    expect(find('SSO configuration (cached)', 'cache.hitRate').message).toBe(
      '0 reads of sso:config:* in 100 requests, so 0 hits: the endpoint does not read this cache',
    );

    // Round trips per statement make the N+1 lists slow, above their budgets: a latency verdict on
    // naive code never passes (it fails, or on a saturated host may be inconclusive, saying so).
    const latency = verdicts.filter((verdict) => /^(latency\.|load\.p\d)/.test(verdict.metric) && /Audit logs (list|export)|Load/.test(verdict.check));
    expect(latency.length).toBeGreaterThan(0);
    for (const verdict of latency) expect(verdict.outcome, `${verdict.check} ${verdict.metric}: ${verdict.message}`).not.toBe('pass');
    expect(find('Audit logs list', 'latency.p95').actualValue).toBeGreaterThan(50);
    expect(markdown).toContain('- **Audit logs list** `queries.max`: 201 queries per request, over the budget <= 5');
    expect(outcome.stdout).toContain('FAILED');
  });

  it('optimized mode passes every budget (exit 0) and shows before → after against the naive run', async () => {
    expect(naiveReport).not.toBe('');
    const { outcome, verdicts, json, markdown, junitNames, out } = await runPhase3('optimized', ['--baseline', naiveReport]);
    outputs.optimized = out;
    // CI histories follow testcases by name: the passing run lists exactly the failing run's testcases.
    expect(junitNames).toEqual(naiveJunitNames);
    expect(junitNames.length).toBe(verdicts.length);
    // Nothing fails; only latency verdicts may be inconclusive (interval straddling its budget, or a
    // failure seen only on a saturated host) — counts and rates all pass.
    const failed = verdicts.filter((verdict) => verdict.outcome === 'fail');
    expect(failed.map((verdict) => `${verdict.check} ${verdict.metric}: ${verdict.message}`)).toEqual([]);
    const unsettled = verdicts.filter((verdict) => verdict.outcome === 'inconclusive');
    for (const verdict of unsettled) expect(verdict.metric).toMatch(/^(latency\.|cache\.hitLatency|load\.(p\d|avg|max))/);
    expect(json.summary.inconclusive).toBe(unsettled.length);
    expect(json.specs[0].errors).toEqual([]);
    expect(reportSchemaProblems(json)).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    const find = (check: string, metric: string) => verdicts.find((verdict) => verdict.check === check && verdict.metric === metric)!;
    expect(find('Audit logs list', 'queries.max').actualValue).toBe(3);
    expect(find('User lookup (cached)', 'cache.hitRate').passed).toBe(true);
    expect(find('Load: quick', 'load.throughput').passed).toBe(true);
    // The seed's before/after table: "Audit Logs List | 101 queries | 2 queries".
    expect(markdown).toContain('## Before → after');
    expect(markdown).toContain('| Audit logs list | queries.max | 201 | 3 | -98.5% | ✅ fixed |');
    expect(outcome.stdout).toMatch(/Compared with run .+: \d+ fixed, 0 regressed/);
  });

  it('leaves the servers as it found them: PostgreSQL preloads the same libraries and was not restarted; Redis not restarted, its notification setting restored', async () => {
    expect(outputs.naive && outputs.optimized).toBeTruthy();
    expect(before.postgres.preload).toContain('pg_stat_statements');
    expect(await serverState()).toEqual(before);
  });

  it("both HTML reports, in Chromium: no console error, no request, every chart with the JSON's counts, exact values on hover, failures first", async () => {
    expect(outputs.naive && outputs.optimized).toBeTruthy();
    const browser = await launchChromium();
    try {
      for (const mode of ['naive', 'optimized'] as const) {
        const dir = outputs[mode]!;
        const json = JSON.parse(await readFile(path.join(dir, 'perfspec-report.json'), 'utf8'));
        const outcome = await checkHtmlReport(browser, path.join(dir, 'perfspec-report.html'), json, `phase3-${mode}`);
        expect(outcome.consoleErrors).toEqual([]);
        expect(outcome.requests).toEqual([]);
        expect(outcome.bytes).toBeLessThan(1024 * 1024);
      }
    } finally {
      await browser.close();
    }
  });
});
