/**
 * Dropped arrivals in the percentiles. A dropped arrival (open model, every allowed user busy) is
 * a request the system failed to serve in time: leaving it out would let a stall pass, because its
 * victims are exactly the requests that were never measured. So the percentile is taken over the
 * n measured latencies plus the d drops, the drops ranked above every measured value: rank
 * k = ceil(p·(n + d)); when k ≤ n it is the k-th measured latency, otherwise it falls among the
 * drops and is unbounded (null here, +∞ when judged). Pure.
 */
import { percentileMs, type Histogram } from '../../metrics/histogram.js';
import { quantileRank } from '../../metrics/quantile-interval.js';
import type { LatencyCountingDrops } from '../types.js';

/** The p-percentile (0 < p < 100) of n measured values plus d drops; null when its rank is a drop. */
export function percentileCountingDrops(histogram: Histogram, dropped: number, percentile: number): number | null {
  const n = histogram.totalCount;
  const rank = quantileRank(n + dropped, percentile / 100);
  if (rank === 0 || rank > n) return null;
  // getValueAtPercentile walks to the first bucket whose cumulative count reaches ceil(q·n): aim at
  // half a rank below k so floating-point noise cannot round up to k + 1.
  return percentileMs(histogram, (100 * (rank - 0.5)) / n);
}

export function summariseCountingDrops(histogram: Histogram, dropped: number): LatencyCountingDrops {
  const at = (p: number) => percentileCountingDrops(histogram, dropped, p);
  return { count: histogram.totalCount + dropped, dropped, p50: at(50), p90: at(90), p95: at(95), p99: at(99), 'p99.9': at(99.9) };
}
