/**
 * The endpoint probe: latency percentiles, statuses and body expectations of one check.
 *
 * Order of traffic: the instrument's floor first (calibration.ts: the probe's own client against
 * perfspec's loopback responder, which also warms the client's code), then one cold request
 * (reported apart: it pays for connection set-up and cold caches), then `warmup` requests that no
 * figure includes, then `samples` measured requests with `concurrency` in flight (sampler.ts).
 * Percentiles come from an HdrHistogram of the measured responses; each span runs from the
 * request's first byte written to the response's last byte read, on the load engine's lean
 * HTTP/1.1 client with one keep-alive connection per concurrency slot.
 */
import type { LatencySummary } from '../../metrics/latency-histogram.js';
import type { ProbeResult } from '../../report/result.js';
import type { HttpRequest } from '../../sources/http/types.js';
import { findReferences } from '../../spec/interpolate.js';
import { parseBudget } from '../../units/budget.js';
import { formatDuration } from '../../units/duration.js';
import { judgeBudget, judgeCondition } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import type { CheckProbe, PlannedCheck, ProbeContext, RequestTemplate } from '../types.js';
import { formatCounts, increment } from '../request-outcome.js';
import { measureInstrumentFloor, type Calibration } from './calibration.js';
import type { ExpectationFailure } from './expectations.js';
import { toLeanRequest } from './lean-request.js';
import { EndpointSampler, type EventLoopDelay } from './sampler.js';
import { errorOf, leanTransport, sendOnce, undiciTransport, type TimedTransport } from './transport.js';

const LATENCY_KEYS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const;

export interface EndpointMeasurement {
  cold: { durationMs: number | null; status: number | null };
  warm: LatencySummary;
  /** The measured spans as an HdrHistogram (compressed base64; LatencyHistogram.decode reads it), for exact merging and re-analysis. */
  warmHistogram: string;
  /** Wall-clock time the measured samples took (ms). */
  sampledMs: number;
  /** Time to first byte of the measured responses (empty when undici sent them). */
  ttfb: LatencySummary;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  unexpected: number;
  expectationFailures: number;
  firstExpectationFailure?: ExpectationFailure;
  /** Which client timed the requests: "http1" (lean, keep-alive per slot) or "undici" (fallback). */
  client: 'http1' | 'undici';
  /** The instrument's floor, measured in this run; null (with calibrationError) when it could not be. */
  calibration: Calibration | null;
  calibrationError?: string;
  /** The probe's own host while sampling: how late its event loop was. */
  host: { eventLoopDelay: EventLoopDelay };
}

/** Namespaces whose values can differ from one request to the next (the rest are fixed for a run). */
const PER_REQUEST_NAMESPACES = new Set(['params', 'data', 'vu']);

function variesPerRequest(template: RequestTemplate): boolean {
  const texts = [template.url, ...Object.values(template.headers), ...Object.values(template.query), template.body ?? '', JSON.stringify(template.json ?? null)];
  return texts.some((text) => findReferences(text).some((ref) => PER_REQUEST_NAMESPACES.has(ref.namespace)));
}

/**
 * The transport for a check: the lean client when it can write the request faithfully, else
 * undici. Templates are resolved once unless they refer to per-request variables.
 */
function openTransport(check: PlannedCheck, ctx: ProbeContext, keepBody: boolean): TimedTransport {
  const build = (): HttpRequest => ctx.buildRequest(check.request);
  const first = build();
  const lean = toLeanRequest(first, check.timeoutMs);
  if (lean) {
    const next = variesPerRequest(check.request) ? () => toLeanRequest(build(), check.timeoutMs) ?? lean : () => lean;
    return leanTransport(next, { concurrency: check.concurrency, keepBody });
  }
  return undiciTransport(ctx.http, variesPerRequest(check.request) ? build : () => first, { timeoutMs: check.timeoutMs, signal: ctx.signal });
}

