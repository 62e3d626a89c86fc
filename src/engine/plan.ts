/**
 * Normalise a validated spec into what the engine runs: defaults applied, durations in ms,
 * request lines split. Pure.
 */
import type { Check, PerfspecSpec, Step } from '../generated/spec-types.js';
import { requireRequestLine } from '../spec/request-line.js';
import { PerfspecError } from '../errors.js';
import { keptByOnly, unmatchedFilters } from '../spec/only-filter.js';
import { toMilliseconds } from '../units/duration.js';
import { bodySizeBytes } from '../units/quantity.js';
import { sectionOf, type PlannedCheck, type RequestTemplate, type SpecProbe } from '../probes/types.js';

export const DEFAULTS = {
  samples: 50,
  warmup: 5,
  concurrency: 1,
  timeoutMs: 10_000,
  startTimeoutMs: 30_000,
  /** Adaptive sampling: maxSamples defaults to this many times samples… */
  maxSamplesFactor: 8,
  /** …but never more than this (a check must stay quick), unless the spec says so. */
  maxSamplesCap: 2000,
  maxSampleTimeMs: 20_000,
};

/**
 * The default sampling cap: 8 × samples, at most 2000, never below samples. Not raised to what a
 * p99 needs: a spec that asks for 20 samples on a p99 budget is told (validate warns) rather than
 * silently sent 368 requests.
 */
export function defaultMaxSamples(samples: number): number {
  return Math.max(samples, Math.min(DEFAULTS.maxSamplesCap, samples * DEFAULTS.maxSamplesFactor));
}

export function planRequest(item: Pick<Step, 'request' | 'headers' | 'query' | 'json' | 'body'>): RequestTemplate {
  const { method, target } = requireRequestLine(item.request);
  return {
    method,
    url: target,
    headers: { ...(item.headers ?? {}) },
    query: Object.fromEntries(Object.entries(item.query ?? {}).map(([key, value]) => [key, String(value)])),
    json: item.json,
    body: item.body,
  };
}

export function statusList(status: number | number[] | undefined, fallback: number[]): number[] {
  if (status === undefined) return fallback;
  return Array.isArray(status) ? status : [status];
}

export function planChecks(spec: PerfspecSpec, only?: string[], repeatOverride?: number): PlannedCheck[] {
  const defaults = spec.defaults ?? {};
  const timeoutMs = toMilliseconds(defaults.timeout ?? spec.target.timeout ?? DEFAULTS.timeoutMs) ?? DEFAULTS.timeoutMs;
  return (spec.checks ?? [])
    .map((check: Check, index: number): PlannedCheck => {
      const samples = check.samples ?? defaults.samples ?? DEFAULTS.samples;
      const maxSampleTime = check.maxSampleTime ?? defaults.maxSampleTime;
      return {
        name: check.name,
        index,
        request: planRequest(check),
        samples,
        warmup: check.warmup ?? defaults.warmup ?? DEFAULTS.warmup,
        concurrency: check.concurrency ?? defaults.concurrency ?? DEFAULTS.concurrency,
        timeoutMs: check.timeout === undefined ? timeoutMs : (toMilliseconds(check.timeout) ?? timeoutMs),
        maxBodySize: bodySizeBytes(check.maxBodySize ?? spec.target.maxBodySize),
        expectStatus: statusList(check.expect?.status, [200]),
        inconclusive: check.inconclusive ?? defaults.inconclusive ?? 'warn',
        maxSamples: Math.max(samples, check.maxSamples ?? defaults.maxSamples ?? defaultMaxSamples(samples)),
        maxSampleTimeMs: maxSampleTime === undefined ? DEFAULTS.maxSampleTimeMs : (toMilliseconds(maxSampleTime) ?? DEFAULTS.maxSampleTimeMs),
        repeat: repeatOverride ?? check.repeat ?? defaults.repeat ?? 1,
        raw: check,
      };
    })
    .filter((check) => keptByOnly(check.name, only));
}

/**
 * `--only` that matches nothing is a command-line error, found before anything runs: every filter
 * must match a check or a spec-section result (a load scenario) of some spec, or the run would
 * quietly skip what CI meant to judge.
 */
export function checkOnlyFilters(
  specs: ReadonlyArray<{ spec: PerfspecSpec }>,
  only: readonly string[],
  specProbes: readonly SpecProbe[],
  select: Record<string, string>,
): void {
  if (only.length === 0) return;
  const names: string[] = [];
  for (const { spec } of specs) {
    names.push(...(spec.checks ?? []).map((check) => check.name));
    for (const probe of specProbes) {
      const section = sectionOf(spec, probe.key);
      if (section !== undefined && probe.resultNames) names.push(...probe.resultNames(section, select));
    }
  }
  const unmatched = unmatchedFilters(only, names);
  if (unmatched.length === 0) return;
  throw new PerfspecError('PS_USAGE', `${unmatched.map((wanted) => `--only ${JSON.stringify(wanted)}`).join(', ')} matches no check or load scenario`, {
    hint: names.length ? `Available: ${[...new Set(names)].join(', ')}.` : 'The specs have no checks or load scenarios.',
  });
}
