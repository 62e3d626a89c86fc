/**
 * A latency histogram object for probes that record one request at a time (endpoint, cache),
 * over the same HdrHistogram functions the load engine uses: percentiles never come from an array
 * of every sample, memory stays constant, and histograms merge exactly.
 */
import {
  createHistogram,
  encodeHistogram,
  mergeEncoded,
  percentileMs,
  recordMs,
  summariseHistogram,
  type Histogram,
  type LatencySummary,
} from './histogram.js';

import { estimateLatency, type LatencyEstimates } from './latency-estimates.js';

export type { LatencySummary };

export class LatencyHistogram {
  private readonly histogram: Histogram = createHistogram();

  /** Record one latency in milliseconds. */
  record(ms: number): void {
    recordMs(this.histogram, ms);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency (ms) at a percentile in [0, 100]; 0 when nothing was recorded. */
  percentile(p: number): number {
    return percentileMs(this.histogram, p) ?? 0;
  }

  /** Compact, exact serialisation: the endpoint probe's `warmHistogram` in the JSON report. */
  encode(): string {
    return encodeHistogram(this.histogram);
  }

  /**
   * Reads what `encode` wrote; several encodings are added exactly (bucket counts sum), by the
   * same mergeEncoded the shard merge uses, so a pool of runs reads like one run of every sample.
   */
  static decode(...encoded: string[]): LatencyHistogram {
    const result = new LatencyHistogram();
    for (const one of encoded) mergeEncoded(result.histogram, one);
    return result;
  }

  summary(): LatencySummary {
    return summariseHistogram(this.histogram);
  }

  /** Percentiles and the mean with their confidence intervals. */
  estimates(confidence = 0.95): LatencyEstimates {
    return estimateLatency(this.histogram, confidence);
  }
}
