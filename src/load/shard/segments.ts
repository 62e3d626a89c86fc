/**
 * Shards of one plan, as pure functions. A shard is one perfspec process out of N (a Kubernetes
 * Indexed Job pod, a CI matrix leg); inside it, the plan's `workers` generator threads split the
 * shard's share again. Both levels use the engine's execution segments (generator g of G takes
 * users shareOf(total, g, G) and arrivals g, g+G, g+2G, …), so the two levels fold into one:
 *
 *   generator = worker · N + shard,   generators = workers · N.
 *
 * With this order shard i owns exactly the arrivals k ≡ i (mod N): its arrivals interleave with
 * every other shard's instead of bunching, and the union over shards is the unsharded schedule,
 * arrival for arrival. Users split with shareOf over all W·N generators add up to the plan's
 * number exactly at every instant (round(v·(g+1)/G) − round(v·g/G) telescopes).
 */
import { PerfspecError } from '../../errors.js';
import type { Segment } from '../executors/context.js';
import { ArrivalSchedule, shareOf, targetAt, type StageShape } from '../plan/stages.js';

export interface ShardId {
  /** 0-based. */
  index: number;
  count: number;
}

export const WHOLE: ShardId = { index: 0, count: 1 };

/** The execution segment of one generator thread of one shard. */
export function generatorSegment(shard: ShardId | undefined, worker: number, workers: number): Segment {
  const s = shard ?? WHOLE;
  return { index: worker * s.count + s.index, count: workers * s.count };
}

/** Users one shard keeps busy when the whole plan wants `total` (summed over its worker threads). */
export function shardUsers(total: number, shard: ShardId, workers = 1): number {
  let users = 0;
  for (let w = 0; w < workers; w++) {
    const segment = generatorSegment(shard, w, workers);
    users += shareOf(total, segment.index, segment.count);
  }
  return users;
}

/** Closed model: one shard's users at time t of the plan (what its executors hold then). */
export function shardUsersAt(shape: StageShape, t: number, shard: ShardId, workers = 1): number {
  return shardUsers(Math.round(targetAt(shape, t)), shard, workers);
}

/**
 * Open model: the arrival times (ms since t = 0) one shard starts, in order, as its executors
 * compute them (generator g walks k = g, g + G, …). Bounded by `limit` arrivals for safety.
 */
export function shardArrivals(shape: StageShape, shard: ShardId, workers = 1, limit = 1_000_000): number[] {
  const times: number[] = [];
  for (let w = 0; w < workers; w++) {
    const segment = generatorSegment(shard, w, workers);
    const schedule = new ArrivalSchedule(shape);
    for (let k = segment.index; times.length < limit; k += segment.count) {
      const t = schedule.timeOf(k);
      if (t === undefined) break;
      times.push(t);
    }
  }
  return times.sort((a, b) => a - b);
}

/** "2/4" (0-based index / count) → { index: 2, count: 4 }. */
export function parseShard(text: string, where = '--shard'): ShardId {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw usage(`${where} "${text}" is not INDEX/COUNT`, 'Write --shard 0/4 for the first of four shards (indexes start at 0).');
  return checkShard({ index: Number(match[1]), count: Number(match[2]) }, where);
}

function checkShard(shard: ShardId, where: string): ShardId {
  if (!(shard.count >= 1) || !Number.isSafeInteger(shard.count)) throw usage(`${where}: the shard count must be a whole number ≥ 1`, 'Write --shard 0/4.');
  if (!(shard.index >= 0 && shard.index < shard.count) || !Number.isSafeInteger(shard.index)) {
    throw usage(
      `${where}: shard index ${shard.index} is outside 0…${shard.count - 1}`,
      `Indexes start at 0: the shards of ${shard.count} are 0/${shard.count} … ${shard.count - 1}/${shard.count}.`,
    );
  }
  return shard;
}

/**
 * The shard of this process: --shard wins; otherwise Kubernetes' JOB_COMPLETION_INDEX (or
 * PERFSPEC_SHARD_INDEX) with the count from PERFSPEC_SHARDS or the spec's `load.shards`.
 * Undefined when nothing asks for sharding.
 */
export function resolveShard(flag: string | undefined, env: Record<string, string | undefined>, specCount: number | undefined): ShardId | undefined {
  if (flag !== undefined) return parseShard(flag);
  const indexText = env.JOB_COMPLETION_INDEX ?? env.PERFSPEC_SHARD_INDEX;
  if (indexText === undefined || indexText === '') return undefined;
  const name = env.JOB_COMPLETION_INDEX !== undefined ? 'JOB_COMPLETION_INDEX' : 'PERFSPEC_SHARD_INDEX';
  const countText = env.PERFSPEC_SHARDS;
  const count = countText !== undefined && countText !== '' ? Number(countText) : specCount;
  if (count === undefined) {
    throw usage(
      `${name}=${indexText} is set but the number of shards is not known`,
      "Set PERFSPEC_SHARDS to the Job's completions, or give load.shards in the spec.",
    );
  }
  if (!/^\d+$/.test(indexText.trim())) throw usage(`${name}="${indexText}" is not a shard index`, 'It must be a whole number from 0.');
  if (countText !== undefined && countText !== '' && !/^\d+$/.test(countText.trim()))
    throw usage(`PERFSPEC_SHARDS="${countText}" is not a number of shards`, "Set it to the Job's completions, e.g. 4.");
  return checkShard({ index: Number(indexText), count }, name);
}

/** --start-at: an ISO 8601 time with a zone ("2026-12-01T16:00:00Z") or epoch milliseconds. */
export function parseStartAt(text: string): number {
  const trimmed = text.trim();
  const ms = /^\d{12,}$/.test(trimmed) ? Number(trimmed) : /\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (!Number.isFinite(ms)) {
    throw usage(`--start-at "${text}" is not a time`, 'Give an ISO time with its zone (2026-12-01T16:00:00Z) or epoch milliseconds (date +%s%3N).');
  }
  return ms;
}

function usage(message: string, hint: string): PerfspecError {
  return new PerfspecError('PS_USAGE', message, { hint });
}
