import { describe, expect, it } from 'vitest';
import { planScenario } from '../../src/load/plan/plan-scenario.js';
import { ArrivalSchedule, shareOf, targetAt, type StageShape } from '../../src/load/plan/stages.js';
import { generatorSegment, parseShard, parseStartAt, resolveShard, shardArrivals, shardUsersAt } from '../../src/load/shard/segments.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

const flows = [{ name: 'f', steps: ['GET /'] }];
const plan = (config: Partial<LoadScenarioConfig>) => planScenario({ name: 's', flows, ...config });

/** The unsharded schedule, computed independently: arrival k for k = 0, 1, 2, … */
function wholeArrivals(shape: StageShape): number[] {
  const schedule = new ArrivalSchedule(shape);
  const times: number[] = [];
  for (let k = 0; ; k++) {
    const t = schedule.timeOf(k);
    if (t === undefined) return times;
    times.push(t);
  }
}

const closedPlans = {
  'constant 10 users': plan({ users: 10, duration: '30s' }),
  'constant 3 users (fewer than shards)': plan({ users: 3, duration: '10s' }),
  'load preset to 101 users': plan({ profile: 'load', users: 101, duration: '60s' }),
  'spike preset to 997 users': plan({ profile: 'spike', users: 997, duration: '40s' }),
  'capacity steps to 50 users': plan({ profile: 'capacity', users: 50, duration: '100s' }),
  'explicit stages 0→13→5→0': plan({
    stages: [
      { duration: '10s', target: 13 },
      { duration: '5s', target: 5 },
      { duration: '7s', target: 0 },
    ],
  }),
};

const openPlans = {
  'constant 100/s for 10 s': plan({ rate: 100, duration: '10s' }),
  'constant 7.5/s for 9 s': plan({ rate: 7.5, duration: '9s' }),
  'ramp 0→200/s→50/s': plan({
    rate: 200,
    stages: [
      { duration: '5s', target: 200 },
      { duration: '3s', target: 50 },
    ],
  }),
  'breakpoint preset to 300/s': plan({ profile: 'breakpoint', rate: 300, duration: '20s' }),
  'stress preset as arrivals 0→120/s': plan({ profile: 'stress', executor: 'ramping-arrival-rate', rate: 120, duration: '12s' }),
};

const COUNTS = [2, 3, 4, 7];
const WORKERS = [1, 2, 3];

describe('shards of one plan: the union is the unsharded plan', () => {
  for (const [label, p] of Object.entries(closedPlans)) {
    it(`${label}: users of all shards add up to the plan's users at every instant, for N = ${COUNTS.join(', ')}`, () => {
      const step = 250;
      for (const count of COUNTS) {
        for (const workers of WORKERS) {
          for (let t = 0; t <= p.durationMs; t += step) {
            const whole = Math.round(targetAt(p.shape, t));
            let sum = 0;
            for (let i = 0; i < count; i++) sum += shardUsersAt(p.shape, t, { index: i, count }, workers);
            expect(sum, `t=${t} N=${count} W=${workers}`).toBe(whole);
          }
          // At the end of every stage too (where ramps turn).
          let end = 0;
          for (const stage of p.shape.stages) {
            end += stage.durationMs;
            const whole = Math.round(targetAt(p.shape, end - 1));
            const shares = Array.from({ length: count }, (_, i) => shardUsersAt(p.shape, end - 1, { index: i, count }, workers));
            expect(shares.reduce((a, b) => a + b, 0)).toBe(whole);
            // Shares differ by at most one user per generator: no shard carries the load of another.
            expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(workers);
          }
        }
      }
    });
  }

  for (const [label, p] of Object.entries(openPlans)) {
    it(`${label}: arrival timestamps of all shards match the unsharded schedule one for one, for N = ${COUNTS.join(', ')}`, () => {
      const whole = wholeArrivals(p.shape);
      expect(whole.length).toBeGreaterThan(10);
      for (const count of COUNTS) {
        for (const workers of WORKERS) {
          const perShard = Array.from({ length: count }, (_, i) => shardArrivals(p.shape, { index: i, count }, workers));
          const union = perShard.flat().sort((a, b) => a - b);
          expect(union.length, `N=${count} W=${workers}`).toBe(whole.length);
          expect(union).toEqual(whole);
          // Striped: shard i takes arrivals i, i+N, …, so its arrivals interleave with the others'.
          perShard.forEach((times, i) => {
            const own = whole.filter((_, k) => k % count === i);
            expect(times).toEqual(own);
          });
        }
      }
    });
  }

  it('shard arrivals interleave rather than bunch: between two arrivals of one shard lie N-1 of the others', () => {
    const p = openPlans['constant 100/s for 10 s'];
    const count = 4;
    const shard1 = shardArrivals(p.shape, { index: 1, count });
    // 100/s → 10 ms apart; shard 1 of 4 gets one every 40 ms, starting at 10 ms.
    expect(shard1.slice(0, 4)).toEqual([10, 50, 90, 130]);
    expect(shard1.length).toBe(250);
  });

  it('generator segments of shards and workers are distinct and cover 0…W·N−1', () => {
    for (const count of COUNTS) {
      for (const workers of WORKERS) {
        const seen = new Set<number>();
        for (let i = 0; i < count; i++) {
          for (let w = 0; w < workers; w++) {
            const segment = generatorSegment({ index: i, count }, w, workers);
            expect(segment.count).toBe(workers * count);
            seen.add(segment.index);
          }
        }
        expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: workers * count }, (_, g) => g));
      }
    }
    // Unsharded, the segments are the engine's existing worker segments.
    expect(generatorSegment(undefined, 2, 4)).toEqual({ index: 2, count: 4 });
    expect(shareOf(10, 0, 1)).toBe(10);
  });
});

