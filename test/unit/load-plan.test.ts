import { describe, expect, it } from 'vitest';
import { planScenario } from '../../src/load/plan/plan-scenario.js';
import { expandPreset } from '../../src/load/plan/presets.js';
import { ArrivalSchedule, peakTarget, shareOf, sumDurations, targetAt } from '../../src/load/plan/stages.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';
import { arrivalsWithin, PRECONNECT_WINDOW_MS } from '../../src/load/executors/run-open-model.js';

const flows = [{ name: 'f', steps: ['GET /'] }];
const plan = (config: Partial<LoadScenarioConfig>) => planScenario({ name: 's', flows, ...config });

describe('presets → stages', () => {
  it('smoke holds 5 users for 60 s with the constant executor', () => {
    const p = plan({ profile: 'smoke' });
    expect(p.executor).toBe('constant-users');
    expect(p.shape).toEqual({ start: 5, stages: [{ durationMs: 60_000, target: 5 }] });
  });

  it('load ramps to 100 users, holds and ramps down over 10 minutes', () => {
    const p = plan({ profile: 'load' });
    expect(p.executor).toBe('ramping-users');
    expect(p.shape.stages).toEqual([
      { durationMs: 60_000, target: 100 },
      { durationMs: 480_000, target: 100 },
      { durationMs: 60_000, target: 0 },
    ]);
  });

  it('stress peaks at 500 over 15 minutes and soak holds 100 for 2 hours', () => {
    expect(peakTarget(expandPreset('stress'))).toBe(500);
    expect(sumDurations(expandPreset('stress').stages)).toBe(15 * 60_000);
    expect(targetAt(expandPreset('soak'), 3_600_000)).toBe(100);
    expect(sumDurations(expandPreset('soak').stages)).toBe(7_200_000);
  });

  it('spike surges from a tenth of the peak to 1000 and back within 5 minutes', () => {
    const shape = expandPreset('spike');
    expect(sumDurations(shape.stages)).toBe(300_000);
    expect(targetAt(shape, 30_000)).toBe(100);
    expect(targetAt(shape, 100_000)).toBe(1000);
    expect(targetAt(shape, 200_000)).toBe(100);
    expect(shape.stages.at(-1)!.target).toBe(0);
  });

  it('capacity steps up toward 2000 users in 10 equal steps', () => {
    const shape = expandPreset('capacity');
    const holds = shape.stages.filter((_, i) => i % 2 === 1).map((s) => s.target);
    expect(holds).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    expect(sumDurations(shape.stages)).toBe(600_000);
  });

  it('breakpoint raises an arrival rate in steps and judges each step', () => {
    const p = plan({ profile: 'breakpoint', rate: 200, duration: '100s' });
    expect(p.model).toBe('open');
    expect(p.executor).toBe('ramping-arrival-rate');
    expect(p.stepMs).toBe(10_000);
    expect(targetAt(p.shape, 9_999)).toBe(20);
    expect(targetAt(p.shape, 99_999)).toBe(200);
    const fewer = plan({ profile: 'breakpoint', rate: 200, duration: '100s', stepDuration: '25s' });
    expect(fewer.stepMs).toBe(25_000);
    expect(fewer.shape.stages.filter((_, i) => i % 2 === 1).map((s) => s.target)).toEqual([50, 100, 150, 200]);
    expect(() => plan({ profile: 'breakpoint', rate: 10, duration: '5s' })).toThrow(/steps of 500ms are shorter than the 1 s/);
  });

  it('overrides a preset peak and duration, and a rate switches it to the open model', () => {
    const p = plan({ profile: 'load', users: 50, duration: '20s' });
    expect(p.peak).toBe(50);
    expect(p.durationMs).toBe(20_000);
    const open = plan({ profile: 'load', rate: 30, duration: '20s' });
    expect(open.executor).toBe('ramping-arrival-rate');
    expect(open.peak).toBe(30);
  });

  it('accepts explicit stages instead of a preset', () => {
    const p = plan({
      profile: 'load',
      stages: [
        { duration: '10s', target: 20 },
        { duration: 5000, target: 0 },
      ],
    });
    expect(p.shape).toEqual({
      start: 0,
      stages: [
        { durationMs: 10_000, target: 20 },
        { durationMs: 5000, target: 0 },
      ],
    });
    expect(p.executor).toBe('ramping-users');
  });

  it('plans constant executors from users or rate with a duration', () => {
    expect(plan({ users: 10, duration: '30s' }).executor).toBe('constant-users');
    const open = plan({ rate: 50, duration: '30s' });
    expect(open.executor).toBe('constant-arrival-rate');
    // Room for a 2 s stall at the peak rate before arrivals are dropped.
    expect(open.maxUsers).toBe(110);
  });

  it('rejects contradictions with a message and a hint', () => {
    expect(() => plan({ users: 1, rate: 1, duration: '1s' })).toThrow(/either users .* or rate/);
    expect(() => plan({ profile: 'nope' as never })).toThrow(/unknown profile "nope"/);
    expect(() => plan({ users: 5 })).toThrow(/needs a profile, explicit stages, or users with a duration/);
    expect(() => plan({ executor: 'constant-users', stages: [{ duration: '1s', target: 5 }] })).toThrow(/constant-users holds a constant number/);
    expect(() => plan({ users: 5, duration: 'soon' })).toThrow(/"soon" is not a duration/);
  });
});

