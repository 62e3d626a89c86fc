/**
 * Running one load scenario: plan it, compile its flows, start its generators, merge their
 * per-second reports, watch thresholds that may abort and breakpoint steps, and build the report.
 *
 * Workers default to 1. perfspec's demo and CI run the target on the same 2-core machine: a
 * second generator thread would take the core the target needs, and the measured throughput
 * would fall, not rise. Set `workers` when the target runs elsewhere or the generator is
 * reported as saturated; shares of users and arrivals are split exactly (k6's segments) and the
 * histograms merge exactly, so the figures do not depend on the number of workers.
 */
import { hostProcess } from '../../host-process.js';
import { availableParallelism } from 'node:os';
import { PerfspecError } from '../../errors.js';
import { compileScenario } from '../flows/compile-flows.js';
import { describeTotals, LoadAggregate, type SecondBucket } from '../metrics/aggregate.js';
import { summariseHistogram } from '../../metrics/histogram.js';
import type { TickReport } from '../metrics/tick.js';
import { judgeGeneratorHealth } from '../monitor/generator-health.js';
import { planScenario, type ScenarioPlan } from '../plan/plan-scenario.js';
import { describeScope, findAbortingThreshold } from '../thresholds/judge-thresholds.js';
import { findUnknownScopes, parseThresholds, type ParsedThreshold } from '../thresholds/parse-thresholds.js';
import { lookupAt, measuredWindowMs, scopeRows, type TotalsWhere } from '../thresholds/scope-stats.js';
import type { LoadReport, LoadRuntime, LoadScenarioConfig } from '../types.js';
import { formatValue } from '../../units/budget.js';
import { BreakpointTracker } from './breakpoint.js';
import { ResourceErrorWatch } from './resource-errors.js';
import { startInThread, startInWorker, type GeneratorHandle } from './generator-handles.js';
import { generatorSegment } from '../shard/segments.js';
import { executorNamed } from '../executors/executor-table.js';
import { encodeSecond, encodeShardLoad, type EncodedSecond } from '../shard/shard-data.js';

/** Delay between "all ready" and t = 0, so every worker receives the start before it is due. */
const START_DELAY_MS = 50;

export interface PreparedScenario {
  config: LoadScenarioConfig;
  plan: ScenarioPlan;
  thresholds: ParsedThreshold[];
  compiled: ReturnType<typeof compileScenario>;
}

/** Everything that can be checked before sending a request; throws PerfspecError listing all problems. */
export function prepareScenario(config: LoadScenarioConfig, runtime: Pick<LoadRuntime, 'baseUrl' | 'vars' | 'baseDir'>): PreparedScenario {
  const plan = planScenario(config);
  const thresholds = parseThresholds(config.thresholds, `load scenario "${config.name}": thresholds`);
  const compiled = compileScenario(config, { baseUrl: runtime.baseUrl, vars: runtime.vars ?? {}, baseDir: runtime.baseDir ?? '.', timeoutMs: plan.timeoutMs });
  const unknown = findUnknownScopes(thresholds, new Set(compiled.entries.map((e) => e.name)), new Set(compiled.flows.map((f) => f.name)));
  if (unknown.length > 0) throw new PerfspecError('PS_SPEC_INVALID', `load scenario "${config.name}": ${unknown[0]}`, { details: unknown.slice(1) });
  return { config, plan, thresholds, compiled };
}

export async function runLoad(config: LoadScenarioConfig, runtime: LoadRuntime): Promise<LoadReport> {
  const prepared = prepareScenario(config, runtime);
  return runPrepared(prepared, runtime);
}

