/**
 * The open model: iterations arrive on a schedule whatever the target's speed, each latency
 * measured from its intended start (wrk2-style), so a stalled server shows up as the queue it
 * causes instead of being hidden by the generator waiting (coordinated omission). When every
 * allowed user is busy an arrival is dropped and counted; an arrival started more than LATE_MS
 * behind schedule (the generator itself lagging) is counted as late. Neither is ever silent.
 */
import { formatDuration } from '../../units/duration.js';
import type { ScenarioPlan } from '../plan/scenario-plan.js';
import { ArrivalSchedule } from '../plan/stages.js';
import type { VirtualUser } from '../run/virtual-user.js';
import type { ExecutionContext } from './context.js';

export const LATE_MS = 10;

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
  const running = new Set<Promise<void>>();
  let created = 0;
  let k = segment.index;
  let next = schedule.timeOf(k);

  while (!ctx.stopping && next !== undefined) {
    const now = ctx.elapsed();
    if (next > now) {
      await ctx.sleep(Math.max(1, Math.floor(next - now)));
      continue;
    }
    // Release every arrival that is due in one batch; the batch is as late as its oldest arrival.
    ctx.recordLag(now - next);
    while (next !== undefined && next <= now) {
      if (now - next > LATE_MS) ctx.countLate();
      let user = idle.pop();
      if (!user && created < maxUsers) user = ctx.createUser(created++ * segment.count + segment.index + 1);
      if (!user) ctx.countDropped();
      else {
        const taken = user;
        const done: Promise<void> = ctx.runIteration(taken, ctx.t0 + next).finally(() => {
          running.delete(done);
          idle.push(taken);
          ctx.setBusyUsers(running.size);
        });
        running.add(done);
      }
      k += segment.count;
      next = schedule.timeOf(k);
    }
    ctx.setBusyUsers(running.size);
  }
  // A schedule that ends early (a ramp down to zero) still lasts the planned time.
  while (!ctx.stopping && ctx.elapsed() < plan.durationMs) await ctx.sleep(Math.min(100, plan.durationMs - ctx.elapsed()));
  ctx.endScheduling();
  await ctx.drain(running);
}

/** "50/s for 1m". */
export function describeRate(plan: ScenarioPlan): string {
  return `${plan.peak}/s for ${formatDuration(plan.durationMs)}`;
}
