import { describe, expect, it } from 'vitest';
import type { StatEntry } from '../../src/load/flows/compile-flows.js';
import { describeTotals, LoadAggregate } from '../../src/load/metrics/aggregate.js';
import { createHistogram, encodeHistogram, mergeEncoded, mergeSnapshot, recordMs, snapshotHistogram, summariseHistogram } from '../../src/metrics/histogram.js';
import { TickCollector, type TickReport } from '../../src/load/metrics/tick.js';
import { judgeGeneratorHealth } from '../../src/load/monitor/generator-health.js';
import { BreakpointTracker } from '../../src/load/run/breakpoint.js';
import { planScenario } from '../../src/load/plan/plan-scenario.js';
import { parseThresholds } from '../../src/load/thresholds/parse-thresholds.js';

/** A deterministic stream of latencies with a long tail (ms). */
function latencies(count: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    return 1 + 20 * u + (u > 0.99 ? 500 * u : 0);
  });
}

describe('histograms', () => {
  it('merge exactly: two encoded halves equal one histogram of everything', () => {
    const a = latencies(5000, 1);
    const b = latencies(7000, 2);
    const whole = createHistogram();
    [...a, ...b].forEach((v) => recordMs(whole, v));
    const first = createHistogram();
    const second = createHistogram();
    a.forEach((v) => recordMs(first, v));
    b.forEach((v) => recordMs(second, v));
    const merged = createHistogram();
    mergeEncoded(merged, encodeHistogram(first));
    mergeEncoded(merged, encodeHistogram(second));
    // Bucket counts merge exactly. The encoding keeps buckets, not the exact max sample, so the
    // reference goes through one encode too (the engine always does, even with one generator).
    const reference = createHistogram();
    mergeEncoded(reference, encodeHistogram(whole));
    expect(summariseHistogram(merged)).toEqual(summariseHistogram(reference));
    expect(merged.totalCount).toBe(12_000);
    expect(Math.abs(summariseHistogram(merged).max - summariseHistogram(whole).max) / summariseHistogram(whole).max).toBeLessThan(0.001);
  });

  it('keeps memory independent of the number of samples and 3 significant digits', () => {
    const h = createHistogram();
    const before = h.estimatedFootprintInBytes;
    for (let i = 0; i < 200_000; i++) recordMs(h, (i % 1000) + 0.5);
    expect(h.estimatedFootprintInBytes).toBe(before);
    expect(Math.abs(summariseHistogram(h).p50 - 500) / 500).toBeLessThan(0.002);
  });
});

const entries: StatEntry[] = [
  { id: 0, flow: 'f', name: 'GET /a', region: 'default' },
  { id: 1, flow: 'f', name: 'GET /b', region: 'default' },
];

function tick(collector: TickCollector, generator: number, seq: number): TickReport {
  const drained = collector.drain();
  return { generator, seq, final: false, ...drained, users: 3, health: { elu: 0.2, delayP99Ms: 1 } };
}

describe('histogram snapshots (how generators hand a second to the coordinator)', () => {
  it('merge exactly like adding the histogram itself, after crossing a thread (structured clone)', () => {
    const a = createHistogram();
    const b = createHistogram();
    latencies(5000, 3).forEach((v, i) => recordMs(i % 4 === 0 ? a : b, v));
    const viaSnapshots = createHistogram();
    mergeSnapshot(viaSnapshots, structuredClone(snapshotHistogram(a)));
    mergeSnapshot(viaSnapshots, structuredClone(snapshotHistogram(b)));
    const direct = createHistogram();
    direct.add(a);
    direct.add(b);
    expect(viaSnapshots.totalCount).toBe(5000);
    expect(summariseHistogram(viaSnapshots)).toEqual(summariseHistogram(direct));
    expect([viaSnapshots.minNonZeroValue, viaSnapshots.maxValue]).toEqual([direct.minNonZeroValue, direct.maxValue]);
  });

  it('an empty histogram gives an empty snapshot that changes nothing', () => {
    const empty = snapshotHistogram(createHistogram());
    expect([empty.counts.length, empty.totalCount]).toEqual([0, 0]);
    const into = createHistogram();
    recordMs(into, 7);
    mergeSnapshot(into, empty);
    expect(summariseHistogram(into)).toMatchObject({ count: 1, min: 7, max: 7 });
  });
});

describe('the per-second histogram of all entries', () => {
  it('equals every response recorded into one histogram, and starts empty the next second', () => {
    const values = latencies(3000, 11);
    const collector = new TickCollector(3);
    const direct = createHistogram();
    values.forEach((v, i) => {
      collector.recordResponse(i % 3, v, v, 200, undefined);
      recordMs(direct, v);
    });
    collector.recordFailure(2, 'timeout'); // no latency: in no histogram
    const drained = collector.drain();
    const all = createHistogram();
    mergeSnapshot(all, drained.all!);
    expect(all.totalCount).toBe(3000);
    expect(summariseHistogram(all)).toEqual(summariseHistogram(direct));
    collector.recordResponse(0, 5, 5, 200, undefined);
    const next = createHistogram();
    mergeSnapshot(next, collector.drain().all!);
    expect(next.totalCount).toBe(1);
  });
});

