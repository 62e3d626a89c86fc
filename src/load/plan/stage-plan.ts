/**
 * The plan of the executors driven by a shape over time (constant-/ramping-users, constant-/
 * ramping-arrival-rate): explicit stages, a preset's shape, or users/rate held for a duration.
 * Pure; each of those executors calls it with its model and adds its own checks.
 */
import { PerfspecError } from '../../errors.js';
import { toMilliseconds } from '../../units/duration.js';
import type { ExecutorPlan } from '../executors/context.js';
import type { LoadScenarioConfig } from '../types.js';
import { PRESETS } from './presets.js';
import { peakTarget, sumDurations, type StageShape } from './stages.js';

/**
 * Default start window of the closed model: a tenth of the first stage, at most 10 s. Users that
 * all send their first request at the same instant queue behind one another (measured: p99 of
 * 1.2–2.6 s at 10,000 users); a short window removes that burst while leaving the run's shape.
 */
export const START_SPREAD_SHARE = 0.1;
export const START_SPREAD_MAX_MS = 10_000;

/** The shape a scenario's stages, preset or users/rate with a duration describe, for one model. */
export function stageShape(config: LoadScenarioConfig, model: 'closed' | 'open', where: string): StageShape {
  const preset = config.profile ? PRESETS[config.profile] : undefined;
  const durationMs = duration(config.duration, `${where}: duration`) ?? preset?.durationMs;
  const given = model === 'open' ? config.rate : config.users;
  if (config.stages && config.stages.length > 0) {
    return {
      start: 0,
      stages: config.stages.map((stage, i) => {
        const ms = duration(stage.duration, `${where}: stages[${i}].duration`);
        if (ms === undefined) throw invalid(`${where}: stages[${i}] needs a duration`, 'stages: [{ duration: 30s, target: 50 }]');
        if (!(stage.target >= 0)) throw invalid(`${where}: stages[${i}].target must be a number ≥ 0`, 'stages: [{ duration: 30s, target: 50 }]');
        return { durationMs: ms, target: stage.target };
      }),
    };
  }
  if (preset) {
    // stepDuration sets the number of steps of a step-wise preset (10 by default).
    const stepDurationMs = duration(config.stepDuration, `${where}: stepDuration`);
    const total = durationMs ?? preset.durationMs;
    const steps = preset.stepCount && stepDurationMs ? Math.max(1, Math.round(total / stepDurationMs)) : preset.stepCount;
    return preset.shape(given ?? preset.peak, total, steps);
  }
  if (given === undefined || durationMs === undefined) {
    throw invalid(
      `${where}: needs a profile, explicit stages, or ${model === 'open' ? 'rate' : 'users'} with a duration`,
      'For example: { users: 50, duration: 30s } or { profile: load, users: 100, duration: 10m }.',
    );
  }
  return { start: given, stages: [{ durationMs, target: given }] };
}

/** True when the shape holds one level from start to end. */
export function isFlat(shape: StageShape): boolean {
  return shape.stages.every((stage) => stage.target === shape.start);
}

/** The plan of a shape-driven executor of the given model. */
export function planStages(config: LoadScenarioConfig, model: 'closed' | 'open', where: string): ExecutorPlan {
  const shape = stageShape(config, model, where);
  const peak = peakTarget(shape);
  const firstStageMs = shape.stages[0]?.durationMs ?? 0;
  return {
    shape,
    durationMs: sumDurations(shape.stages),
    peak,
    // Open model: enough users to absorb a server stall of ~2 s at the peak rate before dropping.
    maxUsers: model === 'open' ? Math.max(1, config.maxUsers ?? Math.min(10_000, Math.ceil(peak * 2) + 10)) : Math.ceil(peak),
    defaultStartSpreadMs: model === 'closed' ? Math.min(firstStageMs * START_SPREAD_SHARE, START_SPREAD_MAX_MS) : 0,
  };
}

/** A constant executor holds one level; a shape that moves needs the ramping one. */
export function requireFlat(plan: ExecutorPlan, where: string, message: string, hint: string): ExecutorPlan {
  if (!isFlat(plan.shape)) throw invalid(`${where}: ${message}`, hint);
  return plan;
}

export function duration(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = toMilliseconds(value);
  if (ms === undefined || !(ms >= 0)) throw invalid(`${where}: "${value}" is not a duration`, 'Write durations like 500ms, 30s, 10m or 2h.');
  return ms;
}

function invalid(message: string, hint: string): PerfspecError {
  return new PerfspecError('PS_SPEC_INVALID', message, { hint });
}