/** Send the check's traffic and measure it; no judging here. */
export async function measureEndpoint(check: PlannedCheck, ctx: ProbeContext): Promise<EndpointMeasurement> {
  const expectJson = (check.raw.expect as { json?: Record<string, unknown> } | undefined)?.json;

  let calibration: Calibration | null = null;
  let calibrationError: string | undefined;
  ctx.progress.update(`${check.name}: measuring the instrument's floor`);
  try {
    calibration = await measureInstrumentFloor(check.concurrency, ctx.signal);
  } catch (error) {
    calibrationError = error instanceof Error ? error.message : String(error);
  }

  const transport = openTransport(check, ctx, expectJson !== undefined);
  const stop = () => transport.close();
  ctx.signal.addEventListener('abort', stop, { once: true });
  const sampler = new EndpointSampler({
    transport,
    concurrency: check.concurrency,
    expectStatus: check.expectStatus,
    expectJson,
    signal: ctx.signal,
    onProgress: (done, of) => ctx.progress.update(`${check.name}: ${done}/${of} samples`),
  });
  const cold: EndpointMeasurement['cold'] = { durationMs: null, status: null };
  try {
    if (!ctx.signal.aborted) {
      const outcome = await sendOnce(transport);
      if (outcome.error === undefined && !outcome.interrupted) {
        cold.durationMs = outcome.endedAt - outcome.sentAt;
        cold.status = outcome.status;
      } else increment(sampler.errors, `cold: ${errorOf(outcome)}`);
    }
    ctx.progress.update(`${check.name}: warm-up (${check.warmup} requests)`);
    await sampler.warm(check.warmup);
    await sampler.sample(check.samples);
  } finally {
    sampler.finish();
    ctx.signal.removeEventListener('abort', stop);
    transport.close();
  }

  return {
    cold,
    warm: sampler.latency.summary(),
    warmHistogram: sampler.latency.encode(),
    sampledMs: sampler.sampledMs,
    ttfb: sampler.ttfb.summary(),
    statuses: Object.fromEntries(sampler.statuses),
    errors: Object.fromEntries(sampler.errors),
    unexpected: sampler.unexpected,
    expectationFailures: sampler.expectationFailures,
    firstExpectationFailure: sampler.firstExpectationFailure,
    client: transport.client,
    calibration,
    calibrationError,
    host: { eventLoopDelay: sampler.eventLoopDelay() },
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

/** What a reader needs to weigh the figures: the instrument's floor and how the requests were timed (pure). */
export function describeInstrument(measured: EndpointMeasurement): string[] {
  const notes: string[] = [];
  const floor = measured.calibration?.latency;
  if (floor && floor.count > 0) {
    notes.push(
      `Instrument floor: p50 ${formatDuration(floor.p50)}, p99 ${formatDuration(floor.p99)} — perfspec's own client timing ${floor.count} requests ` +
        `(concurrency ${measured.calibration!.concurrency}) to a loopback responder it runs itself, measured in this run; that much of each figure is the instrument, not the endpoint.`,
    );
  } else {
    notes.push(`Instrument floor not measured${measured.calibrationError ? `: ${measured.calibrationError}` : ''}.`);
  }
  if (measured.client === 'undici') {
    notes.push("Timed through undici: perfspec's lean HTTP/1.1 client does not write this request as given, so the figures include undici's own overhead and no time to first byte.");
  }
  return notes;
}

export const endpointProbe: CheckProbe = {
  kind: 'endpoint',
  async run(check, ctx): Promise<ProbeResult> {
    const measured = await measureEndpoint(check, ctx);
    const w = measured.warm;
    const fmt = (summary: LatencySummary, ms: number) => (summary.count ? formatDuration(ms) : 'n/a');
    const floor = measured.calibration?.latency;
    const errorNotes = Object.keys(measured.errors).length ? [`Errors: ${formatCounts(new Map(Object.entries(measured.errors)))}`] : [];
    return {
      kind: 'endpoint',
      verdicts: judgeEndpoint(check, measured),
      tables: [
        {
          title: 'Latency',
          columns: ['cold', 'samples', 'p50', 'p90', 'p95', 'p99', 'max', 'mean', 'ttfb p50', 'statuses'],
          rows: [
            [
              measured.cold.durationMs === null ? 'n/a' : formatDuration(measured.cold.durationMs),
              String(w.count),
              fmt(w, w.p50),
              fmt(w, w.p90),
              fmt(w, w.p95),
              fmt(w, w.p99),
              fmt(w, w.max),
              fmt(w, w.mean),
              fmt(measured.ttfb, measured.ttfb.p50),
              formatCounts(new Map(Object.entries(measured.statuses))),
            ],
          ],
        },
        ...(floor && floor.count > 0
          ? [
              {
                title: 'Instrument floor (perfspec against its own loopback responder)',
                columns: ['samples', 'p50', 'p90', 'p99', 'max', 'mean'],
                rows: [[String(floor.count), fmt(floor, floor.p50), fmt(floor, floor.p90), fmt(floor, floor.p99), fmt(floor, floor.max), fmt(floor, floor.mean)]],
              },
            ]
          : []),
      ],
      notes: [...errorNotes, ...describeInstrument(measured)],
      data: { ...measured, warmup: check.warmup, concurrency: check.concurrency },
    };
  },
};
