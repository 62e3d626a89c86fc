/**
 * The `load` spec probe: runs the selected scenarios of the spec's `load:` section one after the
 * other with the load engine (src/load) and returns one CheckResult per scenario.
 */
import { PerfspecError } from '../../errors.js';
import type { PerfspecSpec } from '../../generated/spec-types.js';
import { prepareScenario, runPrepared } from '../../load/run/run-load.js';
import type { LoadProgress } from '../../load/types.js';
import { keptByOnly } from '../../spec/only-filter.js';
import type { CheckResult, ProbeResult } from '../../result/result.js';
import { statusOfProbes } from '../../result/status.js';
import { formatDuration } from '../../units/duration.js';
import { collectProblems } from '../validate-sections.js';
import type { ProbeContext, SpecProbe, SpecProbeOptions } from '../types.js';
import { checkSocketBudget } from '../../load/plan/socket-budget.js';
import { executorNamed } from '../../load/executors/executor-table.js';
import { presentLoadReport } from './present.js';
import { selectScenarios, type LoadSection } from './section.js';
import { annotateShardResult, prepareForShard, scenarioStartTimes, shardRuntime } from './shard.js';
import { presentScalability, runScalability } from './scalability.js';
import { startContentionMonitor, summariseContention } from '../../metrics/host-contention.js';
import { isLocalHost } from '../../metrics/local-server.js';
import { attributionOf, finishQueryAttribution, startQueryAttribution } from './attribute-queries.js';

export const loadProbe: SpecProbe<LoadSection> = {
  kind: 'load',
  key: 'load',
  validate(section, { specDir, varNames, spec, select, host }) {
    // Every scenario, not only the default ones: --profile may pick any of them later.
    const names = Object.keys(section.scenarios ?? {});
    const vars = Object.fromEntries(varNames.map((name) => [name, 'x']));
    const runtime = { baseUrl: 'http://127.0.0.1', vars, baseDir: specDir };
    const problems = collectProblems(() =>
      selectScenarios(section, names.length ? { profile: names.join(',') } : {}).forEach(({ config }) => prepareScenario(config, runtime)),
    );
    // The scenarios that will run must fit under this machine's open-file limit. (An unknown
    // --profile is reported when the scenarios are chosen to run.)
    const limit = host?.openFiles;
    // The scenarios run without --profile: load.default must name existing ones.
    problems.push(...collectProblems(() => selectScenarios(section, {})));
    if (problems.length > 0 || !limit) return problems;
    let selected: ReturnType<typeof selectScenarios>;
    try {
      selected = selectScenarios(section, select ?? {});
    } catch {
      return problems;
    }
    return selected.flatMap(({ config }) => {
      const { plan, compiled } = prepareScenario(config, runtime);
      return checkSocketBudget({ plan, origins: countOrigins(compiled), proxy: usesDatabaseProxy(spec), startsTarget: startsTarget(spec), limit });
    });
  },
  checkSelect: (section, select) => collectProblems(() => selectScenarios(section, select)),
  resultNames(section, select) {
    return selectScenarios(section, select).map(({ config }) => resultName(config.name));
  },
  async run(section, ctx: ProbeContext, options: SpecProbeOptions): Promise<CheckResult[]> {
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

    const results: CheckResult[] = [];
    for (const [i, scenario] of prepared.entries()) {
      if (ctx.signal.aborted) break;
      const name = resultName(scenario.plan.name);
      const started = ctx.now();
      ctx.progress.info(`${name}: ${describePlan(scenario.plan)}`);
      if (scenario.plan.profile === 'scalability') {
        const { points, reports } = await runScalability(
          scenario,
          ctx.replicas ?? [],
          { ...runtime, signal: ctx.signal, onProgress: (p) => ctx.progress.update(describeProgress(p)) },
          ctx.progress,
        );
        const probe = presentScalability(points, reports, name, scenario.config.minEfficiency);
        if (selected[i].description) probe.notes.unshift(selected[i].description as string);
        results.push(loadResult(name, scenario.plan, probe, ctx.now() - started));
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
      const weights = new Map(scenario.compiled.flows.map((f) => [f.name, f.weight]));
      const probe = presentLoadReport(report, scenario.thresholds, name, weights);
      finishQueryAttribution(attribution, report, probe, name);
      if (shard)
        annotateShardResult(probe, report, shard, {
          thresholds: scenario.config.thresholds,
          flowWeights: Object.fromEntries(weights),
          description: selected[i].description,
          request: describePlan(scenario.plan),
        });
      if (selected[i].description) probe.notes.unshift(selected[i].description as string);
      // The generator ran out of its own resources: the figures stay in the report, but the run
      // measured perfspec, so the check is an error (exit 3), not a verdict on the target.
      if (report.stoppedEarly?.by === 'resources') probe.error = `stopped after ${formatDuration(report.stoppedEarly.atMs)}: ${report.stoppedEarly.reason}`;
      results.push(loadResult(name, scenario.plan, probe, ctx.now() - started));
    }
    return results;
  },
};

/** A scenario's name in reports and for --only. */
function resultName(scenario: string): string {
  return `Load: ${scenario}`;
}

function countOrigins(compiled: ReturnType<typeof prepareScenario>['compiled']): number {
  const origins = new Set<string>();
  for (const flow of compiled.flows) for (const step of flow.steps) if (step.kind === 'request') for (const target of step.targets) origins.add(target.origin);
  return Math.max(1, origins.size);
}

/** The spec's PostgreSQL service records through perfspec's proxy (the default source). */
function usesDatabaseProxy(spec: PerfspecSpec | undefined): boolean {
  const postgres = spec?.services?.postgres;
  return postgres !== undefined && (postgres.source ?? 'proxy') === 'proxy';
}

function startsTarget(spec: PerfspecSpec | undefined): boolean {
  return spec?.target.start !== undefined;
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

/** One scenario's entry in the run's results. */
function loadResult(name: string, plan: Parameters<typeof describePlan>[0], probe: ProbeResult, durationMs: number): CheckResult {
  return { name, section: 'load', request: describePlan(plan), status: statusOfProbes([probe]), durationMs, probes: [probe] };
}
