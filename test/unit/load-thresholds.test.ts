import { describe, expect, it } from 'vitest';
import { findAbortingThreshold, judgeThresholds, measureMetric } from '../../src/load/thresholds/judge-thresholds.js';
import { findUnknownScopes, parseThresholds } from '../../src/load/thresholds/parse-thresholds.js';
import type { RequestStats } from '../../src/load/types.js';

const stats = (overrides: Partial<RequestStats> & { p95?: number } = {}): RequestStats => ({
  name: '',
  requests: 1000,
  errors: 5,
  dropped: 0,
  successRate: 99.5,
  errorRate: 0.5,
  throughput: 145,
  latency: { count: 1000, min: 1, mean: 40, p50: 30, p90: 80, p95: overrides.p95 ?? 89.5, p99: 250, 'p99.9': 400, max: 900 },
  statusCodes: { 200: 995, 500: 5 },
  errorKinds: { expect_failed: 5 },
  ...overrides,
});

describe('parsing thresholds', () => {
  it('parses overall, per-request and per-flow budgets with units, levels and abort rules', () => {
    const parsed = parseThresholds({
      success_rate: '>= 99%',
      p95: '< 100ms',
      throughput: '>= 100/s',
      p99: { budget: '< 300ms', level: 'warn', abortOnFail: true, delayAbortEval: '10s' },
      requests: { login: { p95: '200ms' } },
      flows: { 'Active session': { error_rate: '< 1%' } },
    });
    expect(parsed.map((t) => [t.path, t.budget.operator, t.budget.value, t.budget.unit, t.level])).toEqual([
      ['success_rate', '>=', 99, 'percent', 'error'],
      ['p95', '<', 100, 'duration', 'error'],
      ['throughput', '>=', 100, 'rate', 'error'],
      ['p99', '<', 300, 'duration', 'warn'],
      ['requests.login.p95', '<=', 200, 'duration', 'error'],
      ['flows.Active session.error_rate', '<', 1, 'percent', 'error'],
    ]);
    expect(parsed[3]).toMatchObject({ abortOnFail: true, delayAbortEvalMs: 10_000 });
    expect(parsed[4].scope).toEqual({ kind: 'request', name: 'login' });
  });

  it('rejects unknown metrics (listing the allowed ones) and malformed budgets, all at once', () => {
    let error: { message: string; details: string[] } | undefined;
    try {
      parseThresholds({ p96: '< 1ms', p95: 'fast', requests: { a: { rate: '1/s' } } } as never);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.message).toBe(
      'thresholds.p96: unknown metric. Expected one of: success_rate, error_rate, p50, p90, p95, p99, p99.9, max, avg, throughput, requests, flows',
    );
    expect(error?.details).toEqual([
      'thresholds.p95: "fast" is not a duration budget, e.g. "< 50ms"',
      'thresholds.requests.a.rate: unknown metric. Expected one of: success_rate, error_rate, p50, p90, p95, p99, p99.9, max, avg, throughput',
    ]);
  });

  it('names request and flow scopes that do not exist', () => {
    const parsed = parseThresholds({ requests: { logn: { p95: '< 1s' } } });
    expect(findUnknownScopes(parsed, new Set(['login']), new Set())).toEqual(['thresholds.requests.logn.p95: no request is named "logn". Known: login']);
  });
});

