/**
 * Latency histograms: HdrHistogram with 3 significant digits over 1 µs … 1 h, recorded in integer
 * microseconds. Memory is fixed per histogram whatever the number of requests (unlike k6's Trend,
 * which keeps every sample), and encoded histograms merge exactly across worker threads.
 */
import { createRequire } from 'node:module';
import type * as Hdr from 'hdr-histogram-js';
import { minSamplesForUpperBound, quantileRank, quantileRankInterval } from './quantile-interval.js';

/**
 * hdr-histogram-js is required on first use, so commands that record nothing (`--version`,
 * `validate`) never load it; and only the two modules used (building, encoding), not its index,
 * which also loads a log writer whose module-level Intl.NumberFormat costs ~30–60 ms of start-up.
 */
const requireModule = createRequire(import.meta.url);
type HdrSubset = Pick<typeof Hdr, 'build' | 'encodeIntoCompressedBase64' | 'decodeFromCompressedBase64'>;
let hdrModule: HdrSubset | undefined;
export function hdrLibrary(): HdrSubset {
  if (!hdrModule) {
    const { build } = requireModule('hdr-histogram-js/dist/HistogramBuilder') as Pick<typeof Hdr, 'build'>;
    const encoding = requireModule('hdr-histogram-js/dist/encoding') as Pick<typeof Hdr, 'encodeIntoCompressedBase64' | 'decodeFromCompressedBase64'>;
    hdrModule = { build, encodeIntoCompressedBase64: encoding.encodeIntoCompressedBase64, decodeFromCompressedBase64: encoding.decodeFromCompressedBase64 };
  }
  return hdrModule;
}

export type Histogram = Hdr.Histogram;

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  'p99.9': number;
  max: number;
}

/** 1 hour in microseconds: anything slower is clamped (a request timeout fires long before). */
export const HIGHEST_US = 3_600_000_000;

