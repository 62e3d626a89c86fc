/**
 * Judging is a pure function of a parsed budget and a measured value. An unmeasured value
 * (null) never passes: a verdict without a measurement would be a guess.
 */
import { formatValue, type Budget, type Operator, type ToleranceBudget } from '../units/budget.js';
import type { Level, Verdict } from './types.js';

const OPERATORS: Record<Operator, { test: (actual: number, expected: number) => boolean; words: string }> = {
  '<': { test: (a, e) => a < e, words: 'below' },
  '<=': { test: (a, e) => a <= e, words: 'at most' },
  '>': { test: (a, e) => a > e, words: 'above' },
  '>=': { test: (a, e) => a >= e, words: 'at least' },
  '==': { test: (a, e) => a === e, words: 'exactly' },
};

export interface JudgeInput {
  check: string;
  probe: string;
  metric: string;
  level?: Level;
}

export function passesBudget(budget: Budget, actual: number): boolean {
  return OPERATORS[budget.operator].test(actual, budget.value);
}

/** Judge one measured value against one budget. */
export function judgeBudget(input: JudgeInput, budget: Budget, actual: number | null): Verdict {
  const level = input.level ?? 'error';
  const label = input.metric.split('.').pop() ?? input.metric;
  if (actual === null || !Number.isFinite(actual)) {
    return {
      ...base(input, level, budget.text),
      actual: 'n/a',
      actualValue: null,
      passed: false,
      message: `${label} could not be measured, so the budget ${budget.text} is not met`,
    };
  }
  const passed = passesBudget(budget, actual);
  const shown = formatValue(actual, budget.unit);
  const expected = `${OPERATORS[budget.operator].words} ${formatValue(budget.value, budget.unit)}`;
  return {
    ...base(input, level, budget.text),
    actual: shown,
    actualValue: actual,
    passed,
    message: passed ? `${label} ${shown} is ${expected}` : `${label} ${shown} is not ${expected}`,
  };
}

/** Judge a value against an expected value with a tolerance ("15m ±5%"). */
export function judgeTolerance(input: JudgeInput, budget: ToleranceBudget, actual: number | null): Verdict {
  const level = input.level ?? 'error';
  const label = input.metric.split('.').pop() ?? input.metric;
  if (actual === null || !Number.isFinite(actual)) {
    return { ...base(input, level, budget.text), actual: 'n/a', actualValue: null, passed: false, message: `${label} could not be measured` };
  }
  const low = budget.expected - budget.tolerance;
  const high = budget.expected + budget.tolerance;
  const passed = actual >= low && actual <= high;
  const shown = formatValue(actual, 'duration');
  const range = `${formatValue(low, 'duration')}–${formatValue(high, 'duration')}`;
  return {
    ...base(input, level, budget.text),
    actual: shown,
    actualValue: actual,
    passed,
    message: passed ? `${label} ${shown} is within ${range}` : `${label} ${shown} is outside ${range}`,
  };
}

/** A verdict on something that is not a number (an expected status, an N+1 rule). */
export function judgeCondition(
  input: JudgeInput,
  target: string,
  actual: string,
  passed: boolean,
  message: string,
  actualValue: number | null = null,
): Verdict {
  return { ...base(input, input.level ?? 'error', target), actual, actualValue, passed, message };
}

function base(input: JudgeInput, level: Level, target: string) {
  return { check: input.check, probe: input.probe, metric: input.metric, target, level };
}
