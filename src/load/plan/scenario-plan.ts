/**
 * A load scenario after planning: what the executors run. Its own module so executors can name
 * it without importing the planner (which imports the executor registry).
 */
import type { ExecutorName, PresetName } from '../types.js';
import type { StageShape } from './stages.js';

export interface ScenarioPlan {
  name: string;
  executor: ExecutorName;
  model: 'closed' | 'open';
  profile?: PresetName;
  shape: StageShape;
  durationMs: number;
  /** Peak users (closed) or peak arrivals per second (open). */
  peak: number;
  /** Open model: most iterations in flight at once; beyond it arrivals are dropped and counted. */
  maxUsers: number;
  gracefulStopMs: number;
  /** Set for step-wise profiles judged per step (breakpoint). */
  stepMs?: number;
  workers: number;
  connections: number;
  timeoutMs: number;
  /** The most bytes of a response body kept (maxBodySize); longer bodies are read and counted. */
  maxBodySize: number;
  /** Closed model: the users present at t = 0 start evenly over this window (0: all at once). */
  startSpreadMs: number;
  /** startSpread was not given: the default (START_SPREAD_SHARE of the first stage) applies. */
  startSpreadDefaulted: boolean;
  randomFirstThink: boolean;
  /** Executors with a fixed number of iterations: how many the whole plan runs (its duration is then the most it may last). */
  iterations?: number;
  /** The executor's own settings (see Executor.plan); plain data, read only by that executor. */
  settings?: Readonly<Record<string, unknown>>;
}
