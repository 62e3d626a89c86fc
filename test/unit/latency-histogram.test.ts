import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';

/** A deterministic stream of latencies with a long tail (ms). */
function latencies(count: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    return 1 + 30 * u + (u > 0.98 ? 400 * u : 0);
  });
}

describe("LatencyHistogram encoding (the endpoint report's warmHistogram)", () => {
  it('decoding several encodings pools them exactly: the same figures as one histogram of every sample', () => {
    const parts = [latencies(700, 1), latencies(1300, 2), latencies(50, 3)];
    const whole = new LatencyHistogram();
    const encoded = parts.map((values) => {
      const part = new LatencyHistogram();
      for (const v of values) {
        part.record(v);
        whole.record(v);
      }
      return part.encode();
    });
    const pooled = LatencyHistogram.decode(...encoded);
    expect(pooled.count).toBe(2050);
    // The encoding keeps buckets, not the exact extreme samples: compare with the whole through one encode.
    expect(pooled.summary()).toEqual(LatencyHistogram.decode(whole.encode()).summary());
    expect(pooled.percentile(99)).toBeGreaterThan(pooled.percentile(50));
  });

  it('decodes nothing to an empty histogram', () => {
    expect(LatencyHistogram.decode().count).toBe(0);
  });
});
