/**
 * A threshold judged while the load generator reported itself saturated (event-loop lag, late
 * arrivals, no idle time): saturation can only make latencies look worse and throughput lower, so
 * a PASS stands, while a FAIL on those figures may be the generator's own queueing and is not
 * believed — it is inconclusive, with the reason. Error and success rates count what the server
 * answered and stay as judged. Pure.
 *
 * judgeThresholds (judge-thresholds.ts) gives such a verdict the outcome 'inconclusive' and adds
 * the reason to its message.
 */
import type { GeneratorHealth, ThresholdMetric } from '../types.js';
import { METRIC_UNITS } from './parse-thresholds.js';
import type { Outcome } from '../../verdict/types.js';

/**
 * What may have distorted a run's figures: the generator's own health, and (`contention`, a
 * sentence) other programs taking the machine's CPUs while it ran.
 */
export type Distortion = Pick<GeneratorHealth, 'trustworthy' | 'reasons'> & { contention?: string };

export interface ThresholdDecision {
  outcome: Outcome;
  /** Why the outcome is inconclusive. */
  reason?: string;
}

/** Figures a saturated generator distorts in the failing direction. */
export function saturationCanExplainFailure(metric: ThresholdMetric): boolean {
  return METRIC_UNITS[metric] === 'duration' || metric === 'throughput';
}

/**
 * `amongDrops`: the failing figure rests on dropped requests (a percentile whose rank falls among
 * them, or max/avg with drops). Such a failure stands even under saturation: each drop is an
 * arrival that found every allowed user busy — a request that was never sent, whatever the
 * generator's lag in reading other responses — and excusing it would let a stall pass on a busy
 * machine again (the very case of issue #8.6).
 */
export function decideUnderSaturation(passed: boolean, metric: ThresholdMetric, health: Distortion | undefined, amongDrops = false): ThresholdDecision {
  if (passed) return { outcome: 'pass' };
  if (!health || amongDrops || !saturationCanExplainFailure(metric)) return { outcome: 'fail' };
  const what = metric === 'throughput' ? 'lowers the throughput it can drive' : 'inflates the latencies it measures';
  const reasons: string[] = [];
  if (!health.trustworthy) reasons.push(`the load generator reported itself saturated (${health.reasons.join('; ')}), and a saturated generator ${what}`);
  if (health.contention)
    reasons.push(`it was measured while ${health.contention}, which ${metric === 'throughput' ? 'lowers the throughput' : 'inflates every latency'}`);
  if (reasons.length === 0) return { outcome: 'fail' };
  return {
    outcome: 'inconclusive',
    reason: `${reasons.join('; and ')}: this failure may not be the target's, so it is not believed — rerun ${health.trustworthy ? 'on a quieter machine' : 'with more workers or on a quieter machine'}`,
  };
}
