/**
 * The closed model: a target number of virtual users, each looping over iterations back to back.
 * Users above a falling target leave after their current iteration (k6's graceful ramp-down).
 * Latency is measured from the moment a user issues each request, which is the intended time in
 * a closed model: a user cannot want to send before its previous response arrived. The users
 * present at t = 0 start evenly over the plan's startSpread rather than at one instant, whose
 * first requests would queue behind one another; users added later by a ramp start at once
 * (the ramp already spreads them).
 */
import { formatDuration } from '../../units/duration.js';
import type { ScenarioPlan } from '../plan/scenario-plan.js';
import { shareOf, targetAt } from '../plan/stages.js';
import type { ExecutionContext } from './context.js';

/** How often the target is re-read during ramps. */
const CONTROL_INTERVAL_MS = 100;

export async function runClosedModel(ctx: ExecutionContext): Promise<void> {
  const { plan, segment } = ctx;
  const running = new Map<number, Promise<void>>();
  let target = 0;
  let initialTotal: number | undefined;

  const loop = async (slot: number, startDelayMs: number): Promise<void> => {
    const user = ctx.createUser(slot * segment.count + segment.index + 1);
    if (startDelayMs > 0) await ctx.sleep(startDelayMs);
    while (!ctx.stopping && slot < target) await ctx.runIteration(user, performance.now());
  };

  const adjust = (): void => {
    const total = Math.round(targetAt(plan.shape, ctx.elapsed()));
    target = shareOf(total, segment.index, segment.count);
    const first = initialTotal === undefined;
    if (first) initialTotal = total;
    for (let slot = 0; slot < target; slot++) {
      if (running.has(slot)) continue;
      const delay = first ? startOffsetMs(slot * segment.count + segment.index, total, plan.startSpreadMs) : 0;
      const done = loop(slot, delay).finally(() => {
        running.delete(slot);
        ctx.setBusyUsers(running.size);
      });
      running.set(slot, done);
    }
    ctx.setBusyUsers(running.size);
  };

  while (!ctx.stopping) {
    const now = ctx.elapsed();
    if (now >= plan.durationMs) break;
    adjust();
    await ctx.sleep(Math.min(CONTROL_INTERVAL_MS, plan.durationMs - now));
  }
  ctx.endScheduling();
  await ctx.drain(running.values());
}

/** When the user with run-wide index `index` (0-based) of the `total` present at t = 0 starts: evenly over `spreadMs`. */
export function startOffsetMs(index: number, total: number, spreadMs: number): number {
  return total > 0 && spreadMs > 0 ? (spreadMs * index) / total : 0;
}

/** "100 users for 10m". */
export function describeUsers(plan: ScenarioPlan): string {
  return `${plan.peak} users for ${formatDuration(plan.durationMs)}`;
}
