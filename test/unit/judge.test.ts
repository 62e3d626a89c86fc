import { describe, expect, it } from 'vitest';
import { parseBudget, parseTolerance, type Budget } from '../../src/units/budget.js';
import { intervalOutcome, judgeBudget, judgeCondition, judgeEstimate, judgeTolerance, passesBudget } from '../../src/verdict/judge.js';
import { formatDistinct, formatInterval } from '../../src/units/budget.js';

const input = { check: 'Audit logs list', probe: 'endpoint', metric: 'latency.p95' };
const budget = (text: string, unit: Budget['unit'] = 'duration') => parseBudget(text, unit)!;

describe('passesBudget', () => {
  it.each([
    ['< 50ms', 49.99, true],
    ['< 50ms', 50, false],
    ['<= 50ms', 50, true],
    ['<= 50ms', 50.01, false],
    ['> 50ms', 50, false],
    ['> 50ms', 50.01, true],
    ['>= 50ms', 50, true],
    ['>= 50ms', 49.99, false],
    ['== 50ms', 50, true],
    ['== 50ms', 50.5, false],
  ])('%s with %d → %s', (text, actual, expected) => expect(passesBudget(budget(text), actual)).toBe(expected));
});

describe('judgeBudget', () => {
  it('records target, actual and a reason when it fails', () => {
    expect(judgeBudget(input, budget('< 50ms'), 123.4)).toEqual({
      check: 'Audit logs list',
      probe: 'endpoint',
      metric: 'latency.p95',
      target: '< 50ms',
      actual: '123.4ms',
      actualValue: 123.4,
      outcome: 'fail',
      passed: false,
      level: 'error',
      message: 'p95 123.4ms is not below 50ms',
    });
  });

  it('passes with a reason too', () => {
    const verdict = judgeBudget({ ...input, metric: 'cache.hitRate', level: 'warn' }, budget('>= 95%', 'percent'), 96.5);
    expect(verdict).toMatchObject({ passed: true, level: 'warn', actual: '96.5%', message: 'hitRate 96.5% is at least 95%' });
  });

  it('never passes a value it did not measure', () => {
    for (const actual of [null, Number.NaN, Number.POSITIVE_INFINITY]) {
      const verdict = judgeBudget(input, budget('< 50ms'), actual);
      expect(verdict.passed).toBe(false);
      expect(verdict.actual).toBe('n/a');
      expect(verdict.actualValue).toBeNull();
    }
  });
});

describe('judgeTolerance', () => {
  const ttl = parseTolerance('15m ±5%')!;
  it.each([
    [855_000, true],
    [945_000, true],
    [900_000, true],
    [854_999, false],
    [945_001, false],
  ])('%d ms → %s', (actual, passed) => expect(judgeTolerance({ ...input, metric: 'cache.ttl' }, ttl, actual).passed).toBe(passed));
  it('explains the allowed range', () => {
    expect(judgeTolerance({ ...input, metric: 'cache.ttl' }, ttl, 300_000).message).toBe('ttl 5m is outside 14m 15s–15m 45s');
  });
  it('fails when unmeasured', () => expect(judgeTolerance(input, ttl, null).passed).toBe(false));
});

describe('judgeCondition', () => {
  it('keeps what it is given', () => {
    expect(judgeCondition(input, '200', '48× 200, 2× 500', false, '2 of 50 failed', 2)).toMatchObject({ passed: false, actualValue: 2, target: '200' });
  });
});

describe('intervalOutcome: pass only when the whole interval meets the budget, fail only when none of it does', () => {
  it.each([
    ['< 5ms', 3, 4.9, 'pass'],
    ['< 5ms', 3, 5, 'inconclusive'],
    ['<= 5ms', 3, 5, 'pass'],
    ['< 5ms', 4.5, 5.3, 'inconclusive'],
    ['< 5ms', 5, 6, 'fail'],
    ['<= 5ms', 5, 6, 'inconclusive'],
    ['< 5ms', 5.1, null, 'fail'],
    ['< 5ms', 1, null, 'inconclusive'],
    ['< 5ms', 0, null, 'inconclusive'],
    ['> 5ms', 5.1, 7, 'pass'],
    ['> 5ms', 4, 7, 'inconclusive'],
    ['> 5ms', 1, 5, 'fail'],
    ['>= 5ms', 1, null, 'inconclusive'],
    ['== 5ms', 5, 5, 'pass'],
    ['== 5ms', 4, 6, 'inconclusive'],
    ['== 5ms', 6, 7, 'fail'],
  ] as const)('%s with [%d, %s] → %s', (text, lower, upper, expected) => expect(intervalOutcome(budget(text), lower, upper)).toBe(expected));
});

