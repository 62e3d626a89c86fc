import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { reportSchemaProblems } from '../helpers/report-schema.js';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleResult } from '../../src/engine/run.js';
import { createRedactor, isSecretVariable, redactUrl } from '../../src/report/redact.js';
import { createMultiplexer, REPORTERS, type Reporter } from '../../src/report/reporters.js';
import type { SpecResult } from '../../src/result/result.js';
import { buildReportView, markdownCell } from '../../src/report/view-model.js';
import { judgeBudget, judgeEstimate } from '../../src/verdict/judge.js';
import { applyInconclusivePolicy, statusOfProbes } from '../../src/result/status.js';
import { startEnvironment } from '../../src/report/environment.js';
import { parseBudget } from '../../src/units/budget.js';

function sampleResult(options: { aborted?: boolean } = {}) {
  const verdict = (check: string, metric: string, target: string, actual: number, level: 'error' | 'warn' = 'error') =>
    judgeBudget({ check, probe: 'endpoint', metric, level }, parseBudget(target, 'duration')!, actual);
  const spec: SpecResult = {
    file: 'specs/phase3.yaml',
    name: 'Phase 3 <optimizations>',
    status: 'failed',
    errors: [],
    checks: [
      {
        name: 'Audit logs list',
        section: 'check',
        request: 'GET /api/v1/audit-logs?limit=100',
        status: 'failed',
        durationMs: 1200,
        probes: [
          {
            kind: 'endpoint',
            verdicts: [verdict('Audit logs list', 'latency.p95', '< 50ms', 123.4), verdict('Audit logs list', 'latency.p50', '< 50ms', 12.3)],
            tables: [{ title: 'Latency', columns: ['p50', 'p95'], rows: [['12.3ms', '123.4ms | spiky']] }],
            notes: ['Errors: 1× timeout'],
            data: {},
          },
        ],
      },
      {
        name: 'SSO configuration (cached)',
        section: 'check',
        status: 'warned',
        durationMs: 300,
        probes: [{ kind: 'endpoint', verdicts: [verdict('SSO configuration (cached)', 'latency.p95', '< 5ms', 7, 'warn')], tables: [], notes: [], data: {} }],
      },
    ],
  };
  return assembleResult([spec], {
    runId: 'run-1',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: new Date('2026-01-01T00:00:02Z'),
    durationMs: 2000,
    aborted: options.aborted ?? false,
    version: '0.1.0',
  });
}

async function renderAll(result = sampleResult(), secrets: string[] = []) {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-report-'));
  let stdout = '';
  const ctx = { outDir, stdout: { write: (text: string) => (stdout += text) }, redact: createRedactor(secrets), color: false, env: {}, cwd: outDir };
  const reporters = Object.values(REPORTERS).map((factory) => factory(ctx, {}));
  const written = await createMultiplexer(reporters, (name, error) => {
    throw new Error(`${name}: ${String(error)}`);
  }).onEnd(result);
  const read = (name: string) => readFile(path.join(outDir, name), 'utf8');
  return { outDir, written, stdout, read };
}

describe('result summary', () => {
  it('counts verdicts by outcome and takes the worst status', () => {
    const result = sampleResult();
    expect(result.summary).toEqual({ verdicts: 3, passed: 1, failed: 1, warned: 1, inconclusive: 0, errors: 0 });
    expect(result.status).toBe('failed');
  });
});

/** A run whose one latency verdict is inconclusive (interval 4.5–5.3ms straddles < 5ms), under the given policy. */
function inconclusiveResult(policy: 'warn' | 'fail') {
  const estimate = { value: 4.9, lower: 4.5, upper: 5.3, count: 80, confidence: 0.95, samplesNeeded: 72 };
  const verdicts = applyInconclusivePolicy(
    [judgeEstimate({ check: 'SSO', probe: 'endpoint', metric: 'latency.p95' }, parseBudget('< 5ms', 'duration')!, estimate)],
    policy,
  );
  const probes = [{ kind: 'endpoint', verdicts, tables: [], notes: [], data: {} }];
  const spec: SpecResult = {
    file: 's.yaml',
    name: 'S',
    status: statusOfProbes(probes),
    errors: [],
    checks: [{ name: 'SSO', section: 'check', status: statusOfProbes(probes), durationMs: 1, probes }],
  };
  const environment = startEnvironment('0.1.0', process.version).finish(['http://user:pw@127.0.0.1:8123/api?key=abc']);
  return assembleResult([spec], { runId: 'r', startedAt: new Date(0), finishedAt: new Date(1), durationMs: 1, aborted: false, version: 't', environment });
}