export async function runPrepared(prepared: PreparedScenario, runtime: LoadRuntime): Promise<LoadReport> {
  const { config, plan, thresholds, compiled } = prepared;
  const aggregate = new LoadAggregate(compiled.entries, plan.workers);
  const breakpoint = plan.stepMs !== undefined ? new BreakpointTracker(plan, thresholds) : undefined;
  const failures: Error[] = [];
  let stoppedEarly: LoadReport['stoppedEarly'];
  let handles: GeneratorHandle[] = [];
  let cumulativeRequests = 0;
  let cumulativeErrors = 0;

  const stopAll = (by: NonNullable<LoadReport['stoppedEarly']>['by'], reason: string, atMs: number) => {
    if (stoppedEarly) return;
    stoppedEarly = { by, reason, atMs };
    for (const handle of handles) handle.stop();
  };

  // abortOnFail judges the figures the final verdict will judge, over the window known so far.
  const totalsWhere: TotalsWhere = (match) => aggregate.totalsWhere(match);
  const lookup = (elapsedMs: number) => lookupAt(totalsWhere, elapsedMs, plan.durationMs, stoppedEarly?.atMs);
  const aborting = thresholds.filter((t) => t.abortOnFail);
  const resources = new ResourceErrorWatch();

  const encodedSeconds: EncodedSecond[] = [];
  const onSecond = (bucket: SecondBucket) => {
    const elapsedMs = bucket.seq * 1000;
    if (runtime.keepEncoded) encodedSeconds.push(encodeSecond(bucket));
    cumulativeRequests += bucket.totals.requests;
    cumulativeErrors += bucket.totals.errors;
    runtime.onProgress?.({
      scenario: plan.name,
      elapsedMs: Math.min(elapsedMs, plan.durationMs),
      totalMs: plan.durationMs,
      users: bucket.users,
      requestsPerSecond: bucket.totals.requests,
      p95Ms: aggregate.timeline[aggregate.timeline.length - 1]?.p95 ?? null,
      errors: cumulativeErrors,
      requests: cumulativeRequests,
      point: aggregate.timeline[aggregate.timeline.length - 1],
    });
    const exhausted = resources.add(bucket.totals.errorKinds);
    if (exhausted) stopAll('resources', exhausted, elapsedMs);
    if (breakpoint?.addSecond(bucket)) {
      const rate = breakpoint.result.brokeAtRate ?? 0;
      stopAll('breakpoint', `the SLA broke at ${formatValue(rate, 'rate')}`, elapsedMs);
    }
    if (aborting.length > 0) {
      const failing = findAbortingThreshold(aborting, lookup(elapsedMs), elapsedMs);
      if (failing) {
        const { threshold, actual } = failing;
        const shown =
          actual === null
            ? 'n/a'
            : actual === Number.POSITIVE_INFINITY
              ? 'beyond every measured latency (requests were dropped)'
              : formatValue(actual, threshold.budget.unit);
        stopAll('threshold', `abortOnFail: ${threshold.metric} of ${describeScope(threshold.scope)} was ${shown}, budget ${threshold.budget.text}`, elapsedMs);
      }
    }
  };
  const onTick = (report: TickReport) => {
    for (const bucket of aggregate.add(report)) onSecond(bucket);
  };

  const shared = {
    config,
    plan,
    compiled,
    count: plan.workers,
    baseUrl: runtime.baseUrl,
    vars: runtime.vars ?? {},
    runId: runtime.runId ?? 'run',
    runStartedAt: runtime.runStartedAt ?? new Date().toISOString(),
    baseDir: runtime.baseDir ?? '.',
    onTick,
    onError: (error: Error) => {
      failures.push(error);
      stopAll('signal', `a generator failed: ${error.message}`, 0);
    },
  };
  // A shard's generators take their segments of the whole plan (worker · shards + shard).
  const segments = Array.from({ length: plan.workers }, (_, worker) => generatorSegment(runtime.shard, worker, plan.workers));
  handles = segments.map((segment) => (plan.workers === 1 ? startInThread : startInWorker)({ ...shared, ...segment }));
  // Executors with a fixed number of iterations: this run's share of them (a shard's, when sharded).
  const plannedIterations = executorNamed(plan.executor).plannedIterations;
  const planned = plannedIterations ? segments.reduce((sum, segment) => sum + plannedIterations(plan, segment), 0) : undefined;

  const onAbort = () => stopAll('signal', 'interrupted', Date.now() - startedAt);
  let startedAt = Date.now();
  try {
    await Promise.all(handles.map((h) => h.ready));
  } catch (error) {
    for (const handle of handles) handle.stop();
    await Promise.all(handles.map((h) => h.done));
    throw error instanceof PerfspecError
      ? error
      : new PerfspecError('PS_PROBE_FAILED', `load generators could not start: ${(error as Error).message}`, { cause: error });
  }
  runtime.signal?.addEventListener('abort', onAbort, { once: true });
  const cpuBefore = hostProcess().cpuUsage();
  const readyAt = Date.now();
  startedAt = Math.max(runtime.startAtEpochMs ?? 0, readyAt + (plan.workers > 1 ? START_DELAY_MS : 0));
  for (const handle of handles) handle.start(startedAt);
  if (runtime.signal?.aborted) onAbort();
  await Promise.all(handles.map((h) => h.done));
  runtime.signal?.removeEventListener('abort', onAbort);
  const elapsedMs = Math.max(1, Date.now() - startedAt);
  const cpu = hostProcess().cpuUsage(cpuBefore);
  for (const bucket of aggregate.flush()) onSecond(bucket);
  if (failures.length > 0 && aggregate.iterations.started === 0) {
    throw new PerfspecError('PS_PROBE_FAILED', `load scenario "${plan.name}" failed: ${failures[0].message}`, { cause: failures[0] });
  }

  const measuredMs = measuredWindowMs(elapsedMs, plan.durationMs, stoppedEarly?.atMs);
  const rows = scopeRows(
    totalsWhere,
    measuredMs,
    [...new Set(compiled.entries.map((e) => e.name))],
    compiled.flows.map((flow) => flow.name),
  );
  const regions =
    compiled.regions.length > 1
      ? compiled.regions.map((region) =>
          describeTotals(
            aggregate.totalsWhere((e) => e.region === region.name),
            measuredMs,
            { name: '', region: region.name },
          ),
        )
      : [];
  const health = aggregate.healthFigures();
  const protocolErrors = aggregate.protocolFaults();

  const report: LoadReport = {
    scenario: plan.name,
    executor: plan.executor,
    profile: plan.profile,
    workers: plan.workers,
    plannedMs: plan.durationMs,
    elapsedMs,
    aborted: stoppedEarly?.by === 'signal',
    stoppedEarly,
    overall: rows.overall,
    ...(Object.keys(protocolErrors).length > 0 ? { protocolErrors } : {}),
    ...(aggregate.bodiesOverCap() > 0 ? { bodiesOverMaxBodySize: aggregate.bodiesOverCap() } : {}),
    uncorrected: summariseHistogram(aggregate.uncorrected),
    requests: rows.requests,
    flows: rows.flows,
    regions,
    iterations: { ...aggregate.iterations, ...(planned !== undefined ? { planned } : {}) },
    peakUsers: aggregate.peakUsers,
    ...(plan.model === 'closed'
      ? { start: { spreadMs: plan.startSpreadMs, defaulted: plan.startSpreadDefaulted, randomFirstThink: plan.randomFirstThink } }
      : {}),
    timeline: aggregate.timeline,
    health: judgeGeneratorHealth({
      elu: health.elu,
      delayP99Ms: health.delayP99Ms,
      cpuCores: (cpu.user + cpu.system) / 1000 / elapsedMs,
      availableCores: availableParallelism(),
      iterationsStarted: aggregate.iterations.started,
      lateIterations: aggregate.iterations.late,
    }),
    breakpoint: breakpoint?.finish(),
  };
  if (runtime.keepEncoded)
    report.shardData = encodeShardLoad(aggregate, compiled.entries, encodedSeconds, {
      ...report,
      measuredMs,
      startedAtEpochMs: startedAt,
      readyAtEpochMs: readyAt,
    });
  return report;
}
