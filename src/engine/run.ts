/**
 * Run several specs one after another and assemble the RunResult that every reporter receives.
 */
import { randomBytes } from 'node:crypto';
import type { ProgressSink } from '../probes/types.js';
import { RESULT_FORMAT_VERSION, type CheckResult, type RunResult, type SpecResult } from '../report/result.js';
import type { HttpClient } from '../sources/http/types.js';
import type { LoadedSpec } from '../spec/load-spec.js';
import { combineStatuses, verdictOutcome } from '../report/status.js';
import { runSpec, type EngineTables } from './run-spec.js';

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
  secrets: Set<string>;
  onSpecBegin?: (spec: LoadedSpec) => void;
  onCheckEnd?: (result: CheckResult) => void;
}

export function createRunId(date: Date): string {
  return `${date.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
}

export async function runSpecs(specs: LoadedSpec[], options: RunOptions): Promise<RunResult> {
  const startedAt = options.wallClock();
  const started = options.now();
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
        select: options.select ?? {},
        secrets: options.secrets,
        onCheckEnd: options.onCheckEnd,
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
  });
}

export function assembleResult(
  specs: SpecResult[],
  meta: { runId: string; startedAt: Date; finishedAt: Date; durationMs: number; aborted: boolean; version: string },
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
    summary: {
      verdicts: verdicts.length,
      passed: verdicts.filter((verdict) => verdictOutcome(verdict) === 'passed').length,
      failed: verdicts.filter((verdict) => verdictOutcome(verdict) === 'failed').length,
      warned: verdicts.filter((verdict) => verdictOutcome(verdict) === 'warned').length,
      inconclusive: verdicts.filter((verdict) => verdictOutcome(verdict) === 'inconclusive').length,
      errors: probeErrors + specs.reduce((sum, spec) => sum + spec.errors.length, 0),
    },
  };
}
