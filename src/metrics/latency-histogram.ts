/**
 * Latency percentiles from an HdrHistogram (microsecond resolution, 3 significant digits), never
 * from an array of every sample: memory stays constant however many requests are recorded, and
 * histograms from several sources merge exactly.
 */
import * as hdr from 'hdr-histogram-js';

/** Highest latency we can record: 10 minutes, in microseconds. Larger values are clamped. */
const HIGHEST_US = 600_000_000;

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  private readonly histogram: hdr.Histogram;

  constructor() {
    this.histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_US,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  /** Record one latency in milliseconds. */
  record(ms: number): void {
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)));
    this.histogram.recordValue(us);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency (ms) at a percentile in [0, 100]. */
  percentile(p: number): number {
    return this.histogram.getValueAtPercentile(p) / 1000;
  }

  merge(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  /** Compact, exact serialisation (for worker threads and baselines). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  static decode(encoded: string): LatencyHistogram {
    const result = new LatencyHistogram();
    result.histogram.add(hdr.decodeFromCompressedBase64(encoded, 'packed', false));
    return result;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: h.totalCount,
      min: h.minNonZeroValue / 1000,
      mean: h.mean / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: h.maxValue / 1000,
    };
  }
}