export function createHistogram(): Histogram {
  // Int32 counts (2^31 samples per bucket) and the pure-JS build: WASM would add per-call crossings
  // and must be freed by hand.
  return hdrLibrary().build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Record a latency given in milliseconds. */
export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

export function encodeHistogram(histogram: Histogram): string {
  return hdrLibrary().encodeIntoCompressedBase64(histogram);
}

/** Add an encoded histogram into `into` (exact: bucket counts are summed). */
export function mergeEncoded(into: Histogram, encoded: string): void {
  // Int32 counts: a packed histogram would allocate less but reads each count ~5× slower, and
  // add() walks every bucket.
  const decoded = hdrLibrary().decodeFromCompressedBase64(encoded, 32, false);
  into.add(decoded);
}

/**
 * A histogram as plain data for the per-second reports: its bucket counts up to the highest
 * recorded value, plus the extremes. Worker threads pass it by structured clone; the main thread
 * merges it by adding counts. Measured against the compressed encoding (varint walk, deflate,
 * base64, then the reverse and a new histogram per merge) it takes a copy and a sum, so the
 * generator's event loop is not held up every second while arrivals are due.
 */
export interface HistogramSnapshot {
  counts: Uint32Array;
  totalCount: number;
  maxValue: number;
  minNonZeroValue: number;
}

/** hdr-histogram-js's JS histograms expose these (JsHistogram), though its Histogram interface does not. */
interface CountsAccess {
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
  addToCountAtIndex(index: number, count: number): void;
  setTotalCount(total: number): void;
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
  readonly totalCount: number;
  readonly maxValue: number;
  readonly minNonZeroValue: number;
}

/**
 * The Int32 histograms of createHistogram keep their counts in a Uint32Array: copied and summed
 * directly, a snapshot costs a memcpy and a merge a tight loop even before the JIT has warmed up
 * (per-element method calls cost a few ms per second in short runs, inside the latencies).
 */
function rawCounts(histogram: Histogram): Uint32Array | undefined {
  const raw = (histogram as unknown as { _counts?: unknown })._counts;
  return raw instanceof Uint32Array ? raw : undefined;
}

export function snapshotHistogram(histogram: Histogram): HistogramSnapshot {
  const h = histogram as unknown as CountsAccess;
  const length = h.totalCount === 0 ? 0 : h.countsArrayIndex(h.maxValue) + 1;
  const raw = rawCounts(histogram);
  let counts: Uint32Array;
  if (raw) counts = raw.slice(0, length);
  else {
    counts = new Uint32Array(length);
    for (let i = 0; i < length; i++) counts[i] = h.getCountAtIndex(i);
  }
  return { counts, totalCount: h.totalCount, maxValue: h.maxValue, minNonZeroValue: h.minNonZeroValue };
}

/** One snapshot holding the sum of several (exact: bucket counts add). */
export function sumSnapshots(snapshots: readonly HistogramSnapshot[]): HistogramSnapshot {
  let length = 0;
  for (const snapshot of snapshots) length = Math.max(length, snapshot.counts.length);
  const counts = new Uint32Array(length);
  let totalCount = 0;
  let maxValue = 0;
  let minNonZeroValue = Number.MAX_VALUE;
  for (const snapshot of snapshots) {
    const from = snapshot.counts;
    for (let i = 0; i < from.length; i++) counts[i] += from[i];
    totalCount += snapshot.totalCount;
    if (snapshot.totalCount > 0) {
      maxValue = Math.max(maxValue, snapshot.maxValue);
      minNonZeroValue = Math.min(minNonZeroValue, snapshot.minNonZeroValue);
    }
  }
  return { counts, totalCount, maxValue, minNonZeroValue };
}

/** Add a snapshot into a histogram of the same layout (createHistogram): exact, as JsHistogram.add is. */
export function mergeSnapshot(into: Histogram, snapshot: HistogramSnapshot): void {
  if (snapshot.totalCount === 0) return;
  const h = into as unknown as CountsAccess;
  const { counts } = snapshot;
  const raw = rawCounts(into);
  if (raw && raw.length >= counts.length) for (let i = 0; i < counts.length; i++) raw[i] += counts[i];
  else for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) h.addToCountAtIndex(i, counts[i]);
  h.setTotalCount(h.totalCount + snapshot.totalCount);
  h.updatedMaxValue(Math.max(h.maxValue, snapshot.maxValue));
  h.updateMinNonZeroValue(Math.min(h.minNonZeroValue, snapshot.minNonZeroValue));
}

/**
 * Percentile in milliseconds, or null when the histogram is empty. One rounding rule for every
 * figure read from a histogram: a bucket's value is clamped to the recorded [min, max], so no
 * percentile is ever reported above max or below min.
 */
export function percentileMs(histogram: Histogram, percentile: number): number | null {
  return histogram.totalCount === 0 ? null : clampUs(histogram, histogram.getValueAtPercentile(percentile)) / 1000;
}

export function summariseHistogram(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, 'p99.9': 0, max: 0 };
  const at = (p: number) => clampUs(histogram, histogram.getValueAtPercentile(p)) / 1000;
  return {
    count,
    min: histogram.minNonZeroValue / 1000,
    // The mean of bucket midpoints can stray outside [min, max] for one or two samples.
    mean: Math.min(Math.max(momentsUs(histogram).mean, histogram.minNonZeroValue), histogram.maxValue) / 1000,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    'p99.9': at(99.9),
    max: histogram.maxValue / 1000,
  };
}

/** A percentile estimate with its distribution-free confidence interval, in milliseconds. */
export interface PercentileEstimate {
  /** The percentile in (0, 100), e.g. 95. */
  percentile: number;
  /** Samples the estimate rests on. */
  count: number;
  /** Point estimate (the value at rank ceil(p·n)); null when nothing was recorded. */
  value: number | null;
  /** Lower bound of the interval; 0 when the samples cannot bound it from below. */
  lower: number;
  /** Upper bound of the interval; null when the samples cannot bound it from above (too few). */
  upper: number | null;
  /** Confidence of the interval, e.g. 0.95. */
  confidence: number;
  /** The fewest samples for which the upper bound exists (p99 needs 368 at 95 %). */
  samplesNeeded: number;
}

