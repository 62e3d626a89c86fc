/**
 * Every judged latency figure read off a histogram with the uncertainty the sample leaves:
 * percentiles with their distribution-free confidence interval (order statistics, see
 * quantile-interval.ts), the mean with an approximate one, max exactly. Plain data, so it travels
 * in the JSON report and across worker threads.
 */
import { estimatePercentile, momentsUs, type Histogram, type PercentileEstimate } from './histogram.js';
import { inverseStandardNormal } from './quantile-interval.js';

export type { PercentileEstimate };

export const ESTIMATED_PERCENTILES = ['p50', 'p90', 'p95', 'p99', 'p99.9'] as const;
export type EstimatedPercentile = (typeof ESTIMATED_PERCENTILES)[number];

/**
 * The mean is not distribution-free: its interval is the normal approximation
 * mean ± z·s/√n (central limit theorem). With heavy tails that approximation is optimistic, so it
 * is only given from MEAN_MIN_SAMPLES samples on; fewer leave the mean unbounded (inconclusive).
 */
export const MEAN_MIN_SAMPLES = 30;

export type LatencyEstimates = Record<EstimatedPercentile | 'mean', PercentileEstimate>;

/** Percentile key ("p95", "p99.9") → percentile number (95, 99.9); undefined for others. */
export function percentileOfKey(key: string): number | undefined {
  const match = /^p(\d+(?:\.\d+)?)$/.exec(key);
  const value = match ? Number(match[1]) : undefined;
  return value !== undefined && value > 0 && value < 100 ? value : undefined;
}

export function estimateLatency(histogram: Histogram, confidence = 0.95): LatencyEstimates {
  const estimates = Object.fromEntries(ESTIMATED_PERCENTILES.map((key) => [key, estimatePercentile(histogram, percentileOfKey(key)!, confidence)]));
  return { ...(estimates as Record<EstimatedPercentile, PercentileEstimate>), mean: estimateMean(histogram, confidence) };
}

/** The mean with its normal-approximation interval (see MEAN_MIN_SAMPLES); `percentile` is 0 for the mean. */
export function estimateMean(histogram: Histogram, confidence = 0.95): PercentileEstimate {
  const n = histogram.totalCount;
  const base = { percentile: 0, count: n, confidence, samplesNeeded: MEAN_MIN_SAMPLES };
  if (n === 0) return { ...base, value: null, lower: 0, upper: null };
  const minMs = histogram.minNonZeroValue / 1000;
  const maxMs = histogram.maxValue / 1000;
  const moments = momentsUs(histogram);
  const mean = Math.min(Math.max(moments.mean / 1000, minMs), maxMs);
  if (n < MEAN_MIN_SAMPLES) return { ...base, value: mean, lower: 0, upper: null };
  const z = inverseStandardNormal(1 - (1 - confidence) / 2);
  const half = (z * moments.sd) / 1000 / Math.sqrt(n);
  // Not clamped to the recorded [min, max]: the true mean may lie beyond what the sample saw.
  return { ...base, value: mean, lower: Math.max(0, mean - half), upper: mean + half };
}
