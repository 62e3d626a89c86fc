/**
 * Planning: a scenario as written → what will run (executor, stages, caps), with no I/O. Running
 * is the executors' business; keeping the two apart lets a plan be shown, tested and split across
 * worker threads before a single request is sent.
 */
import { bodySizeBytes } from '../../units/quantity.js';
import { PerfspecError } from '../../errors.js';
import { toMilliseconds } from '../../units/duration.js';
import type { ExecutorName, LoadScenarioConfig } from '../types.js';
import { EXECUTORS, modelOf } from '../executors/registry.js';
import { PRESETS, PRESET_NAMES } from './presets.js';
import type { ScenarioPlan } from './scenario-plan.js';
import { peakTarget, sumDurations, type StageShape } from './stages.js';

export type { ScenarioPlan };

/**
 * Default start window of the closed model: a tenth of the first stage, at most 10 s. Users that
 * all send their first request at the same instant queue behind one another (measured: p99 of
 * 1.2–2.6 s at 10,000 users); a short window removes that burst while leaving the run's shape.
 */
export const START_SPREAD_SHARE = 0.1;
export const START_SPREAD_MAX_MS = 10_000;

/** The longest a run may go on after its last stage, so Ctrl-C and normal ends stay prompt. */
const MAX_GRACEFUL_STOP_MS = 30_000;

export function planScenario(config: LoadScenarioConfig): ScenarioPlan {
  const where = `load scenario "${config.name}"`;
  if (config.profile !== undefined && !(config.profile in PRESETS)) {
    throw invalid(`${where}: unknown profile "${config.profile}"`, `Use one of: ${PRESET_NAMES.join(', ')}, or give explicit stages.`);
  }
  if (config.users !== undefined && config.rate !== undefined) {
    throw invalid(`${where}: give either users (closed model) or rate (open model), not both`, 'users: 100 keeps 100 users busy; rate: 100 starts 100 iterations per second.');
  }
  const preset = config.profile ? PRESETS[config.profile] : undefined;
  const durationMs = duration(config.duration, `${where}: duration`) ?? preset?.durationMs;

  const model: 'closed' | 'open' = config.executor
    ? modelOf(config.executor)
    : config.rate !== undefined
      ? 'open'
      : config.users !== undefined
        ? 'closed'
        : (preset?.model ?? 'closed');
  const given = model === 'open' ? config.rate : config.users;

  let shape: StageShape;
  if (config.stages && config.stages.length > 0) {
    shape = {
      start: 0,
      stages: config.stages.map((stage, i) => {
        const ms = duration(stage.duration, `${where}: stages[${i}].duration`);
        if (ms === undefined) throw invalid(`${where}: stages[${i}] needs a duration`, 'stages: [{ duration: 30s, target: 50 }]');
        if (!(stage.target >= 0)) throw invalid(`${where}: stages[${i}].target must be a number ≥ 0`, 'stages: [{ duration: 30s, target: 50 }]');
        return { durationMs: ms, target: stage.target };
      }),
    };
  } else if (preset) {
    // stepDuration sets the number of steps of a step-wise preset (10 by default).
    const stepDurationMs = duration(config.stepDuration, `${where}: stepDuration`);
    const total = durationMs ?? preset.durationMs;
    const steps = preset.stepCount && stepDurationMs ? Math.max(1, Math.round(total / stepDurationMs)) : preset.stepCount;
    shape = preset.shape(given ?? preset.peak, total, steps);
  } else {
    if (given === undefined || durationMs === undefined) {
      throw invalid(
        `${where}: needs a profile, explicit stages, or ${model === 'open' ? 'rate' : 'users'} with a duration`,
        'For example: { users: 50, duration: 30s } or { profile: load, users: 100, duration: 10m }.',
      );
    }
    shape = { start: given, stages: [{ durationMs, target: given }] };
  }

  const flat = shape.stages.every((stage) => stage.target === shape.start);
  const executor: ExecutorName =
    config.executor ?? (model === 'open' ? (flat ? 'constant-arrival-rate' : 'ramping-arrival-rate') : flat ? 'constant-users' : 'ramping-users');
  const plannedDuration = sumDurations(shape.stages);
  if (!(plannedDuration > 0)) throw invalid(`${where}: the planned duration is zero`, 'Give a duration such as 30s.');
  const peak = peakTarget(shape);
  if (!(peak > 0)) throw invalid(`${where}: no users or arrivals are ever planned (peak is 0)`, 'Give users or rate above zero.');

  const gracefulStopMs = Math.min(duration(config.gracefulStop, `${where}: gracefulStop`) ?? 2000, MAX_GRACEFUL_STOP_MS);
  // Open model: enough users to absorb a server stall of ~2 s at the peak rate before dropping.
  const maxUsers = model === 'open' ? Math.max(1, config.maxUsers ?? Math.min(10_000, Math.ceil(peak * 2) + 10)) : Math.ceil(peak);
  const workers = Math.max(1, Math.floor(config.workers ?? 1));
  const stepCount = preset?.stepCount;
  const stepMs = config.profile === 'breakpoint' || config.profile === 'scalability'
    ? (duration(config.stepDuration, `${where}: stepDuration`) ?? (stepCount ? plannedDuration / stepCount : undefined))
    : undefined;
  if (stepMs !== undefined && stepMs < 1000) {
    throw invalid(`${where}: breakpoint steps of ${stepMs}ms are shorter than the 1 s the SLA is judged over`, 'Give a longer duration or stepDuration: 10s.');
  }

  const givenSpread = duration(config.startSpread, `${where}: startSpread`);
  if (givenSpread !== undefined && givenSpread > plannedDuration) {
    throw invalid(`${where}: startSpread ${config.startSpread} is longer than the run (${plannedDuration / 1000}s)`, 'Give a start window shorter than the duration, e.g. startSpread: 2s.');
  }
  const firstStageMs = shape.stages[0]?.durationMs ?? plannedDuration;
  const startSpreadMs = model === 'closed' ? (givenSpread ?? Math.min(firstStageMs * START_SPREAD_SHARE, START_SPREAD_MAX_MS)) : 0;

  const plan: ScenarioPlan = {
    name: config.name,
    executor,
    model,
    profile: config.profile,
    shape,
    durationMs: plannedDuration,
    peak,
    maxUsers,
    gracefulStopMs,
    stepMs,
    workers,
    connections: Math.max(1, Math.floor(config.connections ?? Math.min(Math.ceil(maxUsers / workers), 256))),
    timeoutMs: duration(config.timeout, `${where}: timeout`) ?? 10_000,
    maxBodySize: bodySizeBytes(config.maxBodySize),
    startSpreadMs,
    startSpreadDefaulted: givenSpread === undefined,
    randomFirstThink: config.randomFirstThink === true,
  };
  EXECUTORS[executor].validate(plan);
  return plan;
}

function duration(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = toMilliseconds(value);
  if (ms === undefined || !(ms >= 0)) throw invalid(`${where}: "${value}" is not a duration`, 'Write durations like 500ms, 30s, 10m or 2h.');
  return ms;
}

function invalid(message: string, hint: string): PerfspecError {
  return new PerfspecError('PS_SPEC_INVALID', message, { hint });
}