describe('judging thresholds', () => {
  it('passes and fails with target and actual in every verdict', () => {
    const parsed = parseThresholds({ success_rate: '>= 99%', p95: '< 80ms', p99: '< 300ms', 'p99.9': '< 500ms', throughput: '>= 100/s', error_rate: '< 1%' });
    const { verdicts } = judgeThresholds(parsed, () => stats(), 'Quick');
    expect(verdicts.map((v) => [v.metric, v.passed, v.actual, v.message])).toEqual([
      ['load.success_rate', true, '99.5%', 'success_rate 99.5% is at least 99%'],
      ['load.p95', false, '89.5ms', 'p95 89.5ms is not below 80ms'],
      ['load.p99', true, '250ms', 'p99 250ms is below 300ms'],
      ['load.p99.9', true, '400ms', 'p99.9 400ms is below 500ms'],
      ['load.throughput', true, '145/s', 'throughput 145/s is at least 100/s'],
      ['load.error_rate', true, '0.5%', 'error_rate 0.5% is below 1%'],
    ]);
    expect(verdicts[1]).toMatchObject({ check: 'Quick', probe: 'load', target: '< 80ms', level: 'error', actualValue: 89.5 });
  });

  it('judges scoped thresholds against their own figures and fails what was not measured', () => {
    const parsed = parseThresholds({ requests: { login: { p95: '< 50ms' } }, flows: { admin: { p95: '< 50ms' } } });
    const lookup = (scope: { kind: string; name?: string }) => (scope.kind === 'request' ? stats({ name: 'login', p95: 20 }) : undefined);
    const { verdicts } = judgeThresholds(parsed, lookup as never, 'c');
    expect(verdicts[0]).toMatchObject({ passed: true, message: 'p95 of request "login" 20ms is below 50ms' });
    expect(verdicts[1]).toMatchObject({ passed: false, actual: 'n/a' });
    expect(measureMetric(stats({ requests: 0 }), 'p95')).toBeNull();
  });

  // Issue 9: the stats of a threshold's scope were computed twice per threshold (a live lookup summarises histograms).
  it('looks up the figures of each threshold scope once', () => {
    const parsed = parseThresholds({ p95: '< 80ms', requests: { login: { p99: '< 1s' } } });
    const scopes: string[] = [];
    judgeThresholds(parsed, (scope) => (scopes.push(scope.kind), stats()), 'c');
    expect(scopes).toEqual(['overall', 'request']);
  });

  it('aborts only on abortOnFail thresholds and only after their grace period', () => {
    const parsed = parseThresholds({ p95: { budget: '< 50ms', abortOnFail: true, delayAbortEval: '5s' }, p99: '< 1ms' });
    expect(findAbortingThreshold(parsed, () => stats(), 4000)).toBeUndefined();
    expect(findAbortingThreshold(parsed, () => stats(), 5000)).toMatchObject({ threshold: { metric: 'p95' }, actual: 89.5 });
    expect(findAbortingThreshold(parsed, () => stats({ p95: 10 }), 5000)).toBeUndefined();
  });
});

describe('thresholds judged while the generator was saturated', () => {
  const saturated = { trustworthy: false, reasons: ["the generator's event loop was delayed up to 120ms (p99)"] };
  const healthy = { trustworthy: true, reasons: [] };

  it('decides pass / fail / inconclusive: a pass stands, a latency or throughput failure under saturation is not believed', async () => {
    const { decideUnderSaturation } = await import('../../src/load/thresholds/saturation.js');
    expect(decideUnderSaturation(true, 'p99', saturated)).toEqual({ outcome: 'pass' });
    expect(decideUnderSaturation(false, 'p99', healthy)).toEqual({ outcome: 'fail' });
    expect(decideUnderSaturation(false, 'p99', undefined)).toEqual({ outcome: 'fail' });
    for (const metric of ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'avg', 'throughput'] as const) {
      const decision = decideUnderSaturation(false, metric, saturated);
      expect(decision.outcome).toBe('inconclusive');
      expect(decision.reason).toContain('delayed up to 120ms');
    }
    // Error and success rates count what the server answered: a saturated generator does not excuse them.
    expect(decideUnderSaturation(false, 'error_rate', saturated)).toEqual({ outcome: 'fail' });
    expect(decideUnderSaturation(false, 'success_rate', saturated)).toEqual({ outcome: 'fail' });
    // A failure resting on dropped requests stands: those requests were never sent at all.
    expect(decideUnderSaturation(false, 'p99', saturated, true)).toEqual({ outcome: 'fail' });
  });

  it('marks a failure under saturation inconclusive with the reason; the outcome records it', () => {
    const parsed = parseThresholds({ p95: '< 50ms', p50: '< 50ms', error_rate: '< 0.1%' });
    const { verdicts, outcomes } = judgeThresholds(parsed, () => stats(), 'Load: busy', saturated);
    const p95 = verdicts.find((v) => v.metric === 'load.p95')!;
    expect(p95).toMatchObject({ outcome: 'inconclusive', passed: false });
    expect(p95.message).toMatch(
      /^p95 89\.5ms is not below 50ms, but the load generator reported itself saturated \(the generator's event loop was delayed up to 120ms \(p99\)\)/,
    );
    expect(verdicts.find((v) => v.metric === 'load.p50')).toMatchObject({ outcome: 'pass', level: 'error' });
    expect(verdicts.find((v) => v.metric === 'load.error_rate')).toMatchObject({ outcome: 'fail', level: 'error' });
    expect(outcomes.map((o) => o.outcome)).toEqual(['inconclusive', 'pass', 'fail']);
    // The same figures from a healthy generator fail outright.
    expect(judgeThresholds(parsed, () => stats(), 'Load: quiet', healthy).verdicts[0]).toMatchObject({ outcome: 'fail', level: 'error' });
  });
});
