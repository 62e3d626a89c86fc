/**
 * How many samples a check's latency budgets need before their verdicts can be conclusive. Pure.
 *
 * A percentile of n samples has an upper confidence bound only from a certain n on (p95: 72,
 * p99: 368 at 95 %): below that, a budget "p99 < 5ms" can fail but never pass. The mean's
 * interval needs MEAN_MIN_SAMPLES. max is exact and needs one.
 */
import type { LatencyBudgets } from '../../generated/spec-types.js';
import { MEAN_MIN_SAMPLES, percentileOfKey } from '../../metrics/latency-estimates.js';
import { minSamplesForUpperBound } from '../../metrics/quantile-interval.js';

export const CONFIDENCE = 0.95;

/** Samples needed to bound one latency figure ("p95", "mean", "max"). */
export function samplesNeededFor(key: string, confidence = CONFIDENCE): number {
  if (key === 'mean') return MEAN_MIN_SAMPLES;
  const percentile = percentileOfKey(key);
  return percentile === undefined ? 1 : minSamplesForUpperBound(percentile / 100, confidence);
}

/** The most samples any budget of a `latency:` section needs (1 when it has none). */
export function samplesNeededForLatency(latency: Record<string, unknown> | undefined): number {
  return Math.max(
    1,
    ...Object.keys(latency ?? {})
      .filter((key) => key !== 'cold')
      .map((key) => samplesNeededFor(key)),
  );
}

export interface UnboundedBudget {
  key: string;
  needed: number;
}

/** The latency budgets that `samples` measured requests cannot bound. */
export function unboundedBudgets(latency: LatencyBudgets | undefined, samples: number): UnboundedBudget[] {
  return Object.keys(latency ?? {})
    .filter((key) => key !== 'cold')
    .map((key) => ({ key, needed: samplesNeededFor(key) }))
    .filter(({ needed }) => samples < needed);
}

/** The validate warning for a budget that even maxSamples cannot bound. */
export function describeUnbounded(budget: UnboundedBudget, samples: number, maxSamples: number): string {
  const what = budget.key === 'mean' ? 'the mean' : budget.key;
  const taken = maxSamples > samples ? `${samples} samples (at most ${maxSamples} with adaptive sampling)` : `${samples} samples`;
  return `${taken} cannot bound ${what} at 95 % confidence: it needs at least ${budget.needed}, so this budget can fail but never pass — set maxSamples (or samples) to at least ${budget.needed}`;
}