describe('aggregating generator reports', () => {
  it('gives the same figures whether samples came from one generator or were split over two', () => {
    const samples = latencies(4000, 7).map((v, i) => ({ entry: i % 2, v, status: i % 50 === 0 ? 500 : 200 }));
    const single = new TickCollector(2);
    const split = [new TickCollector(2), new TickCollector(2)];
    samples.forEach((s, i) => {
      single.recordResponse(s.entry, s.v, s.v, s.status, s.status === 500 ? 'expect_failed' : undefined);
      split[i % 3 === 0 ? 0 : 1].recordResponse(s.entry, s.v, s.v, s.status, s.status === 500 ? 'expect_failed' : undefined);
    });
    const one = new LoadAggregate(entries, 1);
    one.add(tick(single, 0, 1));
    const two = new LoadAggregate(entries, 2);
    two.add(tick(split[0], 0, 1));
    two.add(tick(split[1], 1, 1));
    const describe = (agg: LoadAggregate) =>
      describeTotals(
        agg.totalsWhere(() => true),
        1000,
        { name: '' },
      );
    expect(describe(two)).toEqual(describe(one));
    expect(describe(one).errors).toBe(80);
    expect(describe(one).statusCodes).toEqual({ 200: 3920, 500: 80 });
    expect(summariseHistogram(two.uncorrected)).toEqual(summariseHistogram(one.uncorrected));
  });

  it('closes a second only when every generator reported it, and sums users', () => {
    const agg = new LoadAggregate(entries, 2);
    const c = new TickCollector(2);
    c.recordResponse(0, 10, 10, 200, undefined);
    expect(agg.add(tick(c, 0, 1))).toEqual([]);
    c.recordFailure(1, 'timeout');
    const done = agg.add(tick(c, 1, 1));
    expect(done.map((b) => b.seq)).toEqual([1]);
    // Entry 0 answered in 10 ms (the bucket reads 10.007 ms, clamped to the recorded max); entry 1 timed out (an error with no latency).
    expect(agg.timeline).toEqual([
      {
        second: 1,
        requests: 2,
        errors: 1,
        p50: 10,
        p95: 10,
        p99: 10,
        users: 6,
        dropped: 0,
        late: 0,
        lagMs: 0,
        byName: { 'GET /a': { requests: 1, errors: 0, p95: 10 }, 'GET /b': { requests: 1, errors: 1, p95: null } },
      },
    ]);
    expect(agg.perEntry[1].errorKinds).toEqual({ timeout: 1 });
  });

  it('per second: late arrivals summed over generators, schedule lag the worst of them; the collector starts each second afresh', () => {
    const agg = new LoadAggregate(entries, 2);
    const a = new TickCollector(2);
    const b = new TickCollector(2);
    a.iterations.late = 3;
    a.lagMaxMs = 12.34;
    b.iterations.late = 2;
    b.lagMaxMs = 40.06;
    agg.add(tick(a, 0, 1));
    agg.add(tick(b, 1, 1));
    agg.add(tick(a, 0, 2));
    agg.add(tick(b, 1, 2));
    expect(agg.timeline.map((p) => [p.second, p.late, p.lagMs])).toEqual([
      [1, 5, 40.1],
      [2, 0, 0],
    ]);
    expect(agg.iterations.late).toBe(5);
  });
});

describe('generator health', () => {
  const fine = { elu: 0.4, delayP99Ms: 3, cpuCores: 0.5, availableCores: 2, iterationsStarted: 1000, lateIterations: 0 };

  it('trusts a generator with headroom', () => {
    expect(judgeGeneratorHealth(fine)).toMatchObject({ trustworthy: true, reasons: [] });
  });

  it('distrusts a saturated generator and says why', () => {
    const health = judgeGeneratorHealth({ ...fine, elu: 0.97, delayP99Ms: 120, cpuCores: 1.95, lateIterations: 50 });
    expect(health.trustworthy).toBe(false);
    expect(health.reasons).toHaveLength(4);
    expect(health.reasons[0]).toMatch(/busy 97% of the time/);
    expect(health.reasons[1]).toMatch(/delayed up to 120ms/);
    expect(health.reasons[3]).toMatch(/50 of 1000 arrivals started behind schedule/);
  });
});

describe('breakpoint', () => {
  it('reports the highest rate whose step met the SLA', () => {
    const plan = planScenario({ name: 'bp', profile: 'breakpoint', rate: 40, duration: '20s', flows: [{ name: 'f', steps: ['GET /'] }] });
    const tracker = new BreakpointTracker(plan, parseThresholds({ p95: '< 100ms' }));
    // Steps of 2 s; from the 5th second on, latencies break the SLA.
    let broke = false;
    const agg = new LoadAggregate(entries, 1);
    for (let seq = 1; seq <= 8 && !broke; seq++) {
      const c = new TickCollector(2);
      for (let i = 0; i < 50; i++) c.recordResponse(0, seq < 5 ? 20 : 400, 1, 200, undefined);
      for (const bucket of agg.add(tick(c, 0, seq))) broke = tracker.addSecond(bucket) || broke;
    }
    const result = tracker.finish();
    expect(broke).toBe(true);
    expect(result.steps.filter((s) => s.passed).length).toBeGreaterThan(0);
    expect(result.steps.map((s) => [s.rate, s.passed])).toEqual([
      [4, true],
      [8, true],
      [12, false],
    ]);
    expect(result.highestPassingRate).toBe(8);
    expect(result.brokeAtRate).toBe(12);
  });
});
