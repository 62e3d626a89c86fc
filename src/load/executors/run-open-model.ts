/**
 * The open model: iterations arrive on a schedule whatever the target's speed, each latency
 * measured from its intended start (wrk2-style), so a stalled server shows up as the queue it
 * causes instead of being hidden by the generator waiting (coordinated omission). When every
 * allowed user is busy an arrival is dropped and counted; an arrival started more than LATE_MS
 * behind schedule (the generator itself lagging) is counted as late. Neither is ever silent.
 *
 * Timing: Node's timers have millisecond resolution, so the scheduler sleeps until the next
 * arrival is due (at least 1 ms) and then releases every arrival whose time has come against the
 * schedule's own clock (ArrivalSchedule: arrival k's time, never "previous + interval"), so a late
 * wake-up catches up exactly instead of drifting. At 5,000/s that is ~5 arrivals a wake-up.
 */
import { formatDuration } from '../../units/duration.js';
import type { ScenarioPlan } from '../plan/scenario-plan.js';
import { ArrivalSchedule } from '../plan/stages.js';
import type { VirtualUser } from '../run/virtual-user.js';
import type { ExecutionContext } from './context.js';

export const LATE_MS = 10;

/**
 * The most arrivals released in one turn of the event loop. Starting one costs ~10–20 µs (a
 * socket write), so a catch-up after the process lost the CPU for 100 ms (500 arrivals at 5,000/s)
 * would otherwise hold the loop for ~10 ms while responses already received wait to be read and
 * their latencies grow; 64 keeps each turn near a millisecond.
 */
export const MAX_BATCH = 64;

/**
 * Connections opened before t = 0: as many as the arrivals of the first PRECONNECT_WINDOW_MS
 * would hold if none had returned yet (250 at 5,000/s), within the pool's size. Without it the
 * first second opens one socket per early arrival, each handshake on the generator's cold code
 * path, and the schedule starts behind (measured before: p99 282–818 ms at 5,000/s against a
 * 10 ms server, all of it in the first second). Only sockets are opened; no request is sent.
 */
export const PRECONNECT_WINDOW_MS = 50;

/** Arrivals of this generator's share in the first `windowMs` of the schedule. Pure. */
export function arrivalsWithin(schedule: ArrivalSchedule, segment: { index: number; count: number }, windowMs: number): number {
  let arrivals = 0;
  for (let k = segment.index; ; k += segment.count) {
    const at = schedule.timeOf(k);
    if (at === undefined || at >= windowMs) return arrivals;
    arrivals++;
  }
}

export async function prepareOpenModel(ctx: ExecutionContext): Promise<void> {
  const early = arrivalsWithin(new ArrivalSchedule(ctx.plan.shape), ctx.segment, PRECONNECT_WINDOW_MS);
  if (early > 0) await ctx.preconnect(early);
}

export async function runOpenModel(ctx: ExecutionContext): Promise<void> {
  const { plan, segment } = ctx;
  const schedule = new ArrivalSchedule(plan.shape);
  // Arrivals are striped (generator i takes arrivals i, i+n, …) so all generators interleave in time.
  const maxUsers = Math.max(1, Math.ceil(plan.maxUsers / segment.count));
  const idle: VirtualUser[] = [];
  let created = 0;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  // One callback for every iteration: a free user goes back to the idle stack, no closure or promise per arrival.
  const finished = (user: VirtualUser): void => {
    idle.push(user);
    inFlight--;
    ctx.setBusyUsers(inFlight);
    if (inFlight === 0) drained?.();
  };
  let k = segment.index;
  let next = schedule.timeOf(k);

  while (!ctx.stopping && next !== undefined) {
    const now = ctx.elapsed();
    if (next > now) {
      await ctx.sleep(Math.max(1, Math.floor(next - now)));
      continue;
    }
    // Release the arrivals that are due, oldest first, as one batch (as late as its oldest arrival);
    // after MAX_BATCH started, responses already waiting are read before the rest are sent. Drops
    // cost a counter and are not capped: at a rate far beyond the users, capping them would let the
    // backlog of due arrivals outlive the planned duration (issue #10: 1e9/s for 2 s ran 31 s).
    ctx.recordLag(now - next);
    // Past the planned duration, an arrival still waiting more than LATE_MS behind its time is
    // dropped: a generator that lags behind a rate it cannot send must not go on sending after the
    // window it was given (issue #10: "rate: 1e9/s for 2 s runs 31 s").
    const closing = now >= plan.durationMs;
    for (let started = 0; next !== undefined && next <= now && started < MAX_BATCH;) {
      if (closing && now - next > LATE_MS) {
        ctx.countDropped();
        k += segment.count;
        next = schedule.timeOf(k);
        continue;
      }
      let user = idle.pop();
      if (!user && created < maxUsers) user = ctx.createUser(created++ * segment.count + segment.index + 1);
      if (!user) ctx.countDropped();
      else {
        // Late counts arrivals that started behind schedule; a dropped one is counted as dropped only.
        if (now - next > LATE_MS) ctx.countLate();
        inFlight++;
        started++;
        ctx.startIteration(user, ctx.t0 + next, finished);
      }
      k += segment.count;
      next = schedule.timeOf(k);
    }
    ctx.setBusyUsers(inFlight);
    if (next !== undefined && next <= now) await yieldToIo();
  }
  // A schedule that ends early (a ramp down to zero) still lasts the planned time.
  while (!ctx.stopping && ctx.elapsed() < plan.durationMs) await ctx.sleep(Math.min(100, plan.durationMs - ctx.elapsed()));
  ctx.endScheduling();
  if (inFlight > 0) await ctx.drain([new Promise<void>((resolve) => (drained = resolve))]);
}

/** Lets the event loop poll for I/O (responses) before the scheduler goes on. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** "50/s for 1m". */
export function describeRate(plan: ScenarioPlan): string {
  return `${plan.peak}/s for ${formatDuration(plan.durationMs)}`;
}