/**
 * Estimate a percentile with its confidence interval from a histogram. The interval's ends are
 * read conservatively: the lower end at the bottom of its bucket, the upper end at the top (both
 * clamped to the recorded min and max), so bucket rounding can only widen the interval.
 */
export function estimatePercentile(histogram: Histogram, percentile: number, confidence = 0.95): PercentileEstimate {
  const p = percentile / 100;
  const n = histogram.totalCount;
  const samplesNeeded = minSamplesForUpperBound(p, confidence);
  if (n === 0) return { percentile, count: 0, value: null, lower: 0, upper: null, confidence, samplesNeeded };
  const ranks = quantileRankInterval(n, p, confidence);
  const value = valueAtRankUs(histogram, quantileRank(n, p), 'high') / 1000;
  const lower = ranks.lower === 0 ? 0 : valueAtRankUs(histogram, ranks.lower, 'low') / 1000;
  const upper = ranks.upper > n ? null : valueAtRankUs(histogram, ranks.upper, 'high') / 1000;
  return { percentile, count: n, value, lower: Math.min(lower, value), upper: upper === null ? null : Math.max(upper, value), confidence, samplesNeeded };
}

/** The value (µs) of the k-th smallest recorded sample, at the bottom or top of its bucket, clamped to [min, max]. */
function valueAtRankUs(histogram: Histogram, rank: number, end: 'low' | 'high'): number {
  // getValueAtPercentile(100·k/n) walks to the first bucket whose cumulative count reaches k.
  const top = histogram.getValueAtPercentile((100 * rank) / histogram.totalCount);
  const withBounds = histogram as Histogram & { lowestEquivalentValue?: (value: number) => number };
  const value = end === 'high' || !withBounds.lowestEquivalentValue ? top : withBounds.lowestEquivalentValue(top);
  return clampUs(histogram, value);
}

function clampUs(histogram: Histogram, us: number): number {
  return Math.min(Math.max(us, histogram.minNonZeroValue), histogram.maxValue);
}

/** The parts of hdr-histogram-js's pure-JS histogram (the only build createHistogram makes) that momentsUs reads. */
interface IndexedHistogram {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  medianEquivalentValue(value: number): number;
}

/**
 * The mean and standard deviation of the recorded values (µs), each bucket at its median
 * equivalent value exactly as HdrHistogram's own `mean` and `stdDeviation` compute them, in one
 * plain pass over the counts. Those getters walk an iterator that builds a value object per
 * bucket (about 2–3 ms per call for latencies of a few hundred milliseconds, and a summary with
 * estimates asked for the mean three times): a thousand measurements side by side, or a
 * re-judgement after every adaptive-sampling round, paid for that many times over.
 */
export function momentsUs(histogram: Histogram): { mean: number; sd: number } {
  const total = histogram.totalCount;
  if (total === 0) return { mean: 0, sd: 0 };
  const indexed = histogram as unknown as IndexedHistogram;
  const values: number[] = [];
  const counts: number[] = [];
  let seen = 0;
  let sum = 0;
  for (let index = 0; index < indexed.countsArrayLength && seen < total; index += 1) {
    const count = indexed.getCountAtIndex(index);
    if (count === 0) continue;
    const value = indexed.medianEquivalentValue(indexed.valueFromIndex(index));
    values.push(value);
    counts.push(count);
    seen += count;
    sum += value * count;
  }
  const mean = sum / total;
  let squares = 0;
  for (let i = 0; i < values.length; i += 1) {
    const deviation = values[i]! - mean;
    squares += deviation * deviation * counts[i]!;
  }
  return { mean, sd: Math.sqrt(squares / total) };
}
