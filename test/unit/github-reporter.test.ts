/** `--reporter github`: annotations and the step summary, asserted exactly. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleResult } from '../../src/engine/run.js';
import { escapeData, escapeProperty, githubAnnotations } from '../../src/report/github.js';
import { createRedactor } from '../../src/report/redact.js';
import { createReporters, parseReporterList } from '../../src/report/reporters.js';
import type { SpecResult } from '../../src/result/result.js';
import type { Verdict } from '../../src/verdict/types.js';

const verdict = (over: Partial<Verdict>): Verdict => {
  const base = {
    check: 'List',
    probe: 'endpoint',
    metric: 'latency.p95',
    target: '< 50ms',
    actual: '20ms',
    actualValue: 20,
    passed: true,
    level: 'error' as const,
    message: 'p95 20ms is below 50ms',
    ...over,
  };
  return { ...base, outcome: over.outcome ?? (base.passed ? 'pass' : 'fail') };
};

function sample() {
  const spec: SpecResult = {
    file: 'specs/api.yaml',
    name: 'API',
    sha256: 'a'.repeat(64),
    target: 'http://qa:hunter2222@127.0.0.1:8080',
    status: 'error',
    errors: [],
    checks: [
      {
        name: 'List, all',
        section: 'check',
        status: 'failed',
        durationMs: 10,
        probes: [
          {
            kind: 'endpoint',
            verdicts: [
              verdict({ check: 'List, all', actual: '123.4ms', actualValue: 123.4, passed: false, message: 'p95 123.4ms is not below 50ms', specLine: 12 }),
              verdict({ check: 'List, all', metric: 'latency.p50', specLine: 12 }),
            ],
            tables: [],
            notes: [],
            data: {},
          },
          {
            kind: 'queries',
            verdicts: [
              verdict({
                check: 'List, all',
                probe: 'queries',
                metric: 'queries.max',
                target: '<= 5',
                actual: '201',
                actualValue: 201,
                passed: false,
                message: '201 queries per request, over the budget <= 5\nN+1: 100%',
                specLine: 14,
              }),
            ],
            tables: [],
            notes: [],
            data: {},
          },
        ],
      },
      {
        name: 'SSO',
        section: 'check',
        status: 'error',
        durationMs: 10,
        probes: [
          {
            kind: 'endpoint',
            verdicts: [
              verdict({
                check: 'SSO',
                target: '< 5ms',
                actual: '7ms',
                actualValue: 7,
                passed: false,
                level: 'warn',
                message: 'p95 7ms is not below 5ms',
                specLine: 20,
              }),
              verdict({
                check: 'SSO',
                metric: 'latency.p99',
                target: '< 9ms',
                actual: '8.1ms (6.9–9.7, n=40)',
                passed: false,
                level: 'warn',
                outcome: 'inconclusive',
                inconclusive: 'warn',
                message: 'p99 8.1ms: its interval straddles 9ms',
                specLine: 21,
              }),
            ],
            tables: [],
            notes: [],
            data: {},
          },
          { kind: 'cache', verdicts: [], tables: [], notes: [], data: {}, error: 'Redis went away' },
        ],
      },
    ],
  };
  return assembleResult([spec], {
    runId: 'run-7',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: new Date('2026-01-01T00:00:03Z'),
    durationMs: 3000,
    aborted: false,
    version: '0.1.0',
  });
}

describe('github reporter', () => {
  it('escapes workflow-command data and properties as @actions/core does', () => {
    expect(escapeData('50% of\r\nrows')).toBe('50%25 of%0D%0Arows');
    expect(escapeProperty('List, all: p95')).toBe('List%2C all%3A p95');
  });

  it('annotates each budget not met at its spec line: errors for failures, warnings for warn and inconclusive', () => {
    expect(githubAnnotations(sample())).toEqual([
      '::error file=specs/api.yaml,line=12,title=List%2C all%3A latency.p95::p95 123.4ms is not below 50ms (target < 50ms, actual 123.4ms)',
      '::error file=specs/api.yaml,line=14,title=List%2C all%3A queries.max::201 queries per request, over the budget <= 5%0AN+1: 100%25 (target <= 5, actual 201)',
      '::warning file=specs/api.yaml,line=20,title=SSO%3A latency.p95::p95 7ms is not below 5ms (target < 5ms, actual 7ms)',
      '::warning file=specs/api.yaml,line=21,title=SSO%3A latency.p99::inconclusive: p99 8.1ms: its interval straddles 9ms (target < 9ms, actual 8.1ms (6.9–9.7, n=40))',
      '::error file=specs/api.yaml,title=SSO%3A cache probe broke::Redis went away',
    ]);
  });

  it('prints the annotations and appends the summary to $GITHUB_STEP_SUMMARY, secrets masked', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-github-'));
    const summaryFile = path.join(dir, 'summary.md');
    await writeFile(summaryFile, '# earlier step\n');
    let stdout = '';
    const { reporters, unknown } = parseReporterList('github');
    expect(unknown).toEqual([]);
    const [reporter] = createReporters(reporters, {
      outDir: dir,
      stdout: { write: (text: string) => (stdout += text) },
      redact: createRedactor([]),
      color: false,
      env: { GITHUB_STEP_SUMMARY: summaryFile },
      cwd: dir,
    });
    expect(await reporter.onEnd(sample())).toEqual([summaryFile]);
    expect(stdout).toBe(`${githubAnnotations(sample()).join('\n')}\n`);
    expect(await readFile(summaryFile, 'utf8')).toBe(`# earlier step
## 💥 ERROR perfspec: API

**ERROR: a service, the target or a probe broke**

5 budgets: 1 passed, 2 failed, 1 warnings, 1 inconclusive, 1 errors · run \`run-7\` · 3s

### Errors

- SSO: cache probe broke: Redis went away

### Not met

| Check | Budget | Target | Actual | Status | Why |
|---|---|---|---|---|---|
| List, all | latency.p95 | < 50ms | 123.4ms | ❌ FAIL | p95 123.4ms is not below 50ms |
| List, all | queries.max | <= 5 | 201 | ❌ FAIL | 201 queries per request, over the budget <= 5 N+1: 100% |
| SSO | latency.p95 | < 5ms | 7ms | ⚠️ WARN | p95 7ms is not below 5ms |
| SSO | latency.p99 | < 9ms | 8.1ms (6.9–9.7, n=40) | ❔ INCONCLUSIVE | p99 8.1ms: its interval straddles 9ms |

<details><summary>All 5 budgets</summary>

| Check | Budget | Target | Actual | Status |
|---|---|---|---|---|
| List, all | latency.p95 | < 50ms | 123.4ms | ❌ |
| List, all | latency.p50 | < 50ms | 20ms | ✅ |
| List, all | queries.max | <= 5 | 201 | ❌ |
| SSO | latency.p95 | < 5ms | 7ms | ⚠️ |
| SSO | latency.p99 | < 9ms | 8.1ms (6.9–9.7, n=40) | ❔ |

</details>

- **Target:** http://qa:***@127.0.0.1:8080
- **Spec:** specs/api.yaml (sha256 aaaaaaaaaaaa)

`);
  });

  it('writes no summary outside GitHub Actions, only the annotations', async () => {
    let stdout = '';
    const [reporter] = createReporters([['github']], {
      outDir: '/nonexistent',
      stdout: { write: (text: string) => (stdout += text) },
      redact: createRedactor([]),
      color: false,
      env: {},
      cwd: '/',
    });
    expect(await reporter.onEnd(sample())).toEqual([]);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(5);
  });
});
