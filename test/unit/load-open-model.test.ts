/**
 * The open-model scheduler against a fake execution context with a virtual clock: which arrivals
 * it starts, when (their intended times), how many per event-loop turn, and what it counts as late
 * or dropped. Ground truth is the schedule itself (ArrivalSchedule), not a timing of this machine.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionContext, Segment } from '../../src/load/executors/context.js';
import { LATE_MS, MAX_BATCH, runOpenModel } from '../../src/load/executors/run-open-model.js';
import { planScenario, type ScenarioPlan } from '../../src/load/plan/plan-scenario.js';
import { ArrivalSchedule } from '../../src/load/plan/stages.js';
import { VirtualUser } from '../../src/load/run/virtual-user.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

const flows = [{ name: 'f', steps: ['GET /'] }];

interface Started {
  intendedMs: number;
  /** Virtual time at which it was started. */
  atMs: number;
  /** The synchronous stretch (batch) it was started in: one per event-loop turn of the scheduler. */
  batch: number;
}

/**
 * A context whose clock moves only when the scheduler sleeps (by `sleepJump(ms)`, default exactly
 * ms); each iteration ends `holdMs` of virtual time after it started (0: at once, inside startIteration).
 */
function fakeContext(
  config: Partial<LoadScenarioConfig>,
  options: { segment?: Segment; holdMs?: number; sleepJump?: (ms: number, now: number) => number } = {},
) {
  const plan: ScenarioPlan = planScenario({ name: 's', flows, ...config });
  let now = 0;
  let batch = 0;
  let inBatch = false;
  let stopped = false;
  const started: Started[] = [];
  const waiting: Array<{ endsAt: number; user: VirtualUser; done: (user: VirtualUser) => void }> = [];
  const counts = { dropped: 0, late: 0, created: 0, busyMax: 0 };
  const finishDue = () => {
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (waiting[i].endsAt <= now) {
        const [w] = waiting.splice(i, 1);
        w.done(w.user);
      }
    }
  };
  const ctx: ExecutionContext = {
    plan,
    segment: options.segment ?? { index: 0, count: 1 },
    t0: 1000,
    elapsed: () => now,
    get stopping() {
      return stopped;
    },
    async sleep(ms) {
      now += options.sleepJump ? options.sleepJump(ms, now) : ms;
      finishDue();
    },
    createUser(id) {
      counts.created++;
      return new VirtualUser(id, 0, {}, 'run', '');
    },
    runIteration: () => Promise.reject(new Error('the open model starts iterations with startIteration')),
    startIteration(user, intendedAt, done) {
      // A batch is what the scheduler starts without awaiting: it ends at the next microtask checkpoint.
      if (!inBatch) {
        batch++;
        inBatch = true;
        queueMicrotask(() => (inBatch = false));
      }
      // Back to schedule time (t0 = 1000), to the nanosecond: the subtraction leaves float noise.
      started.push({ intendedMs: Math.round((intendedAt - 1000) * 1e6) / 1e6, atMs: now, batch });
      const hold = options.holdMs ?? 0;
      if (hold === 0) done(user);
      else waiting.push({ endsAt: now + hold, user, done });
    },
    setBusyUsers(count) {
      counts.busyMax = Math.max(counts.busyMax, count);
    },
    countDropped: () => counts.dropped++,
    countLate: () => counts.late++,
    recordLag: () => {},
    preconnect: async () => {},
    endScheduling: () => {
      stopped = true;
    },
    async drain(running) {
      // Let every held iteration end, as a server answering would.
      now += options.holdMs ?? 0;
      finishDue();
      await Promise.all(running);
    },
  };
  return { ctx, plan, started, counts };
}

/** Scheduled times (ms) of this segment's arrivals of the plan. */
function scheduledTimes(plan: ScenarioPlan, segment: Segment = { index: 0, count: 1 }): number[] {
  const schedule = new ArrivalSchedule(plan.shape);
  const times: number[] = [];
  for (let k = segment.index; ; k += segment.count) {
    const at = schedule.timeOf(k);
    if (at === undefined) return times;
    times.push(Math.round(at * 1e6) / 1e6);
  }
}

