import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, mergeEncoded, recordMs, summariseHistogram, type Histogram } from '../../src/metrics/histogram.js';
import { createTotals } from '../../src/load/metrics/aggregate.js';
import { mergeLoadReports } from '../../src/load/shard/merge-results.js';
import { encodeTotals, type ShardLoadData } from '../../src/load/shard/shard-data.js';
import type { GeneratorHealth, LoadReport } from '../../src/load/types.js';

const health: GeneratorHealth = { trustworthy: true, reasons: [], eventLoopDelayP99Ms: 1, eventLoopUtilization: 0.1, cpuCores: 0.2 };
const shape: Pick<LoadReport, 'scenario' | 'executor' | 'profile' | 'workers' | 'plannedMs' | 'stoppedEarly'> = {
  scenario: 's',
  executor: 'constant-arrival-rate',
  workers: 1,
  plannedMs: 10_000,
};

/** A deterministic pseudo-random sequence (so the test is the same every run). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** One shard: latencies (ms) per second, for request "a" of flow "f"; every 10th request of shard `slow` errs. */
function shard(values: number[][], errorsEvery = 0): ShardLoadData {
  const all = createTotals();
  const seconds = values.map((vs, i) => {
    const t = createTotals();
    for (const [j, v] of vs.entries()) {
      recordMs(t.histogram, v);
      recordMs(all.histogram, v);
      t.requests++;
      all.requests++;
      t.statusCodes['200'] = (t.statusCodes['200'] ?? 0) + 1;
      all.statusCodes['200'] = (all.statusCodes['200'] ?? 0) + 1;
      if (errorsEvery && j % errorsEvery === 0) {
        t.errors++;
        all.errors++;
      }
    }
    return { seq: i + 1, users: 3, dropped: 0, late: 0, lagMs: 0, totals: encodeTotals(t) };
  });
  return {
    entries: [{ name: 'a', flow: 'f', region: 'default', ...encodeTotals(all) }],
    uncorrected: encodeTotals(all).histogram,
    seconds,
    iterations: { started: all.requests, completed: all.requests, dropped: 0, late: 0 },
    startedAtEpochMs: 1000,
    readyAtEpochMs: 900,
    elapsedMs: 10_000,
    measuredMs: 10_000,
    health,
  };
}

function viaEncoding(histogram: Histogram): Histogram {
  const decoded = createHistogram();
  mergeEncoded(decoded, encodeHistogram(histogram));
  return decoded;
}

describe('merging shard data', () => {
  it('every figure equals the figure of one histogram holding every value of every shard', () => {
    const random = lcg(7);
    const perShard = [0, 1, 2].map((s) => Array.from({ length: 5 }, () => Array.from({ length: 200 }, () => (s === 2 ? 300 : 2) + random() * 20)));
    const merged = mergeLoadReports(
      [shape, shape, shape],
      perShard.map((v, i) => shard(v, i === 1 ? 10 : 0)),
    );

    const recorded = createHistogram();
    for (const values of perShard) for (const second of values) for (const v of second) recordMs(recorded, v);
    // One process reads its totals from encoded per-second histograms too: the encoded form keeps
    // bucket counts exactly but max and min only to their bucket (3 significant digits).
    const reference = viaEncoding(recorded);
    expect(merged.overall.latency).toEqual(summariseHistogram(reference));
    expect(merged.overall.requests).toBe(3000);
    expect(merged.overall.errors).toBe(100);
    expect(merged.overall.errorRate).toBeCloseTo(100 / 30, 10);
    expect(merged.overall.throughput).toBe(300);
    expect(merged.requests).toHaveLength(1);
    expect(merged.requests[0].latency).toEqual(summariseHistogram(reference));
    expect(merged.flows[0].requests).toBe(3000);
    expect(merged.overall.statusCodes).toEqual({ 200: 3000 });
    expect(merged.workers).toBe(3);
    expect(merged.iterations.started).toBe(3000);

    // Per second: three shards' seconds added, p95 from the merged second.
    expect(merged.timeline.map((p) => p.requests)).toEqual([600, 600, 600, 600, 600]);
    expect(merged.timeline.map((p) => p.users)).toEqual([9, 9, 9, 9, 9]);
    const second3 = createHistogram();
    for (const values of perShard) for (const v of values[2]) recordMs(second3, v);
    expect(merged.timeline[2].p95).toBe(summariseHistogram(viaEncoding(second3)).p95);
    expect(merged.peakUsers).toBe(9);

    // The averaged shard p95 (what hand-merging does) is nowhere near the real one.
    const shardP95s = perShard.map((v) => mergeLoadReports([shape], [shard(v)]).overall.latency.p95);
    const averaged = shardP95s.reduce((a, b) => a + b, 0) / 3;
    expect(merged.overall.latency.p95).toBeGreaterThan(300);
    expect(averaged).toBeLessThan(125);
  });

  it('a shard that started late or was unhealthy shows in the merged health', () => {
    const a = shard([[1, 2, 3]]);
    const b = { ...shard([[4]]), health: { ...health, trustworthy: false, reasons: ['event loop delay p99 80ms'] } };
    const merged = mergeLoadReports([shape, { ...shape, stoppedEarly: { by: 'signal', reason: 'interrupted', atMs: 500 } }], [a, b]);
    expect(merged.health.trustworthy).toBe(false);
    expect(merged.health.reasons).toEqual(['shard 1/2: event loop delay p99 80ms']);
    expect(merged.aborted).toBe(true);
    expect(merged.stoppedEarly?.reason).toBe('shard 1/2: interrupted');
  });

  it("adds up the shards' planned iterations (executors with a fixed number), and leaves them out when no shard planned any", () => {
    const planned = (n: number, completed: number) => ({ ...shard([[1]]), iterations: { started: completed, completed, dropped: 0, late: 0, planned: n } });
    expect(mergeLoadReports([shape, shape, shape], [planned(5, 5), planned(3, 2), planned(2, 2)]).iterations).toEqual({
      started: 9,
      completed: 9,
      dropped: 0,
      late: 0,
      planned: 10,
    });
    expect(mergeLoadReports([shape, shape], [shard([[1]]), shard([[1]])]).iterations).not.toHaveProperty('planned');
  });

  it('refuses shards that measured different requests', () => {
    const a = shard([[1]]);
    const b = { ...shard([[1]]), entries: [{ ...shard([[1]]).entries[0], name: 'b' }] };
    expect(() => mergeLoadReports([shape, shape], [a, b])).toThrow(/shard 1\/2 measured different requests than shard 0/);
  });
});
