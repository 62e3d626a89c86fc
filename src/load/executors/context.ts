/**
 * What an executor may do while running: read the clock, start virtual users, run one iteration
 * of a flow, sleep (cancellable), count dropped or late iterations. The generator provides it;
 * executors decide only *when* iterations start — closed model: a number of users each looping;
 * open model: arrivals on a schedule.
 */
import type { ScenarioPlan } from '../plan/scenario-plan.js';
import type { StageShape } from '../plan/stages.js';
import type { LoadScenarioConfig } from '../types.js';
import type { VirtualUser } from '../run/virtual-user.js';

export interface Segment {
  index: number;
  count: number;
}

export interface ExecutionContext {
  readonly plan: ScenarioPlan;
  readonly segment: Segment;
  /** performance.now() of the scenario's t = 0. */
  readonly t0: number;
  /** Milliseconds since t0. */
  elapsed(): number;
  /** True once no new iterations may start (the plan ended, or the run is being stopped). */
  readonly stopping: boolean;
  /** Resolves after ms, or at once when the run is stopped hard. */
  sleep(ms: number): Promise<void>;
  /** A new virtual user with a run-unique id. */
  createUser(id: number): VirtualUser;
  /** One iteration of a weighted-chosen flow; `intendedAt` is a performance.now() time. Never rejects. */
  runIteration(user: VirtualUser, intendedAt: number): Promise<void>;
  /** The same with a callback, called once when the iteration has ended (the open model: no promise per arrival). */
  startIteration(user: VirtualUser, intendedAt: number, done: (user: VirtualUser) => void): void;
  setBusyUsers(count: number): void;
  countDropped(): void;
  countLate(): void;
  /** How far behind schedule a batch of arrivals was released (ms): the second's worst is reported. */
  recordLag(ms: number): void;
  /**
   * Before t = 0: open up to `perOrigin` connections to every origin the flows send to and wait
   * until they are connected (bounded in time, never rejects). Opens sockets only, sends nothing.
   */
  preconnect(perOrigin: number): Promise<void>;
  /** Stop starting iterations (the executor's schedule is over). */
  endScheduling(): void;
  /** Wait for running iterations, at most the plan's graceful stop (less when stopped hard). */
  drain(running: Iterable<Promise<void>>): Promise<void>;
}

/**
 * What an executor decides of a plan from the scenario as written. The common planner
 * (plan/plan-scenario.ts) adds what every executor shares: workers, connections, timeouts,
 * graceful stop, start window.
 */
export interface ExecutorPlan {
  /** Users (closed model) or arrivals per second (open model) over time: the plan's shape and its charts. */
  shape: StageShape;
  /** The planned duration; for executors that end when their iterations are done, the most it may last. */
  durationMs: number;
  /** Peak users (closed) or peak arrivals per second (open). */
  peak: number;
  /** The most virtual users busy at once (open model: beyond it arrivals are dropped). */
  maxUsers: number;
  /** Closed model: the start window used when the scenario gives no startSpread (ms; default 0). */
  defaultStartSpreadMs?: number;
  /** Executors that run a fixed number of iterations: how many the whole plan runs. */
  iterations?: number;
  /** The executor's own settings, kept on the plan for its run() (plain data). */
  settings?: Readonly<Record<string, unknown>>;
}

/**
 * One executor (k6's lib/executor/*.go): its own spec keys, planning, description and schedule.
 * Registered in registry.ts; the engine, the planner, the reports and the schema build ask the
 * executor object and never switch on its name.
 */
export interface Executor {
  /** The `executor:` value. */
  name: string;
  model: 'closed' | 'open';
  /**
   * The scenario keys only this executor (and others that declare them too) reads. Their JSON
   * Schema is the executor's fragment beside it, `<name>.schema.json`, which the build composes
   * into the load scenario of schemas/perfspec.schema.json (a unit test holds the two equal); the
   * planner refuses these keys under any executor that does not declare them.
   */
  configKeys?: readonly string[];
  /** Chosen when a scenario names no executor and its model and shape match: a flat shape or a moving one. */
  impliedFor?: 'flat' | 'moving';
  /** The scenario as written → this executor's part of the plan; throws PerfspecError (PS_SPEC_INVALID) for people. */
  plan(config: LoadScenarioConfig, where: string): ExecutorPlan;
  /** What the plan runs, for the report's request line and progress: "100 users for 10m". */
  describe(plan: ScenarioPlan): string;
  /** Executors with a fixed number of iterations: how many one generator segment runs (the segments add up to the plan's). */
  plannedIterations?(plan: ScenarioPlan, segment: Segment): number;
  /** Optional work before t = 0 (the generator is not ready until it resolves), e.g. pre-opening connections. */
  prepare?(context: ExecutionContext): Promise<void>;
  run(context: ExecutionContext): Promise<void>;
}