describe('stages', () => {
  it('interpolates targets linearly within a stage', () => {
    const shape = {
      start: 0,
      stages: [
        { durationMs: 1000, target: 10 },
        { durationMs: 1000, target: 10 },
      ],
    };
    expect(targetAt(shape, 0)).toBe(0);
    expect(targetAt(shape, 500)).toBe(5);
    expect(targetAt(shape, 1500)).toBe(10);
    expect(targetAt(shape, 5000)).toBe(10);
  });

  it('schedules arrivals of a constant rate evenly', () => {
    const schedule = new ArrivalSchedule({ start: 10, stages: [{ durationMs: 1000, target: 10 }] });
    const times = Array.from({ length: 10 }, (_, k) => schedule.timeOf(k));
    expect(times.map((t) => Math.round(t!))).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(schedule.timeOf(10)).toBeUndefined();
  });

  it('schedules the area under a ramp: 0 → 100/s over 10 s gives 500 arrivals, denser at the end', () => {
    const schedule = new ArrivalSchedule({ start: 0, stages: [{ durationMs: 10_000, target: 100 }] });
    let k = 0;
    const times: number[] = [];
    for (let t = schedule.timeOf(k); t !== undefined; t = schedule.timeOf(++k)) times.push(t);
    expect(times.length).toBe(500);
    expect(times.filter((t) => t < 5000).length).toBe(125);
  });

  it('splits values across generators without losing any', () => {
    for (const value of [0, 1, 7, 10, 999]) {
      for (const count of [1, 2, 3, 4]) {
        const shares = Array.from({ length: count }, (_, i) => shareOf(value, i, count));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(value);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('start spread of the closed model', () => {
  const flows = [{ name: 'f', steps: ['GET /'] }];
  it('defaults to 10 % of the first stage, at most 10 s; open model none; a given value wins', async () => {
    const { planScenario: plan } = await import('../../src/load/plan/plan-scenario.js');
    expect(plan({ name: 'a', users: 10, duration: '30s', flows })).toMatchObject({ startSpreadMs: 3000, startSpreadDefaulted: true, randomFirstThink: false });
    expect(plan({ name: 'b', users: 10, duration: '10m', flows }).startSpreadMs).toBe(10_000);
    expect(
      plan({
        name: 'c',
        users: 10,
        stages: [
          { duration: '20s', target: 10 },
          { duration: '10m', target: 10 },
        ],
        flows,
      }).startSpreadMs,
    ).toBe(2000);
    expect(plan({ name: 'd', rate: 10, duration: '30s', flows }).startSpreadMs).toBe(0);
    expect(plan({ name: 'e', users: 10, duration: '30s', startSpread: '2s', randomFirstThink: true, flows })).toMatchObject({
      startSpreadMs: 2000,
      startSpreadDefaulted: false,
      randomFirstThink: true,
    });
    expect(plan({ name: 'f', users: 10, duration: '30s', startSpread: 0, flows }).startSpreadMs).toBe(0);
    expect(() => plan({ name: 'g', users: 10, duration: '5s', startSpread: '10s', flows })).toThrow(
      'load scenario "g": startSpread 10s is longer than the run (5s)',
    );
  });

  it('spaces the users present at the start evenly over the window', async () => {
    const { startOffsetMs } = await import('../../src/load/executors/run-closed-model.js');
    expect([0, 1, 2, 3].map((i) => startOffsetMs(i, 4, 2000))).toEqual([0, 500, 1000, 1500]);
    expect(startOffsetMs(5, 10, 0)).toBe(0);
    expect(startOffsetMs(0, 0, 2000)).toBe(0);
  });
});

describe('connections pre-opened for the open model', () => {
  it('counts the arrivals of a generator share in the first window of the schedule', () => {
    const flat = (rate: number) => new ArrivalSchedule({ start: rate, stages: [{ durationMs: 10_000, target: rate }] });
    // 5,000/s: one arrival every 0.2 ms, so 250 in [0, 50 ms).
    expect(arrivalsWithin(flat(5000), { index: 0, count: 1 }, PRECONNECT_WINDOW_MS)).toBe(250);
    // Two generators take alternate arrivals.
    expect(arrivalsWithin(flat(5000), { index: 1, count: 2 }, 50)).toBe(125);
    expect(arrivalsWithin(flat(10), { index: 0, count: 1 }, 50)).toBe(1);
    // A ramp from zero: arrivals are sparse at first, and a schedule that ends early stops the count.
    expect(arrivalsWithin(new ArrivalSchedule({ start: 0, stages: [{ durationMs: 10_000, target: 100 }] }), { index: 0, count: 1 }, 50)).toBe(1);
    expect(arrivalsWithin(new ArrivalSchedule({ start: 1000, stages: [{ durationMs: 10, target: 1000 }] }), { index: 0, count: 1 }, 50)).toBe(10);
  });
});
