/**
 * Closed model executor `per-vu-iterations` (k6's per-vu-iterations): each of `users` virtual
 * users runs exactly `iterations` iterations, back to back, and the scenario ends when all are
 * done, or at `maxDuration` (default 10m, as k6) with what is left never started; the report says
 * how many of the planned iterations completed.
 *
 * Split across generators and shards as k6 splits VUs: generator g of G runs the users with ids
 * g + 1, g + 1 + G, …, so every user id 1…users runs on exactly one generator, each with its full
 * quota, and the shards' planned iterations add up to users × iterations exactly.
 */
import { PerfspecError } from '../../errors.js';
import { formatDuration } from '../../units/duration.js';
import { duration } from '../plan/stage-plan.js';
import type { ScenarioPlan } from '../plan/scenario-plan.js';
import type { DurationInput, LoadScenarioConfig } from '../types.js';
import type { ExecutionContext, Executor, Segment } from './context.js';
import { startOffsetMs } from './run-closed-model.js';

/** This executor's own keys (per-vu-iterations.schema.json). */
interface OwnConfig {
  iterations?: number;
  maxDuration?: DurationInput;
}

/** k6's defaults and bounds: maxDuration 10m unless given, at least 1s. */
export const DEFAULT_MAX_DURATION_MS = 10 * 60_000;
export const MIN_MAX_DURATION_MS = 1000;

export const perVuIterations: Executor = {
  name: 'per-vu-iterations',
  model: 'closed',
  configKeys: ['iterations', 'maxDuration'],
  plan(config, where) {
    const { users, iterations, maxDurationMs } = readIterationConfig(config, where, 'per-vu-iterations', 'how many iterations each user runs');
    return {
      shape: { start: users, stages: [{ durationMs: maxDurationMs, target: users }] },
      durationMs: maxDurationMs,
      peak: users,
      maxUsers: users,
      iterations: users * iterations,
      settings: { iterationsPerUser: iterations },
    };
  },
  describe: (plan) => `${plural(plan.peak, 'user')} × ${plural(perUser(plan), 'iteration')} each, at most ${formatDuration(plan.durationMs)}`,
  plannedIterations: (plan, segment) => usersOfSegment(plan.peak, segment).length * perUser(plan),
  async run(ctx) {
    const quota = perUser(ctx.plan);
    const done = new Map<number, number>();
    await runUsersUntilDone(ctx, (id) => {
      const taken = done.get(id) ?? 0;
      if (taken >= quota) return false;
      done.set(id, taken + 1);
      return true;
    });
  },
};

function perUser(plan: ScenarioPlan): number {
  return (plan.settings as { iterationsPerUser: number }).iterationsPerUser;
}

/**
 * Users, iterations and time limit of an executor that runs a fixed number of iterations (this one
 * and shared-iterations): `iterations` is required, users default to 1 and maxDuration to 10m (k6),
 * and the keys of shape-driven executors are refused with what to write instead.
 */
export function readIterationConfig(
  config: LoadScenarioConfig,
  where: string,
  executor: string,
  iterationsMean: string,
): { users: number; iterations: number; maxDurationMs: number } {
  const own = config as LoadScenarioConfig & OwnConfig;
  const foreign: Array<[keyof LoadScenarioConfig, string]> = [
    ['rate', 'it runs users (closed model); rate is for the arrival-rate executors'],
    ['duration', 'it ends when its iterations are done; give maxDuration to bound it'],
    ['stages', 'it holds its users until their iterations are done; stages are for the ramping executors'],
    ['profile', 'a profile is a shape over time; this executor runs a number of iterations'],
    ['stepDuration', 'steps belong to the capacity and breakpoint profiles'],
    ['maxUsers', 'users is the number of users it runs'],
  ];
  const problems = foreign.filter(([key]) => config[key] !== undefined).map(([key, why]) => `${key}: executor ${executor} does not use it (${why})`);
  if (own.iterations === undefined) problems.push(`executor ${executor} needs iterations (${iterationsMean})`);
  else if (!(Number.isInteger(own.iterations) && own.iterations >= 1)) problems.push(`iterations must be a whole number ≥ 1, got ${own.iterations}`);
  const users = config.users ?? 1;
  if (!(Number.isInteger(users) && users >= 1)) problems.push(`users must be a whole number ≥ 1, got ${users}`);
  const maxDurationMs = duration(own.maxDuration, `${where}: maxDuration`) ?? DEFAULT_MAX_DURATION_MS;
  if (maxDurationMs < MIN_MAX_DURATION_MS) problems.push(`maxDuration must be at least 1s, got ${own.maxDuration}`);
  if (problems.length > 0) {
    throw new PerfspecError('PS_SPEC_INVALID', `${where}: ${problems[0]}`, {
      details: problems.slice(1).map((problem) => `${where}: ${problem}`),
      hint: `For example: { executor: ${executor}, users: 10, iterations: 200, maxDuration: 5m }.`,
    });
  }
  return { users, iterations: own.iterations as number, maxDurationMs };
}

/** The user ids (1-based) generator `segment` runs out of `users`: striped, so the segments partition 1…users. */
export function usersOfSegment(users: number, segment: Segment): number[] {
  const ids: number[] = [];
  for (let k = segment.index; k < users; k += segment.count) ids.push(k + 1);
  return ids;
}

/**
 * This segment's users, each looping while `take(userId)` grants it another iteration, until all
 * stop or the plan's duration (maxDuration) is reached; then running iterations get the graceful
 * stop. Users present at t = 0 start evenly over the plan's startSpread (0 unless given).
 */
export async function runUsersUntilDone(ctx: ExecutionContext, take: (userId: number) => boolean): Promise<void> {
  const { plan, segment } = ctx;
  const ids = usersOfSegment(plan.peak, segment);
  let busy = ids.length;
  ctx.setBusyUsers(busy);
  const users = ids.map(async (id) => {
    const user = ctx.createUser(id);
    const delay = startOffsetMs(id - 1, plan.peak, plan.startSpreadMs);
    if (delay > 0) await ctx.sleep(delay);
    while (!ctx.stopping && take(id)) await ctx.runIteration(user, performance.now());
    ctx.setBusyUsers(--busy);
  });
  await Promise.race([Promise.all(users), ctx.sleep(Math.max(0, plan.durationMs - ctx.elapsed()))]);
  ctx.endScheduling();
  await ctx.drain(users);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
