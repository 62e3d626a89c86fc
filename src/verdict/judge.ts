/**
 * Judging is a pure function of a parsed budget and a measured value. An unmeasured value
 * (null) never passes: a verdict without a measurement would be a guess.
 *
 * Exact figures (counts, max, bytes) pass or fail. Estimated figures (latency percentiles, the
 * mean) are judged by their confidence interval: pass when all of it meets the budget, fail when
 * none of it does, otherwise inconclusive.
 */
import { formatDistinct, formatInterval, formatValue, type Budget, type Operator, type ToleranceBudget } from '../units/budget.js';
import { outcomeOf, type Level, type Outcome, type Verdict, type VerdictInterval } from './types.js';

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

/** An estimate of a figure: its point value and the confidence interval around it. */
export interface IntervalEstimate {
  value: number | null;
  lower: number;
  upper: number | null;
  count: number;
  confidence: number;
  samplesNeeded: number;
}

export function passesBudget(budget: Budget, actual: number): boolean {
  return OPERATORS[budget.operator].test(actual, budget.value);
}

/** Judge one measured value against one budget. */
export function judgeBudget(input: JudgeInput, budget: Budget, actual: number | null): Verdict {
  const level = input.level ?? 'error';
  const label = labelOf(input);
  if (actual === null || !Number.isFinite(actual)) return unmeasured(input, level, budget, label);
  const passed = passesBudget(budget, actual);
  const shown = formatDistinct(actual, budget.value, budget.unit);
  const expected = `${OPERATORS[budget.operator].words} ${formatValue(budget.value, budget.unit)}`;
  return measured(input, level, budget.text, shown, actual, passed, passed ? `${label} ${shown} is ${expected}` : `${label} ${shown} is not ${expected}`);
}

/**
 * Judge an estimated figure by its confidence interval. The actual shown is the point estimate
 * with its interval beside it: "12.4ms (11.8–13.1ms, n=400)".
 */
export function judgeEstimate(input: JudgeInput, budget: Budget, estimate: IntervalEstimate): Verdict {
  const level = input.level ?? 'error';
  const label = labelOf(input);
  const value = estimate.value;
  if (value === null || !Number.isFinite(value) || estimate.count === 0) return unmeasured(input, level, budget, label);
  const outcome = intervalOutcome(budget, estimate.lower, estimate.upper);
  const point = formatDistinct(value, budget.value, budget.unit);
  const range = formatInterval(estimate.lower, estimate.upper, budget.unit);
  const shown = `${point} (${range}, n=${estimate.count})`;
  const expected = `${OPERATORS[budget.operator].words} ${formatValue(budget.value, budget.unit)}`;
  const confidence = `${Math.round(estimate.confidence * 100)} %`;
  const interval: VerdictInterval = {
    lower: estimate.lower,
    upper: estimate.upper,
    samples: estimate.count,
    confidence: estimate.confidence,
    samplesNeeded: estimate.samplesNeeded,
  };
  const message =
    outcome === 'pass'
      ? `${label} ${shown} is ${expected} (the whole ${confidence} interval)`
      : outcome === 'fail'
        ? `${label} ${shown} is not ${expected} (the whole ${confidence} interval)`
        : estimate.upper === null
          ? `${label} ${shown}: ${estimate.count} samples cannot bound it from above (needs at least ${estimate.samplesNeeded}), so it cannot be shown ${expected}`
          : `${label} ${shown}: the ${confidence} interval straddles the budget (${expected}); more samples would tell`;
  return { ...base(input, level, budget.text), actual: shown, actualValue: value, outcome, passed: outcome === 'pass', interval, message };
}

/** Pass when every value in [lower, upper] meets the budget, fail when none does. upper null = unbounded. */
export function intervalOutcome(budget: Budget, lower: number, upper: number | null): Outcome {
  if (budget.operator === '==') {
    if (budget.value < lower || (upper !== null && budget.value > upper)) return 'fail';
    return lower === budget.value && upper === budget.value ? 'pass' : 'inconclusive';
  }
  const meets = (value: number) => passesBudget(budget, value);
  const below = budget.operator === '<' || budget.operator === '<=';
  // For "below" budgets the upper end must meet it to pass, and the lower end already breaks it to fail.
  const passEnd = below ? upper : lower;
  const failEnd = below ? lower : upper;
  if (passEnd !== null && meets(passEnd)) return 'pass';
  if (failEnd !== null && !meets(failEnd)) return 'fail';
  return 'inconclusive';
}

/** Judge a value against an expected value with a tolerance ("15m ±5%"). */
export function judgeTolerance(input: JudgeInput, budget: ToleranceBudget, actual: number | null): Verdict {
  const level = input.level ?? 'error';
  const label = labelOf(input);
  if (actual === null || !Number.isFinite(actual)) {
    return { ...base(input, level, budget.text), actual: 'n/a', actualValue: null, outcome: 'fail', passed: false, message: `${label} could not be measured` };
  }
  const low = budget.expected - budget.tolerance;
  const high = budget.expected + budget.tolerance;
  const passed = actual >= low && actual <= high;
  // Shown exactly enough to differ from both ends of the range.
  const near = Math.abs(actual - low) < Math.abs(actual - high) ? low : high;
  const shown = formatDistinct(actual, near, 'duration');
  const range = `${formatValue(low, 'duration')}–${formatValue(high, 'duration')}`;
  return measured(input, level, budget.text, shown, actual, passed, passed ? `${label} ${shown} is within ${range}` : `${label} ${shown} is outside ${range}`);
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
  return { ...base(input, input.level ?? 'error', target), actual, actualValue, outcome: outcomeOf(passed), passed, message };
}

/** A verdict on a measured figure: the one record shape of judgeBudget and judgeTolerance. */
function measured(input: JudgeInput, level: Level, target: string, shown: string, actual: number, passed: boolean, message: string): Verdict {
  return { ...base(input, level, target), actual: shown, actualValue: actual, outcome: outcomeOf(passed), passed, message };
}

function unmeasured(input: JudgeInput, level: Level, budget: Budget, label: string): Verdict {
  return {
    ...base(input, level, budget.text),
    actual: 'n/a',
    actualValue: null,
    outcome: 'fail',
    passed: false,
    message: `${label} could not be measured, so the budget ${budget.text} is not met`,
  };
}

function labelOf(input: JudgeInput): string {
  return input.metric.split('.').pop() ?? input.metric;
}

function base(input: JudgeInput, level: Level, target: string) {
  return { check: input.check, probe: input.probe, metric: input.metric, target, level };
}
