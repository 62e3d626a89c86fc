/**
 * The endpoint probe: latency percentiles, statuses and body expectations of one check.
 *
 * Order of traffic: the instrument's floor first (calibration.ts: the probe's own client against
 * perfspec's loopback responder, which also warms the client's code), then one cold request
 * (reported apart: it pays for connection set-up and cold caches), then `warmup` requests that no
 * figure includes, then `samples` measured requests with `concurrency` in flight (sampler.ts), and
 * more while adaptive sampling asks for them. Percentiles come from an HdrHistogram of the measured
 * responses; each span runs from the request's first byte written to the response's last byte
 * read, on the load engine's lean HTTP/1.1 client with one keep-alive connection per concurrency slot.
 */
import type { LatencySummary } from '../../metrics/latency-histogram.js';
import type { LatencyEstimates, PercentileEstimate } from '../../metrics/latency-estimates.js';
import { formatInterval } from '../../units/budget.js';
import { sampleUntilConclusive, type AdaptiveOutcome, type AdaptiveStop } from './adaptive-sampling.js';
import { describeHostLoad, startHostMonitor, waitForCalm, type HostLoad } from '../../metrics/host-monitor.js';
import { needsRemeasure, noteSaturation, settleAfterRemeasure } from './saturation.js';
import { medianRunIndex, rankingKey } from './repeat.js';
import { unboundedBudgets } from './sample-plan.js';
import type { ReportTable } from '../../result/result.js';
import type { HttpRequest } from '../../sources/http/types.js';
import { findReferences } from '../../spec/interpolate.js';
import { parseBudget } from '../../units/budget.js';
import { formatDuration } from '../../units/duration.js';
import { judgeBudget, judgeCondition, judgeEstimate } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import type { CheckProbe, PlannedCheck, ProbeContext, RequestTemplate } from '../types.js';
import { formatCounts, increment } from '../request-outcome.js';
import { measureInstrumentFloor, type Calibration } from './calibration.js';
import type { ExpectationFailure } from './expectations.js';
import { toLeanRequest, tracedLeanRequest } from './lean-request.js';
import { DEFAULT_TRACE_HEADER, withFreshTraceparent } from '../../load/flows/traceparent.js';
import { EndpointSampler } from './sampler.js';
import { DEFAULT_MAX_BODY_SIZE, formatBytes } from '../../units/quantity.js';
import { errorOf, failingTransport, leanTransport, sendOnce, undiciTransport, type TimedTransport } from './transport.js';
import { UnsafeRequestError } from '../../sources/http/header-safety.js';
import { watchProxyShare, type ProxyShare } from './proxy-cost-note.js';

const LATENCY_KEYS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const;

export interface EndpointMeasurement {
  cold: { durationMs: number | null; status: number | null };
  warm: LatencySummary;
  /** Percentiles and the mean of the warm samples with their 95 % confidence intervals. */
  estimates: LatencyEstimates;
  /** What adaptive sampling did after the first `samples` (absent when it was not asked). */
  adaptive?: AdaptiveOutcome;
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
  /** Responses (cold, warm-up and measured) whose body was longer than maxBodySize: read and timed, not kept whole. */
  bodiesOverMaxBodySize: number;
  /** The cap they were over (bytes). */
  maxBodySize: number;
}

export interface MeasureOptions {
  /**
   * Adaptive sampling: given the figures so far, 0 when every latency verdict is conclusive, else
   * the fewest samples that might settle them. Without it exactly `samples` are taken.
   */
  undecided?: (measured: EndpointMeasurement) => number;
  /**
   * Measure the instrument's floor first (default true). The floor is a figure for the report, not
   * part of the samples: a caller that measures thousands of times in a row (the coverage test) can
   * leave it out, and the measurement's calibration is then null with calibrationError saying so.
   */
  calibrate?: boolean;
}

/** Namespaces whose values can differ from one request to the next (the rest are fixed for a run). */
const PER_REQUEST_NAMESPACES = new Set(['params', 'data', 'vu']);

