import { describe, expect, it } from 'vitest';
import { createHistogram, momentsUs, recordMs } from '../../src/metrics/histogram.js';
import { seededRandom as seeded } from '../helpers/seeded-random.js';

describe('momentsUs', () => {
  it("equals HdrHistogram's own mean and standard deviation on random histograms", () => {
    const random = seeded(77);
    for (let trial = 0; trial < 200; trial += 1) {
      const histogram = createHistogram();
      const count = 1 + Math.floor(random() * 300);
      const scale = 10 ** Math.floor(random() * 7 - 3);
      // Exponential draws over 10 decades of scale: many buckets, repeats in some.
      for (let i = 0; i < count; i += 1) recordMs(histogram, -Math.log(1 - random()) * 100 * scale);
      const { mean, sd } = momentsUs(histogram);
      expect(mean).toBeCloseTo(histogram.mean, 6);
      expect(sd).toBeCloseTo(histogram.stdDeviation, 6);
    }
  });

  it('is zero for an empty histogram', () => {
    expect(momentsUs(createHistogram())).toEqual({ mean: 0, sd: 0 });
  });
});
