/**
 * The coordinator talks to every generator through one small handle, whether the generator runs
 * in this thread or in a worker thread; nothing else in the coordinator knows which.
 */
import { Worker } from 'node:worker_threads';
import { PerfspecError } from '../../errors.js';
import type { CompiledScenario } from '../flows/compile-flows.js';
import type { TickReport } from '../metrics/tick.js';
import type { ScenarioPlan } from '../plan/plan-scenario.js';
import type { LoadScenarioConfig } from '../types.js';
import { LoadGenerator } from './generator.js';
import { resolveWorkerEntry, type WorkerCommand, type WorkerData, type WorkerReply } from './worker-protocol.js';

export interface GeneratorHandle {
  /** Resolves when the generator can start at once. */
  ready: Promise<void>;
  /** Start at a wall-clock time (Date.now() based), so all generators share t = 0. */
  start(epochMs: number): void;
  stop(): void;
  /** Resolves after the final tick was delivered (never rejects: failures arrive through onError). */
  done: Promise<void>;
}

export interface HandleOptions {
  config: LoadScenarioConfig;
  plan: ScenarioPlan;
  compiled: CompiledScenario;
  index: number;
  count: number;
  baseUrl: string;
  vars: Record<string, string>;
  runId: string;
  runStartedAt: string;
  baseDir: string;
  onTick(report: TickReport): void;
  onError(error: Error): void;
}

export function startInThread(options: HandleOptions): GeneratorHandle {
  const generator = new LoadGenerator({
    plan: options.plan,
    compiled: options.compiled,
    segment: { index: options.index, count: options.count },
    vars: options.vars,
    runId: options.runId,
    runStartedAt: options.runStartedAt,
    onTick: options.onTick,
  });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  return {
    ready: generator.prepare(),
    start(epochMs) {
      generator
        .run(performance.now() + (epochMs - Date.now()))
        .catch(options.onError)
        .finally(resolveDone);
    },
    stop: () => generator.stop(),
    done,
  };
}

/** How long a stopped worker may take to deliver its last report before it is terminated. */
const WORKER_STOP_GRACE_MS = 1500;

export function startInWorker(options: HandleOptions): GeneratorHandle {
  const entry = resolveWorkerEntry(import.meta.url);
  const data: WorkerData = {
    config: options.config,
    segment: { index: options.index, count: options.count },
    baseUrl: options.baseUrl,
    vars: options.vars,
    runId: options.runId,
    runStartedAt: options.runStartedAt,
    baseDir: options.baseDir,
  };
  const worker = new Worker(entry.entry, { workerData: data, eval: entry.eval });
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A failure before start is reported through `ready`; keep it from being an unhandled rejection.
  ready.catch(() => undefined);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    resolveDone();
  };
  worker.on('message', (reply: WorkerReply) => {
    if (reply.type === 'ready') resolveReady();
    else if (reply.type === 'tick') options.onTick(reply.report);
    else if (reply.type === 'done') finish();
    else if (reply.type === 'error') {
      const error = new PerfspecError('PS_PROBE_FAILED', `load worker ${options.index}: ${reply.message}`);
      rejectReady(error);
      options.onError(error);
      finish();
    }
  });
  worker.on('error', (error) => {
    rejectReady(error);
    options.onError(error);
    finish();
  });
  worker.on('exit', () => {
    rejectReady(new PerfspecError('PS_PROBE_FAILED', `load worker ${options.index} exited before it was ready`));
    finish();
  });
  const send = (command: WorkerCommand) => {
    if (!finished) worker.postMessage(command);
  };
  return {
    ready,
    start: (epochMs) => send({ type: 'start', epochMs }),
    stop() {
      send({ type: 'stop' });
      setTimeout(() => {
        if (!finished) void worker.terminate().then(finish);
      }, WORKER_STOP_GRACE_MS).unref();
    },
    done,
  };
}
