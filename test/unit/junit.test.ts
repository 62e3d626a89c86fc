/**
 * JUnit as CI reads it: validated by xmllint against the common JUnit XSD and parsed by an
 * independent library (junit2json), for every kind of run: pass, fail, warnings, inconclusive,
 * probe errors, run errors and aborted.
 */
import { describe, expect, it } from 'vitest';
import { assembleResult } from '../../src/engine/run.js';
import { buildJunitSuites, escapeXml, renderJunit } from '../../src/report/junit.js';
import type { CheckResult, ProbeResult, SpecResult } from '../../src/result/result.js';
import { combineStatuses, statusOfProbes } from '../../src/result/status.js';
import { judgeBudget } from '../../src/verdict/judge.js';
import { parseBudget } from '../../src/units/budget.js';
import type { Verdict } from '../../src/verdict/types.js';
import { parseJunit, xsdProblems } from '../helpers/junit-check.js';

type Kind = 'pass' | 'fail' | 'warnings' | 'inconclusive' | 'probeError' | 'runError' | 'aborted';

/** The same spec (two checks, five budgets) as each kind of run would leave it. */
function resultOf(kind: Kind) {
  const latency = (check: string, metric: string, target: string, actual: number, level: 'error' | 'warn' = 'error'): Verdict =>
    judgeBudget({ check, probe: 'endpoint', metric, level }, parseBudget(target, 'duration')!, actual);
  const slow = kind === 'fail';
  const listVerdicts = [
    latency('List <audit>', 'latency.p95', '< 50ms', slow ? 123.4 : 20),
    latency('List <audit>', 'latency.p99', '< 100ms', slow ? 180 : 40),
  ];
  const queries: Verdict = {
    check: 'List <audit>',
    probe: 'queries',
    metric: 'queries.max',
    target: '<= 5',
    actual: slow ? '201' : '3',
    actualValue: slow ? 201 : 3,
    passed: !slow,
    outcome: slow ? 'fail' : 'pass',
    level: 'error',
    message: slow ? '201 queries per request, over the budget <= 5' : '3 queries per request',
  };
  const ssoP95 = latency('SSO & "config"', 'latency.p95', '< 5ms', kind === 'warnings' ? 7 : 3, 'warn');
  if (kind === 'inconclusive')
    Object.assign(ssoP95, {
      passed: false,
      outcome: 'inconclusive',
      inconclusive: 'warn',
      actual: '4.8ms (4.1–5.6, n=40)',
      message: 'p95 4.8ms: its 95% interval 4.1–5.6ms straddles 5ms',
    });
  const ssoHits: Verdict = {
    check: 'SSO & "config"',
    probe: 'cache',
    metric: 'cache.hitRate',
    target: '>= 90%',
    actual: '95%',
    actualValue: 95,
    passed: true,
    outcome: 'pass',
    level: 'error',
    message: '95 of 100 reads hit',
  };
  const probe = (kindName: string, verdicts: Verdict[]): ProbeResult => ({ kind: kindName, verdicts, tables: [], notes: [], data: {} });
  const listProbes =
    kind === 'probeError'
      ? [probe('endpoint', listVerdicts), { ...probe('queries', []), error: 'proxy lost its upstream\n  at PostgreSQL 127.0.0.1:5432' }]
      : [probe('endpoint', listVerdicts), probe('queries', [queries])];
  const check = (name: string, probes: ProbeResult[], durationMs: number): CheckResult => ({
    name,
    section: 'check',
    request: 'GET /x',
    status: statusOfProbes(probes),
    durationMs,
    probes,
  });
  const checks = [check('List <audit>', listProbes, 1234.5), check('SSO & "config"', [probe('endpoint', [ssoP95]), probe('cache', [ssoHits])], 301)];
  const errors: string[] = [];
  if (kind === 'runError') errors.push('setup step "Log in" answered 500, expected 200');
  if (kind === 'aborted') errors.push('interrupted (Ctrl-C) before every check ran');
  const spec: SpecResult = { file: 'specs/phase3.yaml', name: 'Phase 3 <optimizations>', status: 'passed', checks: kind === 'runError' ? [] : checks, errors };
  spec.status = errors.length ? (kind === 'aborted' ? 'skipped' : 'error') : combineStatuses(spec.checks.map((item) => item.status));
  return assembleResult([spec], {
    runId: 'run-1',
    startedAt: new Date('2026-01-01T00:00:00.250Z'),
    finishedAt: new Date('2026-01-01T00:00:02Z'),
    durationMs: 1750,
    aborted: kind === 'aborted',
    version: '0.1.0',
  });
}

const KINDS: Kind[] = ['pass', 'fail', 'warnings', 'inconclusive', 'probeError', 'runError', 'aborted'];

