import { describe, expect, it } from 'vitest';
import { parseBudget, parseTolerance, type Budget } from '../../src/units/budget.js';
import { judgeBudget, judgeCondition, judgeTolerance, passesBudget } from '../../src/verdict/judge.js';

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