describe('shard identity from flags and environment', () => {
  it('parses --shard i/N and rejects what is not one', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    expect(() => parseShard('4/4')).toThrow(/shard index 4 is outside 0…3/);
    expect(() => parseShard('1/0')).toThrow(/count must be a whole number ≥ 1/);
    expect(() => parseShard('1of4')).toThrow(/is not INDEX\/COUNT/);
  });

  it('takes JOB_COMPLETION_INDEX with PERFSPEC_SHARDS or the spec count; --shard wins', () => {
    expect(resolveShard(undefined, {}, 4)).toBeUndefined();
    expect(resolveShard(undefined, { JOB_COMPLETION_INDEX: '3', PERFSPEC_SHARDS: '4' }, undefined)).toEqual({ index: 3, count: 4 });
    expect(resolveShard(undefined, { JOB_COMPLETION_INDEX: '1' }, 2)).toEqual({ index: 1, count: 2 });
    expect(resolveShard(undefined, { JOB_COMPLETION_INDEX: '1', PERFSPEC_SHARDS: '3' }, 2)).toEqual({ index: 1, count: 3 });
    expect(resolveShard('0/2', { JOB_COMPLETION_INDEX: '1', PERFSPEC_SHARDS: '3' }, undefined)).toEqual({ index: 0, count: 2 });
    expect(resolveShard(undefined, { PERFSPEC_SHARD_INDEX: '0', PERFSPEC_SHARDS: '2' }, undefined)).toEqual({ index: 0, count: 2 });
    expect(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '1' }, undefined)).toThrow(/number of shards is not known/);
    expect(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '5', PERFSPEC_SHARDS: '4' }, undefined)).toThrow(
      /JOB_COMPLETION_INDEX: shard index 5 is outside 0…3/,
    );
    expect(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: 'x', PERFSPEC_SHARDS: '4' }, undefined)).toThrow(/is not a shard index/);
  });

  it('parses --start-at as ISO time with a zone or epoch ms', () => {
    expect(parseStartAt('2026-12-01T16:00:00Z')).toBe(Date.UTC(2026, 11, 1, 16));
    expect(parseStartAt('2026-12-01T17:00:00+01:00')).toBe(Date.UTC(2026, 11, 1, 16));
    expect(parseStartAt('1796140800000')).toBe(1796140800000);
    expect(() => parseStartAt('2026-12-01 16:00')).toThrow(/is not a time/);
    expect(() => parseStartAt('soon')).toThrow(/is not a time/);
  });
});
