/**
 * The endpoint probe: latency percentiles, statuses and body expectations of one check.
 *
 * Order of traffic: one cold request (reported apart: it pays for connection set-up and cold
 * caches), then `warmup` requests that no figure includes, then `samples` measured requests with
 * `concurrency` in flight. Percentiles come from an HdrHistogram of the measured responses.
 */
import { LatencyHistogram, type LatencySummary } from '../../metrics/latency-histogram.js';
import type { ProbeResult } from '../../report/result.js';
import { parseBudget } from '../../units/budget.js';
import { formatDuration } from '../../units/duration.js';
import { judgeBudget, judgeCondition } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import type { CheckProbe, PlannedCheck, ProbeContext } from '../types.js';
import { classifyError, formatCounts, increment } from '../request-outcome.js';
import { checkJsonExpectations, type ExpectationFailure } from './expectations.js';
import { watchProxyShare } from './proxy-cost-note.js';

const LATENCY_KEYS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const;

export interface EndpointMeasurement {
  cold: { durationMs: number | null; status: number | null };
  warm: LatencySummary;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  unexpected: number;
  expectationFailures: number;
  firstExpectationFailure?: ExpectationFailure;
}

/** Send the check's traffic and measure it; no judging here. */
export async function measureEndpoint(check: PlannedCheck, ctx: ProbeContext): Promise<EndpointMeasurement> {
  const histogram = new LatencyHistogram();
  const statuses = new Map<string | number, number>();
  const errors = new Map<string, number>();
  let unexpected = 0;
  let expectationFailures = 0;
  let firstExpectationFailure: ExpectationFailure | undefined;
  const expectJson = (check.raw.expect as { json?: Record<string, unknown> } | undefined)?.json;

  const sendOnce = async () => {
    const request = ctx.buildRequest(check.request);
    return ctx.http.send(request, { timeoutMs: check.timeoutMs, signal: ctx.signal });
  };

  const cold: EndpointMeasurement['cold'] = { durationMs: null, status: null };
  try {
    const response = await sendOnce();
    cold.durationMs = response.durationMs;
    cold.status = response.status;
  } catch (error) {
    increment(errors, `cold: ${classifyError(error)}`);
  }

  for (let index = 0; index < check.warmup && !ctx.signal.aborted; index += 1) {
    ctx.progress.update(`${check.name}: warm-up ${index + 1}/${check.warmup}`);
    await sendOnce().catch(() => undefined);
  }

  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < check.samples && !ctx.signal.aborted) {
      next += 1;
      try {
        const response = await sendOnce();
        histogram.record(response.durationMs);
        increment(statuses, response.status);
        if (!check.expectStatus.includes(response.status)) unexpected += 1;
        else if (expectJson) {
          const failure = checkJsonExpectations(response.body, expectJson);
          if (failure) {
            expectationFailures += 1;
            firstExpectationFailure ??= failure;
          }
        }
      } catch (error) {
        increment(errors, classifyError(error));
      }
      done += 1;
      ctx.progress.update(`${check.name}: ${done}/${check.samples} samples`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(check.concurrency, check.samples) }, worker));

  return {
    cold,
    warm: histogram.summary(),
    statuses: Object.fromEntries([...statuses].map(([key, value]) => [String(key), value])),
    errors: Object.fromEntries(errors),
    unexpected,
    expectationFailures,
    firstExpectationFailure,
  };
}

