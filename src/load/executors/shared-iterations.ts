/**
 * Closed model executor `shared-iterations` (k6's shared-iterations): `iterations` in all, shared
 * by `users` virtual users; each user takes the next one as soon as it is free, so faster users
 * run more, and the scenario ends when the total is done, or at `maxDuration` (default 10m) with
 * the rest never started. As in k6, iterations may not be fewer than users.
 *
 * Split across generators and shards without coordination between them: the users are striped as
 * in per-vu-iterations, and each user brings its quota of the total, ⌊I·(k+1)/U⌋ − ⌊I·k/U⌋ for
 * the user of index k, into its generator's pool. The quotas add up to exactly I, a generator
 * without users gets no iterations, and within a generator its users share its pool.
 */
import { PerfspecError } from '../../errors.js';
import { formatDuration } from '../../units/duration.js';
import type { ScenarioPlan } from '../plan/scenario-plan.js';
import type { Executor, Segment } from './context.js';
import { readIterationConfig, runUsersUntilDone, usersOfSegment } from './per-vu-iterations.js';

export const sharedIterations: Executor = {
  name: 'shared-iterations',
  model: 'closed',
  configKeys: ['iterations', 'maxDuration'],
  plan(config, where) {
    const { users, iterations, maxDurationMs } = readIterationConfig(config, where, 'shared-iterations', 'how many iterations all users run together');
    if (iterations < users) {
      throw new PerfspecError(
        'PS_SPEC_INVALID',
        `${where}: iterations (${iterations}) may not be fewer than users (${users}) with executor shared-iterations`,
        {
          hint: `Each user runs at least one iteration: give iterations: ${users} or more, or fewer users.`,
        },
      );
    }
    return {
      shape: { start: users, stages: [{ durationMs: maxDurationMs, target: users }] },
      durationMs: maxDurationMs,
      peak: users,
      maxUsers: users,
      iterations,
    };
  },
  describe: (plan) => `${total(plan)} iterations shared by ${plan.peak} user${plan.peak === 1 ? '' : 's'}, at most ${formatDuration(plan.durationMs)}`,
  plannedIterations: (plan, segment) => segmentIterations(total(plan), plan.peak, segment),
  async run(ctx) {
    let left = segmentIterations(total(ctx.plan), ctx.plan.peak, ctx.segment);
    await runUsersUntilDone(ctx, () => {
      if (left <= 0) return false;
      left -= 1;
      return true;
    });
  },
};

function total(plan: ScenarioPlan): number {
  return plan.iterations as number;
}

/** The iterations of one generator segment: the quotas of the users it runs (they add up to `iterations` over all segments). */
export function segmentIterations(iterations: number, users: number, segment: Segment): number {
  let sum = 0;
  for (const id of usersOfSegment(users, segment)) sum += Math.floor((iterations * id) / users) - Math.floor((iterations * (id - 1)) / users);
  return sum;
}
