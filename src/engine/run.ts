/**
 * Run several specs one after another and assemble the RunResult that every reporter receives.
 */
import { randomBytes } from 'node:crypto';
import type { ProgressSink } from '../probes/types.js';
import { RESULT_FORMAT_VERSION, type CheckResult, type RunResult, type SpecResult } from '../report/result.js';
import type { HttpClient } from '../sources/http/types.js';
import type { LoadedSpec } from '../spec/load-spec.js';
import { combineStatuses, summariseVerdicts } from '../report/status.js';
import { runSpec, type EngineTables, type RunSpecOptions } from './run-spec.js';
import { startEnvironment, type RunEnvironment } from '../report/environment.js';

export interface RunOptions {
  http: HttpClient;
  tables: EngineTables;
  signal: AbortSignal;
  progress: ProgressSink;
  /** Monotonic clock in ms. */
  now: () => number;
  /** Wall clock, for timestamps in reports. */
  wallClock: () => Date;
  version: string;
  baseUrlOverride?: string;
  setVars?: Record<string, string>;
  only?: string[];
  select?: Record<string, string>;
  /** --repeat N: measure every check N times and judge the median run. */
  repeat?: number;
  secrets: Set<string>;
  onSpecBegin?: (spec: LoadedSpec) => void;
  onCheckEnd?: (result: CheckResult) => void;
  /** Distributed runs (src/load/shard): which shard, setup handed on, setup only. */
  distributed?: RunSpecOptions['distributed'];
}

export function createRunId(date: Date): string {
  return `${date.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
}

export async function runSpecs(specs: LoadedSpec[], options: RunOptions): Promise<RunResult> {
  const startedAt = options.wallClock();
  const started = options.now();
  const environment = startEnvironment(options.version);
  const runId = createRunId(startedAt);
  const results: SpecResult[] = [];
  for (const loaded of specs) {
    if (options.signal.aborted) break;
    options.onSpecBegin?.(loaded);
    results.push(
      await runSpec(loaded, {
        http: options.http,
        tables: options.tables,
        signal: options.signal,
        progress: options.progress,
        now: options.now,
        runId,
        startedAt: startedAt.toISOString(),
        baseUrlOverride: options.baseUrlOverride,
        setVars: options.setVars ?? {},
        only: options.only,
        repeat: options.repeat,
        select: options.select ?? {},
        secrets: options.secrets,
        onCheckEnd: options.onCheckEnd,
        distributed: options.distributed,
      }),
    );
  }
  return assembleResult(results, {
    runId,
    startedAt,
    finishedAt: options.wallClock(),
    durationMs: options.now() - started,
    aborted: options.signal.aborted,
    version: options.version,
    environment: environment.finish(specs.map((loaded) => options.baseUrlOverride ?? loaded.spec.target.baseUrl)),
  });
}

export function assembleResult(
  specs: SpecResult[],
  meta: { runId: string; startedAt: Date; finishedAt: Date; durationMs: number; aborted: boolean; version: string; environment?: RunEnvironment },
): RunResult {
  const verdicts = specs.flatMap((spec) => spec.checks.flatMap((check) => check.probes.flatMap((probe) => probe.verdicts)));
  const probeErrors = specs.flatMap((spec) => spec.checks.flatMap((check) => check.probes.filter((probe) => probe.error))).length;
  return {
    formatVersion: RESULT_FORMAT_VERSION,
    tool: { name: 'perfspec', version: meta.version },
    runId: meta.runId,
    startedAt: meta.startedAt.toISOString(),
    finishedAt: meta.finishedAt.toISOString(),
    durationMs: Math.round(meta.durationMs),
    status: combineStatuses(specs.map((spec) => spec.status)),
    aborted: meta.aborted,
    specs,
    ...(meta.environment ? { environment: meta.environment } : {}),
    summary: {
      ...summariseVerdicts(verdicts),
      errors: probeErrors + specs.reduce((sum, spec) => sum + spec.errors.length, 0),
    },
  };
}