describe('inconclusive verdicts', () => {
  it('are counted apart and warn by default, fail under inconclusive: fail', () => {
    const warned = inconclusiveResult('warn');
    expect(warned.summary).toMatchObject({ verdicts: 1, passed: 0, failed: 0, warned: 0, inconclusive: 1 });
    expect(warned.status).toBe('warned');
    const failed = inconclusiveResult('fail');
    expect(failed.summary).toMatchObject({ failed: 0, inconclusive: 1 });
    expect(failed.status).toBe('failed');
  });

  it('show their interval and word in every report, and the JSON stays valid', async () => {
    const { read, stdout } = await renderAll(inconclusiveResult('warn'));
    const json = JSON.parse(await read('perfspec-report.json'));
    expect(reportSchemaProblems(json)).toEqual([]);
    expect(json.specs[0].checks[0].probes[0].verdicts[0]).toMatchObject({
      outcome: 'inconclusive',
      passed: false,
      inconclusive: 'warn',
      interval: { lower: 4.5, upper: 5.3, samples: 80 },
    });
    expect(stdout).toContain('4.9ms (4.5–5.3ms, n=80)');
    expect(stdout).toContain('INCONCLUSIVE');
    expect(stdout).toContain('1 inconclusive');
    // The environment is recorded, the target without credentials or query string.
    expect(json.environment).toMatchObject({ perfspec: '0.1.0', node: process.version, targets: ['http://user:***@127.0.0.1:8123/api'] });
    expect(json.environment.cpus).toBeGreaterThan(0);
    expect(stdout).toMatch(/Environment: \d+ CPUs .*load average/);
    expect(await read('perfspec-report.md')).toMatch(/- \*\*Host:\*\* \d+ CPUs? \(.*\); load average/);
    expect(await read('perfspec-report.md')).toContain('- **Target:** http://user:***@127.0.0.1:8123/api');
    expect(JSON.stringify(json)).not.toContain('pw@');
    expect(await read('perfspec-report.md')).toContain('❔');
    expect(await read('perfspec-junit.xml')).toContain('INCONCLUSIVE: p95 4.9ms (4.5–5.3ms, n=80)');
    expect(await read('perfspec-report.html')).toContain('INCONCLUSIVE');
    const failing = await renderAll(inconclusiveResult('fail'));
    expect(await failing.read('perfspec-junit.xml')).toMatch(/failures="1"/);
  });
});

