/**
 * The load probe's side of a sharded run (`--shard i/N`): which part of each scenario this process
 * runs and when, and what it must hand on to `perfspec merge`. A shard's own verdicts are kept for
 * the people reading its report but marked partial: only the merge judges the whole.
 */
import type { PreparedScenario } from '../../load/run/run-load.js';
import type { ScenarioPlan } from '../../load/plan/plan-scenario.js';
import type { LoadRuntime } from '../../load/types.js';
import type { ScenarioShardMeta, ShardLoadData } from '../../load/shard/shard-data.js';
import type { ShardRun } from '../types.js';

/** Extra time between one scenario's planned end and the next one's start, so drains never overlap. */
const SCENARIO_GAP_MS = 1000;

/**
 * Start time of each scenario, the same on every shard: the first at --start-at, each next one
 * after the previous one's planned duration, graceful stop and a gap. Without --start-at each
 * scenario starts when this shard is ready.
 */
export function scenarioStartTimes(plans: ScenarioPlan[], startAtEpochMs: number | undefined): Array<number | undefined> {
  if (startAtEpochMs === undefined) return plans.map(() => undefined);
  let at = startAtEpochMs;
  return plans.map((plan) => {
    const mine = at;
    at += plan.durationMs + plan.gracefulStopMs + SCENARIO_GAP_MS;
    return mine;
  });
}

/** A scenario as one shard runs it: abortOnFail is off, since a shard sees only part of the data. */
export function prepareForShard(scenario: PreparedScenario): PreparedScenario {
  return { ...scenario, thresholds: scenario.thresholds.map((t) => ({ ...t, abortOnFail: false })) };
}

export function shardRuntime(shard: ShardRun, startAtEpochMs: number | undefined): Pick<LoadRuntime, 'shard' | 'startAtEpochMs' | 'keepEncoded'> {
  return { shard: { index: shard.index, count: shard.count }, startAtEpochMs, keepEncoded: true };
}

/** The note that marks a shard's result as partial. */
export function shardNote(shard: ShardRun): string {
  return `Shard ${shard.index}/${shard.count}: these figures and verdicts cover this shard's share only; \`perfspec merge\` judges the whole run.`;
}

/** The shard's data with what the merge needs beside the encoded histograms (a copy: the measurement stays as measured). */
export function withShardMeta(data: ShardLoadData, meta: ScenarioShardMeta): ShardLoadData {
  return { ...data, scenario: meta };
}
