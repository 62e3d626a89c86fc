/**
 * The pure pieces around latency verdicts: adaptive sampling rounds, the saturation rule, repeats
 * by the median run, the host-load judgement, the samples a budget needs, the mean's interval,
 * and load thresholds judged by their interval.
 */
import { describe, expect, it } from 'vitest';
import { judgeHostLoad, type HostFigures } from '../../src/metrics/host-monitor.js';
import { createHistogram, recordMs } from '../../src/metrics/histogram.js';
import { estimateLatency, estimateMean, MEAN_MIN_SAMPLES } from '../../src/metrics/latency-estimates.js';
import { nextRoundSize, sampleUntilConclusive } from '../../src/probes/endpoint/adaptive-sampling.js';
import { medianRunIndex, rankingKey } from '../../src/probes/endpoint/repeat.js';
import { describeUnbounded, samplesNeededFor, samplesNeededForLatency, unboundedBudgets } from '../../src/probes/endpoint/sample-plan.js';
import { needsRemeasure, settleAfterRemeasure } from '../../src/probes/endpoint/saturation.js';
import { judgeThresholds } from '../../src/load/thresholds/judge-thresholds.js';
import { parseThresholds } from '../../src/load/thresholds/parse-thresholds.js';
import type { RequestStats } from '../../src/load/types.js';
import { parseBudget } from '../../src/units/budget.js';
import { judgeBudget, judgeEstimate } from '../../src/verdict/judge.js';

const figures = (overrides: Partial<HostFigures> = {}): HostFigures => ({
  cpus: 2,
  loadBefore: 0.5,
  loadAfter: 0.6,
  machineBusy: 0.3,
  perfspecCores: 0.2,
  eventLoopDelayP99Ms: 1,
  eventLoopDelayMaxMs: 3,
  durationMs: 1000,
  ...overrides,
});

describe('host load', () => {
  it('is calm below every limit', () => expect(judgeHostLoad(figures())).toMatchObject({ saturated: false, reasons: [] }));
  it.each([
    [{ machineBusy: 0.97 }, "the machine's CPUs were 97% busy"],
    [{ loadAfter: 6.1 }, 'load average 6.1 on 2 CPUs'],
    [{ eventLoopDelayP99Ms: 35 }, "perfspec's event loop was delayed up to 35ms (p99)"],
  ])('names why it is saturated: %j', (overrides, reason) => expect(judgeHostLoad(figures(overrides))).toMatchObject({ saturated: true, reasons: [reason] }));
});

describe('samples a budget needs', () => {
  it('knows the binomial minimum per percentile', () => {
    expect(samplesNeededFor('p95')).toBe(72);
    expect(samplesNeededFor('p99')).toBe(368);
    expect(samplesNeededFor('max')).toBe(1);
    expect(samplesNeededFor('mean')).toBe(MEAN_MIN_SAMPLES);
    expect(samplesNeededForLatency({ p50: '< 1ms', p99: '< 2ms', cold: '< 1s' })).toBe(368);
    expect(samplesNeededForLatency(undefined)).toBe(1);
  });
  it('lists budgets the configured samples cannot bound, with the number needed', () => {
    const unbounded = unboundedBudgets({ p50: '< 1ms', p99: '< 2ms', max: '< 9ms' }, 20);
    expect(unbounded).toEqual([{ key: 'p99', needed: 368 }]);
    expect(describeUnbounded(unbounded[0], 20, 160)).toBe(
      '20 samples (at most 160 with adaptive sampling) cannot bound p99 at 95 % confidence: it needs at least 368, so this budget can fail but never pass — set maxSamples (or samples) to at least 368',
    );
    expect(describeUnbounded(unbounded[0], 20, 20)).toMatch(/^20 samples cannot bound p99/);
  });
});

describe('adaptive sampling', () => {
  it('doubles, jumps to what an unbounded percentile needs, and respects both caps', () => {
    expect(nextRoundSize({ count: 50, needed: 1, maxSamples: 1000, remainingMs: 1e9, msPerSample: 1 })).toBe(50);
    expect(nextRoundSize({ count: 20, needed: 368, maxSamples: 1000, remainingMs: 1e9, msPerSample: 1 })).toBe(348);
    expect(nextRoundSize({ count: 300, needed: 1, maxSamples: 400, remainingMs: 1e9, msPerSample: 1 })).toBe(100);
    expect(nextRoundSize({ count: 50, needed: 1, maxSamples: 1000, remainingMs: 200, msPerSample: 10 })).toBe(20);
    expect(nextRoundSize({ count: 50, needed: 1, maxSamples: 50, remainingMs: 1e9, msPerSample: 1 })).toBe(0);
  });

  it('samples until conclusive, into the same count', async () => {
    let count = 20;
    let clock = 0;
    const rounds: number[] = [];
    const outcome = await sampleUntilConclusive(
      {
        sampleMore: async (n) => {
          rounds.push(n);
          count += n;
          clock += n;
        },
        count: () => count,
        undecided: () => (count >= 72 ? (count >= 144 ? 0 : 1) : 72),
        maxSamples: 1000,
        maxSampleTimeMs: 1e6,
        now: () => clock,
      },
      0,
    );
    expect(rounds).toEqual([52, 72]);
    expect(outcome).toEqual({ rounds: 2, stoppedBy: 'conclusive', samples: 144 });
  });

  it('stops when nothing more succeeds, or time is up', async () => {
    const stuck = await sampleUntilConclusive(
      { sampleMore: async () => undefined, count: () => 10, undecided: () => 1, maxSamples: 100, maxSampleTimeMs: 1e6, now: () => 0 },
      0,
    );
    expect(stuck.stoppedBy).toBe('noProgress');
    let count = 10;
    let clock = 0;
    const timed = await sampleUntilConclusive(
      {
        sampleMore: async (n) => {
          count += n;
          clock += n * 100;
        },
        count: () => count,
        undecided: () => 1,
        maxSamples: 10_000,
        maxSampleTimeMs: 5000,
        now: () => clock,
      },
      -1000, // 10 samples took 1 s: 100 ms each
    );
    expect(timed.stoppedBy).toBe('maxSampleTime');
    expect(clock).toBeLessThanOrEqual(4000);
  });
});

