/**
 * Normalise a validated spec into what the engine runs: defaults applied, durations in ms,
 * request lines split. Pure.
 */
import type { Check, PerfspecSpec, Step } from '../generated/spec-types.js';
import { parseRequestLine } from '../spec/formats.js';
import { toMilliseconds } from '../units/duration.js';
import type { PlannedCheck, RequestTemplate } from '../probes/types.js';

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
  const { method, url } = parseRequestLine(item.request);
  return {
    method,
    url,
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
        expectStatus: statusList(check.expect?.status, [200]),
        inconclusive: check.inconclusive ?? defaults.inconclusive ?? 'warn',
        maxSamples: Math.max(samples, check.maxSamples ?? defaults.maxSamples ?? defaultMaxSamples(samples)),
        maxSampleTimeMs: maxSampleTime === undefined ? DEFAULTS.maxSampleTimeMs : (toMilliseconds(maxSampleTime) ?? DEFAULTS.maxSampleTimeMs),
        repeat: repeatOverride ?? check.repeat ?? defaults.repeat ?? 1,
        raw: check as unknown as Record<string, unknown>,
      };
    })
    .filter((check) => !only || only.length === 0 || only.some((name) => matchesName(check.name, name)));
}

/** --only matches a check by exact name or by a case-insensitive substring. */
export function matchesName(name: string, wanted: string): boolean {
  return name === wanted || name.toLowerCase().includes(wanted.toLowerCase());
}
