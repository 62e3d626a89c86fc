/**
 * The load probe's measure: runs the selected scenarios of the `load:` section one after the other
 * with the load engine (src/load), and keeps per scenario what ran and what came out of it (see
 * measurement.ts). The probe's only I/O: judging and presenting happen after, from this alone.
 */
import { PerfspecError } from '../../errors.js';
import { prepareScenario, runPrepared } from '../../load/run/run-load.js';
import type { LoadProgress } from '../../load/types.js';
import { startContentionMonitor, summariseContention } from '../../metrics/host-contention.js';
import { isLocalHost } from '../../metrics/local-server.js';
import { keptByOnly } from '../../spec/only-filter.js';
import { formatDuration } from '../../units/duration.js';
import { executorNamed } from '../../load/executors/executor-table.js';
import type { ProbeContext, SpecProbeOptions } from '../types.js';
import { attributionOf, finishQueryAttribution, startQueryAttribution } from './attribute-queries.js';
import type { LoadMeasurement, ScenarioMeasurement } from './measurement.js';
import { runScalability } from './scalability.js';
import { resultName, selectScenarios, type LoadSection } from './section.js';
import { prepareForShard, scenarioStartTimes, shardRuntime } from './shard.js';

export async function measureLoad(section: LoadSection, ctx: ProbeContext, options: SpecProbeOptions): Promise<LoadMeasurement> {
  const selected = selectScenarios(section, options.select).filter(({ config }) => keptByOnly(resultName(config.name), options.only));
  // Headers of target.headers and defaults.headers, resolved with setup variables, under the load section's own.
  const defaultHeaders = ctx.buildRequest({ method: 'GET', url: '/', headers: {}, query: {} }).headers;
  const runtime = {
    baseUrl: ctx.baseUrl,
    vars: ctx.vars,
    runId: ctx.resolve('${run.id}'),
    runStartedAt: ctx.resolve('${run.startedAt}'),
    baseDir: ctx.specDir,
  };
  // Validate every selected scenario before any of them sends a request.
  // target.trace is the default of each scenario's own trace setting.
  // target.maxBodySize likewise.
  const prepared = selected.map(({ config }) =>
    prepareScenario(
      {
        ...config,
        trace: config.trace ?? ctx.trace,
        maxBodySize: config.maxBodySize ?? ctx.maxBodySize,
        headers: { ...defaultHeaders, ...(config.headers ?? {}) },
      },
      runtime,
    ),
  );

  const shard = options.shard;
  const startTimes = scenarioStartTimes(
    prepared.map((p) => p.plan),
    shard?.startAtEpochMs,
  );

  const scenarios: ScenarioMeasurement[] = [];
  for (const [i, scenario] of prepared.entries()) {
    if (ctx.signal.aborted) break;
    const name = resultName(scenario.plan.name);
    const request = describePlan(scenario.plan);
    const description = selected[i].description;
    const started = ctx.now();
    ctx.progress.info(`${name}: ${request}`);
    if (scenario.plan.profile === 'scalability') {
      const { points, reports } = await runScalability(
        scenario,
        ctx.replicas ?? [],
        { ...runtime, signal: ctx.signal, onProgress: (p) => ctx.progress.update(describeProgress(p)) },
        ctx.progress,
      );
      const minEfficiency = scenario.config.minEfficiency;
      scenarios.push({ kind: 'scalability', name, description, request, durationMs: ctx.now() - started, points, reports, minEfficiency });
      continue;
    }
    const attribution = startQueryAttribution(attributionOf(ctx), scenario, runtime.runId);
    const contention = startContentionMonitor((await ctx.services?.serverPids?.()) ?? [], {
      targetUnknown: isLocalHost(new URL(ctx.baseUrl).hostname) && !ctx.targetStarted,
    });
    const report = await runPrepared(shard ? prepareForShard(scenario) : scenario, {
      ...runtime,
      ...(shard ? shardRuntime(shard, startTimes[i]) : {}),
      signal: ctx.signal,
      onProgress: (p) => {
        ctx.progress.update(describeProgress(p));
        if (p.point) ctx.progress.metrics?.(name, { ...p.point });
      },
    });
    // A shard's share of a small plan may be empty; the merge judges whether anything was sent.
    if (!shard && report.overall.requests === 0 && report.overall.errors === 0 && !report.aborted) {
      throw new PerfspecError('PS_PROBE_FAILED', `${name}: no request was sent`, { hint: 'Check the flows and the base URL.' });
    }
    const host = contention.stop();
    if (host) report.contention = summariseContention(host);
    const queries = finishQueryAttribution(attribution, report);
    scenarios.push({
      kind: 'run',
      name,
      description,
      request,
      durationMs: ctx.now() - started,
      report,
      thresholds: scenario.thresholds,
      flowWeights: scenario.compiled.flows.map((f): [string, number] => [f.name, f.weight]),
      queryThresholds: attribution.thresholds,
      ...(queries === undefined ? {} : { queries }),
      ...(shard ? { shard: { run: shard, thresholds: scenario.config.thresholds } } : {}),
    });
  }
  return { scenarios };
}

function describePlan(plan: ReturnType<typeof prepareScenario>['plan']): string {
  if (plan.profile === 'scalability')
    return `scalability: up to ${plan.peak}/s per replica, ${formatDuration(plan.durationMs)} per replica count (breakpoint search)`;
  return `${plan.profile ?? plan.executor}: ${executorNamed(plan.executor).describe(plan)} (${plan.executor})`;
}

function describeProgress(p: LoadProgress): string {
  const p95 = p.p95Ms === null ? '–' : formatDuration(p.p95Ms);
  return `${p.scenario} ${formatDuration(p.elapsedMs)}/${formatDuration(p.totalMs)} · ${p.users} users · ${p.requestsPerSecond} req/s · p95 ${p95} · ${p.errors} errors`;
}