describe('saturation: a PASS stands, a FAIL measured on a saturated host is measured again', () => {
  const calm = judgeHostLoad(figures());
  const busy = judgeHostLoad(figures({ machineBusy: 0.99 }));
  const budget = parseBudget('< 5ms', 'duration')!;
  const failed = judgeBudget({ check: 'c', probe: 'endpoint', metric: 'latency.max' }, budget, 9);
  const passed = judgeBudget({ check: 'c', probe: 'endpoint', metric: 'latency.max' }, budget, 2);
  const status = { ...failed, metric: 'status' };

  it('re-measures only a latency failure under saturation', () => {
    expect(needsRemeasure([failed], busy)).toBe(true);
    expect(needsRemeasure([failed], calm)).toBe(false);
    expect(needsRemeasure([passed, status], busy)).toBe(false);
  });
  it('a failure again under saturation is inconclusive with the reason; on a calm host it stands', () => {
    const settled = settleAfterRemeasure([failed, passed, status], busy, busy);
    expect(settled[0]).toMatchObject({ outcome: 'inconclusive', passed: false });
    expect(settled[0].message).toContain("the machine's CPUs were 99% busy");
    expect(settled[1].outcome).toBe('pass');
    expect(settled[2].outcome).toBe('fail');
    expect(settleAfterRemeasure([failed], calm, busy)[0].outcome).toBe('fail');
  });
});

describe('repeat: the median run', () => {
  it('ranks by the first latency budget and picks the lower median; broken runs rank last', () => {
    expect(rankingKey({ p99: '< 9ms', max: '< 1s' })).toBe('p99');
    expect(rankingKey({ max: '< 1s', p99: '< 9ms' })).toBe('max');
    expect(rankingKey({ cold: '< 1s' })).toBe('p95');
    expect(medianRunIndex([30, 10, 20])).toBe(2);
    expect(medianRunIndex([30, 10, 20, 40])).toBe(2);
    expect(medianRunIndex([null, 10, 20])).toBe(2);
    expect(medianRunIndex([5])).toBe(0);
  });
});

describe('the mean', () => {
  it('has a normal-approximation interval from 30 samples on, none below', () => {
    const histogram = createHistogram();
    for (let i = 0; i < 10; i++) recordMs(histogram, 10 + i);
    expect(estimateMean(histogram)).toMatchObject({ upper: null, samplesNeeded: 30 });
    for (let i = 0; i < 90; i++) recordMs(histogram, 10 + (i % 10));
    const mean = estimateMean(histogram);
    expect(mean.value).toBeCloseTo(14.5, 1);
    // s ≈ 2.87, n = 100: half-width 1.96 · 2.87 / 10 ≈ 0.56.
    expect(mean.upper! - mean.value!).toBeCloseTo(0.56, 1);
    expect(judgeEstimate({ check: 'c', probe: 'endpoint', metric: 'latency.mean' }, parseBudget('< 16ms', 'duration')!, mean).outcome).toBe('pass');
  });
});

describe('load thresholds are judged by their interval', () => {
  const histogram = createHistogram();
  for (let i = 1; i <= 1000; i++) recordMs(histogram, i / 10); // 0.1 … 100 ms, p95 = 95 ms
  const stats: RequestStats = {
    name: '',
    requests: 1000,
    errors: 0,
    successRate: 100,
    errorRate: 0,
    throughput: 100,
    latency: { count: 1000, min: 0.1, mean: 50, p50: 50, p90: 90, p95: 95, p99: 99, 'p99.9': 99.9, max: 100 },
    estimates: estimateLatency(histogram),
    statusCodes: {},
    errorKinds: {},
  };
  it.each([
    ['< 200ms', 'pass'],
    ['< 95.5ms', 'inconclusive'],
    ['< 50ms', 'fail'],
  ])('p95 %s → %s', (budget, outcome) => {
    const { verdicts } = judgeThresholds(parseThresholds({ p95: budget }), () => stats, 'Load');
    expect(verdicts[0].outcome).toBe(outcome);
    expect(verdicts[0].actual).toMatch(/^95(\.\d+)?ms \(\d+(\.\d+)?–\d+(\.\d+)?ms, n=1000\)$/);
  });
  it('a latency failure while the generator was saturated is inconclusive with the reason; rates stay judged', () => {
    const health = { trustworthy: false, reasons: ["the generator's event loop was delayed up to 98ms (p99)"] };
    const { verdicts } = judgeThresholds(
      parseThresholds({ p95: '< 50ms', error_rate: '< 1%', p99: '< 2s' }),
      () => ({ ...stats, errorRate: 5 }),
      'Load',
      health,
    );
    expect(verdicts.map((v) => v.outcome)).toEqual(['inconclusive', 'fail', 'pass']);
    expect(verdicts[0].message).toContain('delayed up to 98ms');
  });
  it('judges throughput exactly', () => {
    expect(judgeThresholds(parseThresholds({ throughput: '>= 100/s' }), () => stats, 'Load').verdicts[0].outcome).toBe('pass');
  });
});
