import { describe, expect, it } from 'vitest';
import { createTotals, describeTotals } from '../../src/load/metrics/aggregate.js';
import { percentileCountingDrops, summariseCountingDrops } from '../../src/load/metrics/drops.js';
import { TickCollector } from '../../src/load/metrics/tick.js';
import { judgeThresholds, measureMetric } from '../../src/load/thresholds/judge-thresholds.js';
import { parseThresholds } from '../../src/load/thresholds/parse-thresholds.js';
import { createHistogram, recordMs } from '../../src/metrics/histogram.js';

/** Ground truth: sort the measured values, put d copies of +∞ above them, take rank ceil(p·N). */
function bruteForce(values: number[], dropped: number, p: number): number | null {
  const all = [...values].sort((a, b) => a - b).concat(Array(dropped).fill(Number.POSITIVE_INFINITY));
  const rank = Math.max(1, Math.ceil((p / 100) * all.length - 1e-9));
  const value = all[rank - 1];
  return value === Number.POSITIVE_INFINITY ? null : value;
}

describe('percentiles counting dropped requests', () => {
  it('match a sorted list with the drops ranked above every measured latency, for every count of drops', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(next() * 300);
      const dropped = Math.floor(next() * n * (trial % 3 === 0 ? 2 : 0.1));
      // Whole microseconds 1..2047 are exact at 3 significant digits, so the histogram is the list.
      const values = Array.from({ length: n }, () => (1 + Math.floor(next() * 2000)) / 1000);
      const histogram = createHistogram();
      for (const v of values) recordMs(histogram, v);
      for (const p of [50, 90, 95, 99, 99.9]) {
        expect([trial, p, percentileCountingDrops(histogram, dropped, p)]).toEqual([trial, p, bruteForce(values, dropped, p)]);
      }
    }
  });

  it('reads the measured percentile unchanged when nothing was dropped', () => {
    const histogram = createHistogram();
    for (let i = 1; i <= 100; i++) recordMs(histogram, i / 100);
    expect(summariseCountingDrops(histogram, 0)).toMatchObject({ count: 100, dropped: 0, p50: 0.5, p99: 0.99 });
  });

  it('a 1 s stall whose victims were dropped: p99 is among the drops although every measured latency is fast', () => {
    const histogram = createHistogram();
    for (let i = 0; i < 900; i++) recordMs(histogram, 10);
    const withDrops = summariseCountingDrops(histogram, 94);
    expect(withDrops.p50).toBe(10);
    expect(withDrops.p90).toBe(10);
    expect(withDrops.p95).toBeNull();
    expect(withDrops.p99).toBeNull();
  });
});

describe('drops in the request figures and thresholds', () => {
  const totals = (measured: number, errors: number, dropped: number) => {
    const t = createTotals();
    t.requests = measured;
    t.errors = errors;
    t.dropped = dropped;
    for (let i = 0; i < measured; i++) recordMs(t.histogram, 10 + (i % 50));
    return t;
  };

  it('count dropped requests as failures in success_rate and error_rate, not in throughput', () => {
    const stats = describeTotals(totals(900, 0, 100), 10_000, { name: '' });
    expect(stats.successRate).toBe(90);
    expect(stats.errorRate).toBe(10);
    expect(stats.throughput).toBe(90);
    expect(stats.dropped).toBe(100);
  });

  it('fail p99 < 100ms when the percentile falls among the drops, and say so', () => {
    const stats = describeTotals(totals(900, 0, 94), 10_000, { name: '' });
    expect(stats.latency.p99).toBeLessThan(100);
    const thresholds = parseThresholds({ p99: '< 100ms', p50: '< 100ms', max: '< 5s', success_rate: '>= 99%' });
    const { verdicts, outcomes } = judgeThresholds(thresholds, () => stats, 'Load: stall');
    const byMetric = Object.fromEntries(verdicts.map((v) => [v.metric, v]));
    expect(byMetric['load.p99'].passed).toBe(false);
    expect(byMetric['load.p99'].message).toMatch(/^p99 falls among the dropped requests: 94 requests were dropped/);
    expect(byMetric['load.p99'].actual).toBe('> measured (94 dropped)');
    expect(byMetric['load.p50'].passed).toBe(true);
    expect(byMetric['load.max'].passed).toBe(false);
    expect(byMetric['load.success_rate'].passed).toBe(false);
    expect(outcomes.find((o) => o.metric === 'p99')!.passed).toBe(false);
    // An "above" budget is met by a latency worse than anything measured.
    expect(measureMetric(stats, 'p99')).toBe(Number.POSITIVE_INFINITY);
  });

  it('a scope where every arrival was dropped is judged, not skipped as unmeasured', () => {
    const stats = describeTotals(totals(0, 0, 50), 5000, { name: '' });
    expect(measureMetric(stats, 'p95')).toBe(Number.POSITIVE_INFINITY);
    expect(measureMetric(stats, 'success_rate')).toBe(0);
  });

  it('the tick collector carries drops per entry', () => {
    const collector = new TickCollector(2);
    collector.recordDropped(1);
    collector.recordDropped(1);
    const drained = collector.drain();
    expect(drained.entries).toEqual([expect.objectContaining({ id: 1, requests: 0, dropped: 2 })]);
  });
});