describe('open-model scheduler', () => {
  it('starts exactly the planned arrivals, each with its scheduled time as intended start, none late', async () => {
    const { ctx, plan, started, counts } = fakeContext({ rate: 5000, duration: '1s' });
    await runOpenModel(ctx);
    const planned = scheduledTimes(plan);
    expect(planned.length).toBe(5000);
    expect(started.map((s) => s.intendedMs)).toEqual(planned);
    // Never before its time.
    for (const s of started) expect(s.atMs).toBeGreaterThanOrEqual(s.intendedMs);
    expect(counts.late).toBe(0);
    expect(counts.dropped).toBe(0);
    // Users are reused: iterations that end at once need one.
    expect(counts.created).toBe(1);
  });

  it('takes its stripe of the arrivals when the rate is split across generators', async () => {
    const segment = { index: 1, count: 3 };
    const { ctx, plan, started } = fakeContext({ rate: 1000, duration: '1s' }, { segment });
    await runOpenModel(ctx);
    expect(started.map((s) => s.intendedMs)).toEqual(scheduledTimes(plan, segment));
    expect(started.length).toBe(333);
  });

  it('catches up after a stall by the schedule, at most MAX_BATCH arrivals a turn, counting the late ones exactly', async () => {
    // The generator loses the CPU for 120 ms once, at 300 ms.
    let stalled = false;
    const sleepJump = (ms: number, now: number) => {
      if (!stalled && now >= 300) {
        stalled = true;
        return 120;
      }
      return ms;
    };
    const { ctx, plan, started, counts } = fakeContext({ rate: 5000, duration: '1s' }, { sleepJump });
    await runOpenModel(ctx);
    const planned = scheduledTimes(plan);
    // Nothing lost or added, in schedule order, intended times kept (latency counts the stall).
    expect(started.map((s) => s.intendedMs)).toEqual(planned);
    const late = started.filter((s) => s.atMs - s.intendedMs > LATE_MS).length;
    expect(late).toBeGreaterThan(400);
    expect(counts.late).toBe(late);
    const perBatch = new Map<number, number>();
    for (const s of started) perBatch.set(s.batch, (perBatch.get(s.batch) ?? 0) + 1);
    expect(Math.max(...perBatch.values())).toBe(MAX_BATCH);
  });

  it('drops arrivals beyond maxUsers busy, and counts a dropped arrival as dropped, not late', async () => {
    // Every iteration holds 500 ms; at most 100 may be busy; the generator stalls 150 ms at the start,
    // so its first wake-up finds 150 arrivals due: 100 start (late, most of them), 50 are dropped.
    let first = true;
    const sleepJump = (ms: number) => {
      if (first) {
        first = false;
        return 150;
      }
      return ms;
    };
    const { ctx, plan, started, counts } = fakeContext({ rate: 1000, duration: '1s', maxUsers: 100 }, { holdMs: 500, sleepJump });
    await runOpenModel(ctx);
    const planned = scheduledTimes(plan).length;
    expect(started.length + counts.dropped).toBe(planned);
    expect(counts.busyMax).toBe(100);
    expect(counts.created).toBe(100);
    expect(counts.dropped).toBeGreaterThanOrEqual(50);
    expect(counts.late).toBe(started.filter((s) => s.atMs - s.intendedMs > LATE_MS).length);
    expect(counts.late).toBeGreaterThan(80);
  });

  it('past the planned duration, drops the arrivals still more than LATE_MS behind instead of sending them after the window', async () => {
    // 5,000/s for 1 s; the generator loses the CPU for 1.2 s at 500 ms and wakes up at 1.7 s, past the window.
    let stalled = false;
    const sleepJump = (ms: number, now: number) => {
      if (!stalled && now >= 500) {
        stalled = true;
        return 1200;
      }
      return ms;
    };
    const { ctx, plan, started, counts } = fakeContext({ rate: 5000, duration: '1s' }, { sleepJump });
    await runOpenModel(ctx);
    const planned = scheduledTimes(plan).length;
    expect(started.length + counts.dropped).toBe(planned);
    // Everything due from the stall on was dropped at once; nothing started after the window but on time.
    expect(counts.dropped).toBeGreaterThanOrEqual(planned / 2 - 10);
    for (const s of started) expect(s.atMs <= plan.durationMs || s.atMs - s.intendedMs <= LATE_MS).toBe(true);
    // Within the window the catch-up still starts late arrivals rather than dropping them.
    const stall = fakeContext({ rate: 5000, duration: '1s' }, { sleepJump: (ms, now) => (now === 300 ? 120 : ms) });
    await runOpenModel(stall.ctx);
    expect(stall.counts.dropped).toBe(0);
  });
});
