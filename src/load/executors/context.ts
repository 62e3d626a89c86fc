/**
 * What an executor may do while running: read the clock, start virtual users, run one iteration
 * of a flow, sleep (cancellable), count dropped or late iterations. The generator provides it;
 * executors decide only *when* iterations start — closed model: a number of users each looping;
 * open model: arrivals on a schedule.
 */
import type { ScenarioPlan } from '../plan/scenario-plan.js';
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

export interface Executor {
  name: string;
  model: 'closed' | 'open';
  /** Reject plans this executor cannot run (with a message for people). */
  validate(plan: ScenarioPlan): void;
  /** Optional work before t = 0 (the generator is not ready until it resolves), e.g. pre-opening connections. */
  prepare?(context: ExecutionContext): Promise<void>;
  run(context: ExecutionContext): Promise<void>;
}
