/**
 * A threshold judged while the load generator reported itself saturated (event-loop lag, late
 * arrivals, no idle time): saturation can only make latencies look worse and throughput lower, so
 * a PASS stands, while a FAIL on those figures may be the generator's own queueing and is not
 * believed — it is inconclusive, with the reason. Error and success rates count what the server
 * answered and stay as judged. Pure.
 *
 * The verdict model has no 'inconclusive' outcome yet; judgeThresholds (judge-thresholds.ts) maps
 * it onto a verdict at level warn whose message starts "inconclusive:" and names the saturation —
 * the one place to change when Verdict gains an outcome.
 */
import type { GeneratorHealth, ThresholdMetric } from '../types.js';
import { METRIC_UNITS } from './parse-thresholds.js';

export type ThresholdOutcomeKind = 'pass' | 'fail' | 'inconclusive';

export interface ThresholdDecision {
  outcome: ThresholdOutcomeKind;
  /** Why the outcome is inconclusive. */
  reason?: string;
}

/** Figures a saturated generator distorts in the failing direction. */
export function saturationCanExplainFailure(metric: ThresholdMetric): boolean {
  return METRIC_UNITS[metric] === 'duration' || metric === 'throughput';
}

export function decideUnderSaturation(passed: boolean, metric: ThresholdMetric, health: Pick<GeneratorHealth, 'trustworthy' | 'reasons'> | undefined): ThresholdDecision {
  if (passed) return { outcome: 'pass' };
  if (!health || health.trustworthy || !saturationCanExplainFailure(metric)) return { outcome: 'fail' };
  const what = metric === 'throughput' ? 'lowers the throughput it can drive' : 'inflates the latencies it measures';
  return {
    outcome: 'inconclusive',
    reason: `the load generator reported itself saturated (${health.reasons.join('; ')}), and a saturated generator ${what}: this failure may be its own, so it is not believed — rerun with more workers or on a quieter machine`,
  };
}
