/**
 * Judging load thresholds: pure functions of parsed thresholds and measured figures, built on the
 * shared judge so load verdicts read like every other verdict.
 */
import type { LatencyEstimates } from '../../metrics/latency-estimates.js';
import { formatValue } from '../../units/budget.js';
import { judgeBudget, judgeCondition, judgeEstimate, passesBudget, type JudgeInput } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import type { LatencyCountingDrops, RequestStats, ThresholdMetric, ThresholdOutcome } from '../types.js';
import { METRIC_UNITS, type ParsedThreshold, type ThresholdScope } from './parse-thresholds.js';
import { decideUnderSaturation, type Distortion } from './saturation.js';

/**
 * The figure a threshold judges, or null when nothing was measured in its scope. With dropped
 * requests in the scope a latency figure counts them as worse than any measured latency: a
 * percentile whose rank falls among the drops, the max and the mean are +∞ (drops.ts).
 */
export function measureMetric(stats: RequestStats | undefined, metric: ThresholdMetric): number | null {
  if (!stats || (stats.requests === 0 && !stats.dropped)) return null;
  const withDrops = stats.latencyCountingDrops;
  if (withDrops && METRIC_UNITS[metric] === 'duration') {
    if (metric === 'max' || metric === 'avg') return Number.POSITIVE_INFINITY;
    return withDrops[metric as Exclude<keyof LatencyCountingDrops, 'count' | 'dropped'>] ?? Number.POSITIVE_INFINITY;
  }
  switch (metric) {
    case 'success_rate':
      return stats.successRate;
    case 'error_rate':
      return stats.errorRate;
    case 'throughput':
      return stats.throughput;
    case 'avg':
      return stats.latency.count === 0 ? null : stats.latency.mean;
    default:
      return stats.latency.count === 0 ? null : stats.latency[metric];
  }
}

export function describeScope(scope: ThresholdScope): string {
  return scope.kind === 'overall' ? 'overall' : `${scope.kind} "${scope.name}"`;
}

export interface ThresholdJudgement {
  verdicts: Verdict[];
  outcomes: ThresholdOutcome[];
}

/**
 * Judge every threshold. With `health` (the finished run's generator health) a failure that a
 * saturated generator can explain (latencies, throughput) is inconclusive with the reason
 * (saturation.ts): a pass stands, and so does a failure that rests on dropped requests.
 */
export function judgeThresholds(
  thresholds: ParsedThreshold[],
  lookup: (scope: ThresholdScope) => RequestStats | undefined,
  check: string,
  health?: Distortion,
): ThresholdJudgement {
  const verdicts: Verdict[] = [];
  const outcomes: ThresholdOutcome[] = [];
  for (const threshold of thresholds) {
    const stats = lookup(threshold.scope);
    const actual = measureMetric(stats, threshold.metric);
    const amongDrops = actual === Number.POSITIVE_INFINITY;
    // The shared judge names the metric by the last dotted segment; give it a plain one and
    // put the scoped label back, so names with dots ("GET /a.json", "p99.9") read correctly.
    const input: JudgeInput = { check, probe: 'load', metric: 'x', level: threshold.level };
    const judged = amongDrops ? judgeAmongDrops(input, threshold, stats!) : judgeMeasured(input, threshold, stats, actual);
    const decision = judged.outcome === 'fail' && actual !== null ? decideUnderSaturation(false, threshold.metric, health, amongDrops) : undefined;
    const verdict: Verdict =
      decision?.outcome === 'inconclusive'
        ? { ...judged, outcome: 'inconclusive', passed: false, message: `${judged.message}, but ${decision.reason}` }
        : judged;
    const label = threshold.scope.kind === 'overall' ? threshold.metric : `${threshold.metric} of ${describeScope(threshold.scope)}`;
    verdicts.push({ ...verdict, metric: `load.${threshold.path}`, message: label + verdict.message.slice(1) });
    outcomes.push({
      scope: describeScope(threshold.scope),
      metric: threshold.metric,
      budget: threshold.budget.text,
      level: threshold.level,
      actual: amongDrops ? null : actual,
      passed: verdict.passed,
      outcome: verdict.outcome,
      ...(decision?.reason ? { reason: decision.reason } : {}),
    });
  }
  return { verdicts, outcomes };
}

/**
 * Percentiles and avg are estimates: judged by their confidence interval when the figures carry
 * one (pass, fail or inconclusive). Rates, counts and max are exact. With dropped requests the
 * figures carry no interval yet and the drop-aware point is judged.
 */
function judgeMeasured(input: JudgeInput, threshold: ParsedThreshold, stats: RequestStats | undefined, actual: number | null): Verdict {
  const key = threshold.metric === 'avg' ? 'mean' : threshold.metric;
  const estimate = stats && stats.requests > 0 && stats.latency.count > 0 ? stats.estimates?.[key as keyof LatencyEstimates] : undefined;
  return estimate ? judgeEstimate(input, threshold.budget, estimate) : judgeBudget(input, threshold.budget, actual);
}

/**
 * A latency figure that falls among dropped requests is worse than every measured latency: it
 * meets a "below" budget never and an "above" budget always, and the message says why.
 */
function judgeAmongDrops(input: JudgeInput, threshold: ParsedThreshold, stats: RequestStats): Verdict {
  const passed = passesBudget(threshold.budget, Number.POSITIVE_INFINITY);
  const dropped = stats.dropped ?? 0;
  const measuredMax = stats.latency.count > 0 ? `, beyond the slowest measured ${formatValue(stats.latency.max, 'duration')}` : '';
  const what = threshold.metric === 'avg' || threshold.metric === 'max' ? `is unbounded` : `falls among the dropped requests`;
  return {
    ...judgeCondition(input, threshold.budget.text, `> measured (${dropped} dropped)`, passed, '', null),
    message: `x ${what}: ${dropped} request${dropped === 1 ? ' was' : 's were'} dropped (never sent, every allowed user busy) and count as slower than any measured latency${measuredMax}, so the budget ${threshold.budget.text} is ${passed ? 'met' : 'not met'}`,
  };
}

/** The first abortOnFail threshold that fails now (after its grace period), if any. */
export function findAbortingThreshold(
  thresholds: ParsedThreshold[],
  lookup: (scope: ThresholdScope) => RequestStats | undefined,
  elapsedMs: number,
): { threshold: ParsedThreshold; actual: number | null } | undefined {
  for (const threshold of thresholds) {
    if (!threshold.abortOnFail || elapsedMs < threshold.delayAbortEvalMs) continue;
    const stats = lookup(threshold.scope);
    const actual = measureMetric(stats, threshold.metric);
    // Nothing measured yet is not a failure worth stopping for; the final verdict still judges it.
    if (actual === null) continue;
    if (actual === Number.POSITIVE_INFINITY) {
      if (!passesBudget(threshold.budget, actual)) return { threshold, actual };
      continue;
    }
    // Only a proven failure stops the run (an inconclusive percentile may yet come out fine).
    const verdict = judgeMeasured({ check: '', probe: 'load', metric: 'x' }, threshold, stats, actual);
    if (verdict.outcome === 'fail') return { threshold, actual };
  }
  return undefined;
}