describe('JUnit report', () => {
  it.each(KINDS)('%s: valid against the common JUnit XSD, with counts that agree at every level', async (kind) => {
    const xml = renderJunit(resultOf(kind));
    expect(await xsdProblems(xml)).toEqual([]);
    const parsed = await parseJunit(xml);
    expect(parsed.countProblems).toEqual([]);
    expect(parsed.suites).toHaveLength(1);
  });

  it('fails the XSD check on a broken count, so the validator is really applied', async () => {
    const xml = renderJunit(resultOf('fail')).replace(/tests="(\d+)" failures/, 'tests="NaN" failures');
    expect((await xsdProblems(xml)).join('\n')).toMatch(/tests.*NaN|NaN.*tests/);
    const extra = renderJunit(resultOf('fail')).replace('<testsuite ', '<testsuite file="x.yaml" ');
    expect((await xsdProblems(extra)).join('\n')).toContain("attribute 'file'");
  });

  it('lists the same testcases, by stable names without targets, in passing and failing runs', async () => {
    const names = async (kind: Kind) => (await parseJunit(renderJunit(resultOf(kind)))).cases.map((item) => `${item.classname} / ${item.name}`);
    const pass = await names('pass');
    expect(pass).toEqual([
      'Phase 3 <optimizations> / List <audit>: latency.p95',
      'Phase 3 <optimizations> / List <audit>: latency.p99',
      'Phase 3 <optimizations> / List <audit>: queries.max',
      'Phase 3 <optimizations> / SSO & "config": latency.p95',
      'Phase 3 <optimizations> / SSO & "config": cache.hitRate',
    ]);
    expect(await names('fail')).toEqual(pass);
    expect(await names('warnings')).toEqual(pass);
    expect(await names('inconclusive')).toEqual(pass);
  });

  it('a failed budget is a <failure> whose message is the reason and whose text has target and actual', async () => {
    const { root, cases } = await parseJunit(renderJunit(resultOf('fail')));
    expect(root).toMatchObject({ tests: 5, failures: 3, errors: 0 });
    const p95 = cases.find((item) => item.name === 'List <audit>: latency.p95')!;
    expect(p95.failure).toEqual([
      { message: 'p95 123.4ms is not below 50ms', type: 'budget', inner: 'p95 123.4ms is not below 50ms\ntarget: < 50ms\nactual: 123.4ms' },
    ]);
    expect(p95.status).toBe('failed');
  });

  it('warnings and inconclusive verdicts pass, marked by status and counted apart in the properties', async () => {
    for (const [kind, status, label] of [
      ['warnings', 'warning', 'WARNING (budget at level warn not met): '],
      ['inconclusive', 'inconclusive', 'INCONCLUSIVE: '],
    ] as const) {
      const { root, suites, cases } = await parseJunit(renderJunit(resultOf(kind)));
      expect(root).toMatchObject({ tests: 5, failures: 0, errors: 0 });
      const marked = cases.filter((item) => item.status !== 'passed');
      expect(marked.map((item) => [item.name, item.status])).toEqual([['SSO & "config": latency.p95', status]]);
      expect(marked[0].failure).toBeUndefined();
      expect(marked[0]['system-out']![0]).toMatch(new RegExp(`^${label.replace(/[()]/g, '\\$&')}`));
      const properties = Object.fromEntries((suites[0].properties ?? []).map((item) => [item.name, item.value]));
      expect(Number(properties['perfspec.warnings'])).toBe(kind === 'warnings' ? 1 : 0);
      expect(Number(properties['perfspec.inconclusive'])).toBe(kind === 'inconclusive' ? 1 : 0);
    }
  });

  it('a broken probe is one <error> testcase; the other budgets stay', async () => {
    const { root, cases } = await parseJunit(renderJunit(resultOf('probeError')));
    expect(root).toMatchObject({ tests: 5, failures: 0, errors: 1 });
    const broken = cases.filter((item) => item.error);
    expect(broken.map((item) => item.name)).toEqual(['List <audit>: queries probe']);
    expect(broken[0].error![0].message).toBe('the queries probe broke: proxy lost its upstream');
  });

  it('a run error and an interruption are a "run" testcase with <error>; aborted is a property', async () => {
    const runError = await parseJunit(renderJunit(resultOf('runError')));
    expect(runError.root).toMatchObject({ tests: 1, failures: 0, errors: 1 });
    expect(runError.cases[0]).toMatchObject({ name: 'run', error: [{ message: 'setup step "Log in" answered 500, expected 200', type: 'run' }] });
    const aborted = await parseJunit(renderJunit(resultOf('aborted')));
    expect(aborted.root).toMatchObject({ tests: 6, errors: 1 });
    expect(aborted.suites[0].properties).toContainEqual({ name: 'perfspec.aborted', value: 'true' });
  });

  it('puts time on the root, every suite and every case; the cases add up to the checks', async () => {
    const { root, suites, cases } = await parseJunit(renderJunit(resultOf('pass')));
    expect(cases.map((item) => item.time)).toEqual([0.412, 0.412, 0.411, 0.151, 0.15]);
    expect(suites[0].time).toBe(1.536);
    expect(root.time).toBe(1.75);
  });

  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml('a<b>&"c\'\u0001d')).toBe('a&lt;b&gt;&amp;&quot;c&apos;d');
    const suites = buildJunitSuites(resultOf('pass'));
    expect(suites[0].properties).toContainEqual(['perfspec.spec', 'specs/phase3.yaml']);
  });
});
