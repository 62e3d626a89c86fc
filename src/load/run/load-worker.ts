/**
 * Worker-thread entry: runs one segment of a scenario and streams its tick reports to the
 * coordinator. The scenario arrives as plain data and is planned and compiled here again
 * (deterministically), because compiled flows hold functions that cannot cross threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileScenario } from '../flows/compile-flows.js';
import { planScenario } from '../plan/plan-scenario.js';
import { LoadGenerator } from './generator.js';
import type { WorkerData, WorkerReply, WorkerCommand } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('load-worker must run in a worker thread');
const data = workerData as WorkerData;

try {
  const plan = planScenario(data.config);
  const compiled = compileScenario(data.config, { baseUrl: data.baseUrl, vars: data.vars, baseDir: data.baseDir, timeoutMs: plan.timeoutMs });
  const generator = new LoadGenerator({
    plan,
    compiled,
    segment: data.segment,
    vars: data.vars,
    runId: data.runId,
    runStartedAt: data.runStartedAt,
    onTick: (report) => port.postMessage({ type: 'tick', report } satisfies WorkerReply),
  });
  port.on('message', (command: WorkerCommand) => {
    if (command.type === 'start') {
      // Clocks differ per thread; the start time travels as wall-clock time and is converted here.
      const startAt = performance.now() + (command.epochMs - Date.now());
      generator
        .run(startAt)
        .then(
          () => port.postMessage({ type: 'done' } satisfies WorkerReply),
          (error: unknown) => port.postMessage({ type: 'error', message: String((error as Error)?.stack ?? error) } satisfies WorkerReply),
        )
        .finally(() => port.close());
    } else if (command.type === 'stop') generator.stop();
  });
  // Ready only once prepared (connections pre-opened), so t = 0 is not spent on set-up.
  // (prepare never rejects; were it to, the worker still reports ready rather than hang the start).
  const ready = () => port.postMessage({ type: 'ready' } satisfies WorkerReply);
  void generator.prepare().then(ready, ready);
} catch (error) {
  port.postMessage({ type: 'error', message: String((error as Error)?.message ?? error) } satisfies WorkerReply);
  port.close();
}