/** Judge a measurement against the check's budgets (pure). */
export function judgeEndpoint(check: PlannedCheck, measured: EndpointMeasurement): Verdict[] {
  const level = (check.raw.level as 'error' | 'warn' | undefined) ?? 'error';
  const input = (metric: string) => ({ check: check.name, probe: 'endpoint', metric, level });
  const verdicts: Verdict[] = [];
  const latency = (check.raw.latency ?? {}) as Record<string, string | undefined>;
  const measuredAny = measured.warm.count > 0;

  for (const key of LATENCY_KEYS) {
    const text = latency[key];
    const budget = text === undefined ? undefined : parseBudget(text, 'duration');
    if (budget) verdicts.push(judgeBudget(input(`latency.${key}`), budget, measuredAny ? measured.warm[key] : null));
  }
  const coldBudget = latency.cold === undefined ? undefined : parseBudget(latency.cold, 'duration');
  if (coldBudget) verdicts.push(judgeBudget(input('latency.cold'), coldBudget, measured.cold.durationMs));

  // Statuses and transport errors: every measured request must have succeeded. The cold request
  // is judged only through latency.cold; its failure shows up in the notes.
  const measuredErrors = Object.entries(measured.errors).filter(([kind]) => !kind.startsWith('cold'));
  const errorCount = measuredErrors.reduce((sum, [, count]) => sum + count, 0);
  const total = measured.warm.count + errorCount;
  const failed = measured.unexpected + errorCount;
  const shown = [measured.warm.count ? formatCounts(new Map(Object.entries(measured.statuses))) : '', errorCount ? formatCounts(new Map(measuredErrors)) : '']
    .filter(Boolean)
    .join('; ');
  const expected = check.expectStatus.join(' or ');
  verdicts.push(
    judgeCondition(
      input('status'),
      check.expectStatus.join(' | '),
      shown,
      failed === 0 && total > 0,
      total === 0
        ? 'no request completed'
        : failed === 0
          ? `all ${total} responses had status ${expected}`
          : `${failed} of ${total} requests failed (${shown}); expected status ${expected}`,
      failed,
    ),
  );
  if ((check.raw.expect as { json?: unknown } | undefined)?.json) {
    const failure = measured.firstExpectationFailure;
    verdicts.push(
      judgeCondition(
        input('expect.json'),
        'all responses match',
        measured.expectationFailures ? `${measured.expectationFailures} mismatched` : 'all matched',
        measured.expectationFailures === 0 && measured.warm.count > 0,
        failure ? `${failure.path}: expected ${JSON.stringify(failure.expected)}, got ${JSON.stringify(failure.actual)}` : 'every response body matched',
        measured.expectationFailures,
      ),
    );
  }
  return verdicts;
}

export const endpointProbe: CheckProbe = {
  kind: 'endpoint',
  async run(check, ctx): Promise<ProbeResult> {
    const proxyShare = watchProxyShare(ctx);
    const measured = await measureEndpoint(check, ctx);
    const proxy = await proxyShare(1 + check.warmup + check.samples);
    const w = measured.warm;
    const fmt = (ms: number) => (w.count ? formatDuration(ms) : 'n/a');
    return {
      kind: 'endpoint',
      verdicts: judgeEndpoint(check, measured),
      tables: [
        {
          title: 'Latency',
          columns: ['cold', 'samples', 'p50', 'p90', 'p95', 'p99', 'max', 'mean', 'statuses'],
          rows: [
            [
              measured.cold.durationMs === null ? 'n/a' : formatDuration(measured.cold.durationMs),
              String(w.count),
              fmt(w.p50),
              fmt(w.p90),
              fmt(w.p95),
              fmt(w.p99),
              fmt(w.max),
              fmt(w.mean),
              formatCounts(new Map(Object.entries(measured.statuses))),
            ],
          ],
        },
      ],
      notes: [...(Object.keys(measured.errors).length ? [`Errors: ${formatCounts(new Map(Object.entries(measured.errors)))}`] : []), ...(proxy ? [proxy.note] : [])],
      data: {
        ...measured,
        warmup: check.warmup,
        concurrency: check.concurrency,
        ...(proxy ? { proxy: { statementsPerRequest: proxy.statementsPerRequest, addedMsPerStatement: proxy.cost.addedMsPerStatement, estimatedMsPerRequest: proxy.estimatedMsPerRequest } } : {}),
      },
    };
  },
};
