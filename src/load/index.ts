/** The load engine's public surface: plan, run, judge. Probes and the bench import only this. */
export { runLoad, runPrepared, prepareScenario, type PreparedScenario } from './run/run-load.js';
export { planScenario, type ScenarioPlan } from './plan/plan-scenario.js';
export { expandPreset, PRESETS, PRESET_NAMES } from './plan/presets.js';
export { parseThresholds, THRESHOLD_METRICS, type ParsedThreshold } from './thresholds/parse-thresholds.js';
export { judgeThresholds, measureMetric } from './thresholds/judge-thresholds.js';
export { statsForScope } from './thresholds/scope-stats.js';
export { EXECUTOR_LIST, EXECUTOR_NAMES, executorNamed } from './executors/executor-table.js';
// A library caller without src/cli installs the process once (pid, CPU time): installHostProcess(process).
export { installHostProcess } from '../host-process.js';
export type * from './types.js';
