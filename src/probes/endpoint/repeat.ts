/**
 * `repeat: N`: the check is measured N times and judged on the median run, as Lighthouse CI does
 * (it picks the run whose score is the median, not a median of each figure, so the figures shown
 * belong together). Pure.
 */
import type { LatencyBudgets } from '../../generated/spec-types.js';

/** The figure runs are ranked by: the first latency budget of the check, else p95. */
export function rankingKey(latency: LatencyBudgets | undefined): string {
  const order = ['p95', 'p99', 'p90', 'p50', 'mean', 'max'];
  const declared = Object.keys(latency ?? {}).filter((key) => order.includes(key));
  return declared[0] ?? 'p95';
}

/**
 * Index of the median run by `value` (the lower median for an even count; runs without a figure
 * rank last, so a broken run is never the median of working ones).
 */
export function medianRunIndex(values: Array<number | null>): number {
  const ranked = values.map((value, index) => ({ value: value ?? Number.POSITIVE_INFINITY, index })).sort((a, b) => a.value - b.value || a.index - b.index);
  return ranked[Math.floor((ranked.length - 1) / 2)]?.index ?? 0;
}