describe('reporters', () => {
  it('write every report file atomically, leaving no temp files', async () => {
    const { outDir, written } = await renderAll();
    expect(written.map((file) => path.basename(file)).sort()).toEqual([
      'perfspec-junit.xml',
      'perfspec-report.html',
      'perfspec-report.json',
      'perfspec-report.md',
      'perfspec-stream.ndjson',
    ]);
    expect((await readdir(outDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('markdown has the seed table and the failures with target and actual', async () => {
    const md = await (await renderAll()).read('perfspec-report.md');
    expect(md).toContain('| Check | Budget | Target | Actual | Status |');
    expect(md).toContain('| Audit logs list | latency.p95 | < 50ms | 123.4ms | ❌ |');
    expect(md).toContain('| SSO configuration (cached) | latency.p95 | < 5ms | 7ms | ⚠️ |');
    expect(md).toContain('- **Audit logs list** `latency.p95`: p95 123.4ms is not below 50ms (target < 50ms, actual 123.4ms)');
    expect(md).toContain('| 12.3ms | 123.4ms \\| spiky |');
    expect(md).toContain('**❌ FAIL: FAILED: budgets not met**');
  });

  it('JUnit has one testcase per budget, failures carrying target and actual, warnings not failing', async () => {
    const xml = await (await renderAll()).read('perfspec-junit.xml');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('<testsuites name="perfspec" tests="3" failures="1" errors="0" time="2.000">');
    expect(xml).toContain(
      '<failure message="p95 123.4ms is not below 50ms" type="budget">p95 123.4ms is not below 50ms\ntarget: &lt; 50ms\nactual: 123.4ms</failure>',
    );
    expect(xml).toContain('name="Phase 3 &lt;optimizations&gt;"');
  });

  it("HTML renders the messages' Markdown: code spans, no raw backticks", async () => {
    const result = sampleResult();
    result.specs[0].checks[0].probes[0].notes.push('N+1: `SELECT id FROM users WHERE id = $1` ran 100 times');
    const html = await (await renderAll(result)).read('perfspec-report.html');
    expect(html).toContain('<li>N+1: <code>SELECT id FROM users WHERE id = $1</code> ran 100 times</li>');
    const text = html.replace(/<script>[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, '');
    expect(text).not.toContain('`');
  });

  it('HTML lists what was not met first, failures before warnings, linking to open sections', async () => {
    const html = await (await renderAll()).read('perfspec-report.html');
    const attention = html.indexOf('id="attention"');
    expect(attention).toBeGreaterThan(0);
    expect(attention).toBeLessThan(html.indexOf('<details class="check"'));
    const items = [...html.slice(attention).matchAll(/<li data-word="(\w+)"[^>]*>.*?href="#(check-\d+)"/g)].map((match) => [match[1], match[2]]);
    expect(items).toEqual([
      ['FAIL', 'check-1'],
      ['WARN', 'check-2'],
    ]);
    expect(html).toMatch(/<details class="check" id="check-1" data-status="failed" open>/);
  });

  it('HTML is self-contained and escapes names', async () => {
    const html = await (await renderAll()).read('perfspec-report.html');
    expect(html).toContain('Phase 3 &lt;optimizations&gt;');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
    expect(html).not.toContain('http://');
  });

  it('JSON is the versioned result object, valid against schemas/report.schema.json', async () => {
    const json = JSON.parse(await (await renderAll()).read('perfspec-report.json'));
    expect(reportSchemaProblems(json)).toEqual([]);
    expect(json.formatVersion).toBe(1);
    expect(json.summary.failed).toBe(1);
    expect(json.specs[0].checks[0].probes[0].verdicts[0]).toMatchObject({ metric: 'latency.p95', target: '< 50ms', actualValue: 123.4, passed: false });
  });

  it('marks an aborted run in every report', async () => {
    const { read, stdout } = await renderAll(sampleResult({ aborted: true }));
    expect(await read('perfspec-report.md')).toContain('ABORTED (partial results)');
    expect(await read('perfspec-report.html')).toContain('This run was interrupted');
    expect(JSON.parse(await read('perfspec-report.json')).aborted).toBe(true);
    expect(await read('perfspec-junit.xml')).toContain('<property name="perfspec.aborted" value="true"/>');
    expect(stdout).toContain('ABORTED');
  });

  it('redacts secrets from every report and the console', async () => {
    const result = sampleResult();
    result.specs[0].errors.push('setup failed for postgres://app:hunter22@db:5432/x with token tok-abcdef');
    const { read, stdout } = await renderAll(result, ['tok-abcdef']);
    expect(await read('perfspec-stream.ndjson')).toContain('postgres://app:***@db:5432/x');
    for (const name of ['perfspec-report.md', 'perfspec-report.html', 'perfspec-report.json', 'perfspec-junit.xml', 'perfspec-stream.ndjson']) {
      const text = await read(name);
      expect(text).not.toContain('hunter22');
      expect(text).not.toContain('tok-abcdef');
    }
    expect(stdout).not.toContain('hunter22');
    expect(stdout).toContain('postgres://app:***@db:5432/x');
  });

  it('a failing reporter does not stop the others', async () => {
    const calls: string[] = [];
    const broken: Reporter = {
      name: 'broken',
      onEnd: async () => {
        throw new Error('disk full');
      },
    };
    const fine: Reporter = {
      name: 'fine',
      onEnd: async () => {
        calls.push('fine');
        return ['x'];
      },
    };
    const errors: string[] = [];
    const written = await createMultiplexer([broken, fine], (name, error) => errors.push(`${name}: ${(error as Error).message}`)).onEnd(sampleResult());
    expect(written).toEqual(['x']);
    expect(calls).toEqual(['fine']);
    expect(errors).toEqual(['broken: disk full']);
  });
});

describe('view helpers', () => {
  it('escapes markdown cells', () => expect(markdownCell('a|b\nc')).toBe('a\\|b c'));
  it('builds one row per verdict', () => expect(buildReportView(sampleResult()).rows).toHaveLength(3));
});

describe('redaction', () => {
  it('keeps the JSON report valid and its numbers intact, and finds secrets the format would escape', async () => {
    const result = sampleResult();
    result.specs[0].errors.push('login answered token=tok"quoted-secret-value');
    // '1200' is also the first check's durationMs: text-level masking would have broken the JSON.
    const { read } = await renderAll(result, ['tok"quoted-secret-value', '1200']);
    const text = await read('perfspec-report.json');
    const json = JSON.parse(text);
    expect(text).not.toContain('quoted-secret-value');
    expect(json.specs[0].errors.at(-1)).toBe('login answered token=***');
    expect(json.specs[0].checks[0].probes[0].verdicts[0].actualValue).toBe(123.4);
    expect(json.specs[0].checks[0].durationMs).toBe(1200);
  });

  it('treats captured variables as secret by name or by shape, never ids', () => {
    expect(isSecretVariable('token', 'abc')).toBe(true);
    expect(isSecretVariable('access_token', 'x')).toBe(true);
    expect(isSecretVariable('session', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.sig')).toBe(true);
    expect(isSecretVariable('anything', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.sig')).toBe(true);
    expect(isSecretVariable('user_id', '1234')).toBe(false);
    expect(isSecretVariable('org_id', '12345678901234567890123')).toBe(false);
    expect(isSecretVariable('email', 'qa-1@example.test')).toBe(false);
  });

  it('masks URL passwords and keeps users', () => {
    expect(redactUrl('redis://:pw1234@127.0.0.1:6379/0 and postgres://u:p@h/db and http://h/x')).toBe(
      'redis://:***@127.0.0.1:6379/0 and postgres://u:***@h/db and http://h/x',
    );
  });
  it('ignores too-short secrets that would mask ordinary text', () => {
    expect(createRedactor(['ab', 'secret-value'])('ab secret-value')).toBe('ab ***');
  });
});