describe('judgeEstimate', () => {
  const estimate = (value: number, lower: number, upper: number | null, count = 400) => ({ value, lower, upper, count, confidence: 0.95, samplesNeeded: 72 });
  it('shows the interval beside the figure and passes when it lies inside the budget', () => {
    const verdict = judgeEstimate(input, budget('< 50ms'), estimate(12.4, 11.8, 13.1));
    expect(verdict).toMatchObject({
      outcome: 'pass',
      passed: true,
      actual: '12.4ms (11.8–13.1ms, n=400)',
      actualValue: 12.4,
      interval: { lower: 11.8, upper: 13.1, samples: 400 },
    });
  });
  it('fails only when the whole interval is over', () => {
    expect(judgeEstimate(input, budget('< 5ms'), estimate(6, 5.2, 7)).outcome).toBe('fail');
    const straddling = judgeEstimate(input, budget('< 5ms'), estimate(5.1, 4.8, 5.6));
    expect(straddling).toMatchObject({ outcome: 'inconclusive', passed: false });
    expect(straddling.message).toContain('straddles');
  });
  it('says how many samples an unbounded percentile needs', () => {
    const verdict = judgeEstimate({ ...input, metric: 'latency.p99' }, budget('< 50ms'), { ...estimate(3, 2, null, 20), samplesNeeded: 368 });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.actual).toBe('3ms (≥ 2ms, n=20)');
    expect(verdict.message).toContain('needs at least 368');
  });
  it('never passes what it did not measure', () => {
    expect(judgeEstimate(input, budget('< 5ms'), { value: null, lower: 0, upper: null, count: 0, confidence: 0.95, samplesNeeded: 72 })).toMatchObject({
      outcome: 'fail',
      actual: 'n/a',
    });
  });
});

describe('numbers that agree: the actual is shown exactly enough to differ from the target', () => {
  it.each([
    [1688, 1638.4, 'bytes', '1688 B'],
    [60_200, 60_000, 'duration', '60.2s'],
    [5.0004, 5, 'duration', '5ms'],
    [4.9996, 5, 'duration', '5ms'],
    [4.996, 5, 'duration', '4.996ms'],
    [94.96, 95, 'percent', '94.96%'],
    [12.4, 50, 'duration', '12.4ms'],
  ] as const)('%d against %d (%s) → %s', (actual, target, unit, expected) => expect(formatDistinct(actual, target, unit)).toBe(expected));
  it('in failing messages', () => {
    expect(judgeBudget({ ...input, metric: 'cache.memory' }, budget('< 1.6KiB', 'bytes'), 1688).message).toBe('memory 1688 B is not below 1.6 KiB');
    expect(judgeTolerance({ ...input, metric: 'cache.ttl' }, parseTolerance('1m ±2s')!, 57_400).message).toBe('ttl 57.4s is outside 58s–1m 2s');
    expect(judgeTolerance({ ...input, metric: 'cache.ttl' }, parseTolerance('1m')!, 59_700).message).toBe('ttl 59.7s is outside 1m–1m');
  });
  it('formats intervals with one unit', () => {
    expect(formatInterval(11.8, 13.1, 'duration')).toBe('11.8–13.1ms');
    expect(formatInterval(0.5, 1.5, 'duration')).toBe('0.5ms–1.5s'.replace('1.5s', '1.5ms').replace('0.5ms–', '0.5–'));
    expect(formatInterval(2, null, 'duration')).toBe('≥ 2ms');
    expect(formatInterval(0, null, 'duration')).toBe('unbounded');
  });
});
