/**
 * Planning: a scenario as written → what will run (executor, stages, caps), with no I/O. Running
 * is the executors' business; keeping the two apart lets a plan be shown, tested and split across
 * worker threads before a single request is sent. The executor plans its own part (its keys, its
 * shape, its checks); this module picks the executor and adds what every executor shares.
 */
import { bodySizeBytes } from '../../units/quantity.js';
import { PerfspecError } from '../../errors.js';
import type { Executor } from '../executors/context.js';
import { executorNamed, executorOwnedKeys, impliedExecutor } from '../executors/executor-table.js';
import type { ExecutorName, LoadScenarioConfig } from '../types.js';
import { PRESETS, PRESET_NAMES } from './presets.js';
import type { ScenarioPlan } from './scenario-plan.js';
import { duration, isFlat, stageShape } from './stage-plan.js';

export type { ScenarioPlan };
export { START_SPREAD_MAX_MS, START_SPREAD_SHARE } from './stage-plan.js';

/** The longest a run may go on after its last stage, so Ctrl-C and normal ends stay prompt. */
const MAX_GRACEFUL_STOP_MS = 30_000;

export function planScenario(config: LoadScenarioConfig): ScenarioPlan {
  const where = `load scenario "${config.name}"`;
  if (config.profile !== undefined && !(config.profile in PRESETS)) {
    throw invalid(`${where}: unknown profile "${config.profile}"`, `Use one of: ${PRESET_NAMES.join(', ')}, or give explicit stages.`);
  }
  if (config.users !== undefined && config.rate !== undefined) {
    throw invalid(
      `${where}: give either users (closed model) or rate (open model), not both`,
      'users: 100 keeps 100 users busy; rate: 100 starts 100 iterations per second.',
    );
  }
  const executor = chooseExecutor(config, where);
  const own = executor.plan(config, where);
  const model = executor.model;
  const plannedDuration = own.durationMs;
  if (!(plannedDuration > 0)) throw invalid(`${where}: the planned duration is zero`, 'Give a duration such as 30s.');
  const peak = own.peak;
  if (!(peak > 0)) throw invalid(`${where}: no users or arrivals are ever planned (peak is 0)`, 'Give users or rate above zero.');

  const gracefulStopMs = Math.min(duration(config.gracefulStop, `${where}: gracefulStop`) ?? 2000, MAX_GRACEFUL_STOP_MS);
  const maxUsers = own.maxUsers;
  const workers = Math.max(1, Math.floor(config.workers ?? 1));
  const stepCount = config.profile ? PRESETS[config.profile].stepCount : undefined;
  const stepMs =
    config.profile === 'breakpoint' || config.profile === 'scalability'
      ? (duration(config.stepDuration, `${where}: stepDuration`) ?? (stepCount ? plannedDuration / stepCount : undefined))
      : undefined;
  if (stepMs !== undefined && stepMs < 1000) {
    throw invalid(`${where}: breakpoint steps of ${stepMs}ms are shorter than the 1 s the SLA is judged over`, 'Give a longer duration or stepDuration: 10s.');
  }

  const givenSpread = duration(config.startSpread, `${where}: startSpread`);
  if (givenSpread !== undefined && givenSpread > plannedDuration) {
    throw invalid(
      `${where}: startSpread ${config.startSpread} is longer than the run (${plannedDuration / 1000}s)`,
      'Give a start window shorter than the duration, e.g. startSpread: 2s.',
    );
  }
  const startSpreadMs = model === 'closed' ? (givenSpread ?? own.defaultStartSpreadMs ?? 0) : 0;

  return {
    name: config.name,
    // The schema's executor enum is composed from the same registry (test/unit/load-executors.test.ts).
    executor: executor.name as ExecutorName,
    model,
    profile: config.profile,
    shape: own.shape,
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
    ...(own.iterations !== undefined ? { iterations: own.iterations } : {}),
    ...(own.settings !== undefined ? { settings: own.settings } : {}),
  };
}

/**
 * The executor named, or the one the scenario implies: its model from rate (open) or users
 * (closed), else the preset's; a flat shape gets the constant executor, a moving one the ramping.
 * Keys that belong to executors (their configKeys) are refused under any other executor.
 */
function chooseExecutor(config: LoadScenarioConfig, where: string): Executor {
  const given = config as unknown as Record<string, unknown>;
  const owned = [...executorOwnedKeys()].filter(([key]) => given[key] !== undefined);
  if (config.executor === undefined) {
    const [key, owners] = owned[0] ?? [];
    if (key !== undefined && owners) {
      throw invalid(
        `${where}: ${key} is a setting of executor ${owners.join(' or ')}, and this scenario names no executor`,
        `Add executor: ${owners[0]}, or drop ${key}.`,
      );
    }
    const preset = config.profile ? PRESETS[config.profile] : undefined;
    const model = config.rate !== undefined ? 'open' : config.users !== undefined ? 'closed' : (preset?.model ?? 'closed');
    return impliedExecutor(model, isFlat(stageShape(config, model, where)));
  }
  const executor = executorNamed(config.executor, where);
  const foreign = owned.find(([, owners]) => !owners.includes(executor.name));
  if (foreign) {
    const [key, owners] = foreign;
    throw invalid(`${where}: ${key} is a setting of executor ${owners.join(' or ')}, not of ${executor.name}`, `Drop ${key}, or use executor: ${owners[0]}.`);
  }
  return executor;
}

function invalid(message: string, hint: string): PerfspecError {
  return new PerfspecError('PS_SPEC_INVALID', message, { hint });
}