function variesPerRequest(template: RequestTemplate): boolean {
  const texts = [
    template.url,
    ...Object.values(template.headers),
    ...Object.values(template.query),
    template.body ?? '',
    JSON.stringify(template.json ?? null),
  ];
  return texts.some((text) => findReferences(text).some((ref) => PER_REQUEST_NAMESPACES.has(ref.namespace)));
}

/**
 * The transport for a check: the lean client when it can write the request faithfully, else
 * undici. Templates are resolved once unless they refer to per-request variables.
 */
function openTransport(check: PlannedCheck, ctx: ProbeContext, keepBody: boolean): TimedTransport {
  const build = (): HttpRequest => ctx.buildRequest(check.request);
  let first: HttpRequest;
  try {
    first = build();
  } catch (error) {
    if (!(error instanceof UnsafeRequestError)) throw error;
    return failingTransport(error);
  }
  const lean = toLeanRequest(first, check.timeoutMs);
  const traceHeader = ctx.trace === false ? undefined : (ctx.trace?.header ?? DEFAULT_TRACE_HEADER);
  if (lean) {
    // target.trace: a fresh traceparent per request (per-request templates are rebuilt anyway).
    const traced = traceHeader === undefined ? undefined : tracedLeanRequest(first, check.timeoutMs, traceHeader);
    const withTrace = (built: HttpRequest) => (traceHeader === undefined ? built : { ...built, headers: withFreshTraceparent(built.headers, traceHeader) });
    const next = variesPerRequest(check.request) ? () => toLeanRequest(withTrace(build()), check.timeoutMs) ?? lean : (traced ?? (() => lean));
    return leanTransport(next, { origin: lean.origin, concurrency: check.concurrency, keepBody, maxBodySize: check.maxBodySize });
  }
  return undiciTransport(ctx.http, variesPerRequest(check.request) ? build : () => first, {
    timeoutMs: check.timeoutMs,
    signal: ctx.signal,
    maxBodySize: check.maxBodySize,
  });
}

/** Send the check's traffic and measure it; judging is left to the caller (see MeasureOptions). */
export async function measureEndpoint(check: PlannedCheck, ctx: ProbeContext, options: MeasureOptions = {}): Promise<EndpointMeasurement> {
  const expectJson = check.raw.expect?.json as Record<string, unknown> | undefined;

  let calibration: Calibration | null = null;
  let calibrationError: string | undefined;
  if (options.calibrate === false) calibrationError = 'not measured (calibrate: false)';
  else {
    ctx.progress.update(`${check.name}: measuring the instrument's floor`);
    try {
      calibration = await measureInstrumentFloor(check.concurrency, ctx.signal);
    } catch (error) {
      calibrationError = error instanceof Error ? error.message : String(error);
    }
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
  const snapshot = (): EndpointMeasurement => ({
    cold,
    warm: sampler.latency.summary(),
    estimates: sampler.latency.estimates(),
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
    bodiesOverMaxBodySize: transport.bodiesOverCap?.() ?? 0,
    maxBodySize: check.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
  });
  let adaptive: AdaptiveOutcome | undefined;
  try {
    if (!ctx.signal.aborted) {
      const outcome = await sendOnce(transport);
      if (outcome.error === undefined && !outcome.interrupted) {
        cold.durationMs = outcome.endedAt - outcome.sentAt;
        cold.status = outcome.status;
      } else increment(sampler.errors, `cold: ${errorOf(outcome)}`);
    }
    // Every concurrency slot gets its connection before warm-up and sampling: otherwise the first
    // request on each new slot would time a TCP (or TLS) handshake as if it were the server's
    // answer (with a small or no warm-up, that landed in the samples).
    if (!ctx.signal.aborted) await transport.preconnect?.(check.concurrency, check.timeoutMs);
    ctx.progress.update(`${check.name}: warm-up (${check.warmup} requests)`);
    await sampler.warm(check.warmup);
    const samplingStarted = ctx.now();
    await sampler.sample(check.samples);
    const undecided = options.undecided;
    if (undecided && check.maxSamples > check.samples) {
      // "Take N more samples" into the same histogram and counters, until conclusive or capped.
      adaptive = await sampleUntilConclusive(
        {
          sampleMore: (count) => sampler.sample(count),
          count: () => sampler.latency.count,
          undecided: () => undecided(snapshot()),
          maxSamples: check.maxSamples,
          maxSampleTimeMs: check.maxSampleTimeMs,
          now: ctx.now,
          signal: ctx.signal,
        },
        samplingStarted,
      );
    }
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    transport.close();
  }
  return adaptive ? { ...snapshot(), adaptive } : snapshot();
}

/** Judge a measurement against the check's budgets (pure). */
export function judgeEndpoint(check: PlannedCheck, measured: EndpointMeasurement): Verdict[] {
  const level = check.raw.level ?? 'error';
  const input = (metric: string) => ({ check: check.name, probe: 'endpoint', metric, level });
  const verdicts: Verdict[] = judgeLatency(check, measured);
  const latency: Record<string, string | undefined> = { ...check.raw.latency };
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
  if (check.raw.expect?.json) {
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

/**
 * The warm-latency budgets: percentiles and the mean by their confidence interval (pass, fail or
 * inconclusive), max exactly.
 */
function judgeLatency(check: PlannedCheck, measured: EndpointMeasurement): Verdict[] {
  const level = check.raw.level ?? 'error';
  const latency: Record<string, string | undefined> = { ...check.raw.latency };
  const verdicts: Verdict[] = [];
  for (const key of LATENCY_KEYS) {
    const text = latency[key];
    const budget = text === undefined ? undefined : parseBudget(text, 'duration');
    if (!budget) continue;
    const input = { check: check.name, probe: 'endpoint', metric: `latency.${key}`, level };
    if (key === 'max') verdicts.push(judgeBudget(input, budget, measured.warm.count > 0 ? measured.warm.max : null));
    else verdicts.push(judgeEstimate(input, budget, measured.estimates[key]));
  }
  return verdicts;
}

/** For adaptive sampling: 0 when every latency budget is conclusive, else the samples that might settle it. */
export function undecidedSamples(check: PlannedCheck, measured: EndpointMeasurement): number {
  const open = judgeLatency(check, measured).filter((verdict) => verdict.outcome === 'inconclusive');
  if (open.length === 0) return 0;
  return Math.max(1, ...open.map((verdict) => (verdict.interval?.upper === null ? verdict.interval.samplesNeeded : 1)));
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
    notes.push(
      "Timed through undici: perfspec's lean HTTP/1.1 client does not write this request as given, so the figures include undici's own overhead and no time to first byte.",
    );
  }
  return notes;
}

/** One measurement of the check, watched by the host monitor. */
export interface EndpointAttempt {
  measured: EndpointMeasurement;
  host: HostLoad;
}

/**
 * One run of the check: its measurement, and a second one when a latency budget failed while the
 * host was saturated (the figures and verdicts are the last attempt's).
 */
export interface EndpointRun {
  attempts: EndpointAttempt[];
}

/** What the endpoint probe measured for one check: every run (`repeat`) and the proxy's share. */
export interface EndpointRuns {
  runs: EndpointRun[];
  /** The query proxy's share of each request's latency, when the API's database goes through it. */
  proxy?: ProxyShare;
}

async function attempt(check: PlannedCheck, ctx: ProbeContext): Promise<EndpointAttempt> {
  const monitor = startHostMonitor(ctx.now);
  const measured = await measureEndpoint(check, ctx, { undecided: (m) => undecidedSamples(check, m) });
  return { measured, host: monitor.stop() };
}

/** How long to wait for a saturated host to calm before re-measuring a latency failure. */
const CALM_WAIT_MS = 5000;

/** Measure; a latency FAIL on a saturated host is measured again before it is believed (judgeRun settles it). */
async function measureRun(check: PlannedCheck, ctx: ProbeContext): Promise<EndpointRun> {
  const first = await attempt(check, ctx);
  if (!needsRemeasure(judgeEndpoint(check, first.measured), first.host) || ctx.signal.aborted) return { attempts: [first] };
  ctx.progress.info(`${check.name}: a latency budget failed while the host was saturated (${first.host.reasons.join('; ')}); measuring again`);
  await waitForCalm(CALM_WAIT_MS, ctx.signal);
  return { attempts: [first, await attempt(check, ctx)] };
}

/** The verdicts of one run: its last attempt's, with what the host's saturation during each attempt allows (pure). */
export function judgeRun(check: PlannedCheck, run: EndpointRun): Verdict[] {
  const last = lastAttempt(run);
  const verdicts = judgeEndpoint(check, last.measured);
  if (run.attempts.length === 1) return noteSaturation(verdicts, last.host);
  return noteSaturation(settleAfterRemeasure(verdicts, last.host, run.attempts[0].host), last.host);
}

/** The run that is judged and shown: the median by the check's first latency figure (pure). */
export function chosenRun(check: PlannedCheck, measurement: EndpointRuns): { run: EndpointRun; index: number; key: string } {
  const key = rankingKey(check.raw.latency);
  const index = medianRunIndex(measurement.runs.map((run) => figureOf(lastAttempt(run).measured, key)));
  return { run: measurement.runs[index], index, key };
}

function lastAttempt(run: EndpointRun): EndpointAttempt {
  return run.attempts[run.attempts.length - 1];
}

export const endpointProbe: CheckProbe<undefined, EndpointRuns> = {
  kind: 'endpoint',
  async measure(check, _config, ctx) {
    const proxyShare = watchProxyShare(ctx);
    const runs: EndpointRun[] = [];
    for (let index = 0; index < Math.max(1, check.repeat) && !ctx.signal.aborted; index += 1) runs.push(await measureRun(check, ctx));
    if (runs.length === 0) runs.push(await measureRun(check, ctx));
    // Every request the check sent to the API (cold, warm-up, samples and errors, over every run
    // and re-measurement): the statements the proxy saw during the check are shared among them.
    const requestsSent = runs
      .flatMap((run) => run.attempts)
      .reduce((sum, attempt) => sum + 1 + check.warmup + attempt.measured.warm.count + Object.values(attempt.measured.errors).reduce((n, c) => n + c, 0), 0);
    const proxy = await proxyShare(requestsSent);
    return proxy ? { runs, proxy } : { runs };
  },
  judge: (check, _config, measurement) => judgeRun(check, chosenRun(check, measurement).run),
  present(check, _config, measurement) {
    const { runs, proxy } = measurement;
    const { run: chosen, index: chosenIndex, key } = chosenRun(check, measurement);
    const { measured, host } = lastAttempt(chosen);
    const latencyBudgets = check.raw.latency;
    const w = measured.warm;
    const fmt = (ms: number) => (w.count ? formatDuration(ms) : 'n/a');
    const fmtOf = (summary: LatencySummary, ms: number) => (summary.count ? formatDuration(ms) : 'n/a');
    const notes: string[] = [];
    if (Object.keys(measured.errors).length) notes.push(`Errors: ${formatCounts(new Map(Object.entries(measured.errors)))}`);
    if (measured.bodiesOverMaxBodySize > 0) {
      notes.push(
        `Body over maxBodySize: ${measured.bodiesOverMaxBodySize} response${measured.bodiesOverMaxBodySize === 1 ? '' : 's'} had a body longer than ${formatBytes(measured.maxBodySize)}; each was read to its end and timed, and only its first ${formatBytes(measured.maxBodySize)} kept for body expectations (raise maxBodySize to keep more).`,
      );
    }
    notes.push(...describeInstrument(measured));
    if (measured.adaptive && measured.adaptive.rounds > 0) {
      notes.push(
        `Adaptive sampling: ${measured.adaptive.samples} samples in all (${check.samples} first, ${measured.adaptive.rounds} more round(s)); stopped: ${describeStop(measured.adaptive.stoppedBy)}.`,
      );
    }
    for (const budget of unboundedBudgets(latencyBudgets, w.count)) {
      notes.push(`${budget.key} rests on ${w.count} samples, fewer than the ${budget.needed} that bound it at 95 % confidence: it can fail but not pass.`);
    }
    notes.push(`Host during the measurement: ${describeHostLoad(host)}${host.saturated ? ` — SATURATED (${host.reasons.join('; ')})` : ''}.`);
    if (chosen.attempts.length > 1)
      notes.push(`A latency budget failed while the host was saturated, so the check was measured again; the figures are from the second measurement.`);
    const tables: ReportTable[] = [
      {
        title: 'Latency',
        columns: ['cold', 'samples', 'p50', 'p90', 'p95', 'p99', 'max', 'mean', 'ttfb p50', 'statuses'],
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
            fmtOf(measured.ttfb, measured.ttfb.p50),
            formatCounts(new Map(Object.entries(measured.statuses))),
          ],
          // The 95 % confidence interval of each estimated figure, under it.
          [
            '95 % interval',
            '',
            ...(['p50', 'p90', 'p95', 'p99'] as const).map((key) => intervalCell(measured.estimates[key])),
            'exact',
            intervalCell(measured.estimates.mean),
            '',
            '',
          ],
        ],
      },
    ];
    const floor = measured.calibration?.latency;
    if (floor && floor.count > 0) {
      tables.push({
        title: 'Instrument floor (perfspec against its own loopback responder)',
        columns: ['samples', 'p50', 'p90', 'p99', 'max', 'mean'],
        rows: [
          [String(floor.count), fmtOf(floor, floor.p50), fmtOf(floor, floor.p90), fmtOf(floor, floor.p99), fmtOf(floor, floor.max), fmtOf(floor, floor.mean)],
        ],
      });
    }
    if (runs.length > 1) {
      notes.push(`Measured ${runs.length} times (repeat); judged on the median run by ${key} (run ${chosenIndex + 1}), as Lighthouse CI does.`);
      tables.push({
        title: `Runs (median by ${key} judged)`,
        columns: ['run', 'samples', 'p50', 'p95', 'p99', 'max', 'host', 'judged'],
        rows: runs.map((run, index) => {
          const s = lastAttempt(run).measured.warm;
          const cell = (ms: number) => (s.count ? formatDuration(ms) : 'n/a');
          return [
            String(index + 1),
            String(s.count),
            cell(s.p50),
            cell(s.p95),
            cell(s.p99),
            cell(s.max),
            lastAttempt(run).host.saturated ? 'saturated' : 'ok',
            index === chosenIndex ? 'median ✓' : '',
          ];
        }),
      });
    }
    return {
      tables,
      notes: proxy ? [...notes, proxy.note] : notes,
      data: {
        ...measured,
        warmup: check.warmup,
        concurrency: check.concurrency,
        host,
        attempts: chosen.attempts.map((a) => ({ samples: a.measured.warm.count, p95: a.measured.warm.p95, host: a.host })),
        ...(runs.length > 1
          ? { runs: runs.map((run) => ({ warm: lastAttempt(run).measured.warm, host: lastAttempt(run).host })), medianRun: chosenIndex, rankedBy: key }
          : {}),
        ...(proxy
          ? {
              proxy: {
                statementsPerRequest: proxy.statementsPerRequest,
                addedMsPerStatement: proxy.cost.addedMsPerStatement,
                estimatedMsPerRequest: proxy.estimatedMsPerRequest,
              },
            }
          : {}),
      },
    };
  },
};

function intervalCell(estimate: PercentileEstimate): string {
  return estimate.count === 0 ? 'n/a' : formatInterval(estimate.lower, estimate.upper, 'duration');
}

function figureOf(measured: EndpointMeasurement, key: string): number | null {
  if (measured.warm.count === 0) return null;
  const value = (measured.warm as unknown as Record<string, number>)[key];
  return typeof value === 'number' ? value : null;
}

function describeStop(stop: AdaptiveStop): string {
  return {
    conclusive: 'every latency verdict conclusive',
    maxSamples: 'maxSamples reached',
    maxSampleTime: 'maxSampleTime reached',
    aborted: 'interrupted',
    noProgress: 'no further sample succeeded',
  }[stop];
}
