/**
 * The queries probe: how many statements one request of a check makes PostgreSQL run, per statement
 * shape, N+1 patterns, exact repeats and DB time — black-box, whatever language the API is written in.
 *
 * Traffic: one warm-up request outside any window (connection set-up, first-time caches), then
 * `requests` measured requests one at a time, each inside its own window of the postgres service's
 * source (proxy or pg_stat_statements), then, with `scaling`, one request at each size. Requests are
 * never concurrent while a window is open, so a window holds exactly one request's statements (plus
 * anything else the app runs at that moment, such as a background job).
 */
import { PerfspecError, describeError } from '../../errors.js';
import type { HttpRequest } from '../../sources/http/types.js';
import { createFingerprinter, type Fingerprinter } from '../../sources/postgres/fingerprint.js';
import type { PostgresServiceHandle } from '../../sources/postgres/service.js';
import { collectProblems } from '../validate-sections.js';
import { placeOf, type CheckProbe, type PlannedCheck, type ProbeContext } from '../types.js';
import { analyzeStatements, compareScaling, type QueryAnalysis } from './analyze.js';
import { readQueriesConfig, type QueriesConfig } from './config.js';
import { explainWorst } from './explain-worst.js';
import { DEFAULT_TRACE_HEADER, freshTraceparent } from '../../load/flows/traceparent.js';
import type { ProxyStatement } from '../../sources/postgres/wire-proxy.js';
import { buildQueryTables, judgeQueries, queryNotes, worstRequest, type MeasuredRequest, type QueryMeasurement } from './judge.js';

/** The request with one query-string parameter set (the scaling sizes). Pure. */
export function withQueryParam(request: HttpRequest, name: string, value: string): HttpRequest {
  const url = new URL(request.url);
  url.searchParams.set(name, value);
  return { ...request, url: url.toString() };
}

async function measureQueries(
  check: PlannedCheck,
  config: QueriesConfig,
  ctx: ProbeContext,
  service: PostgresServiceHandle,
  fingerprinter: Fingerprinter,
): Promise<QueryMeasurement> {
  const source = service.source;
  const send = (param?: [string, string]) => {
    const request = ctx.buildRequest(check.request);
    return ctx.http.send(param ? withQueryParam(request, param[0], param[1]) : request, { timeoutMs: check.timeoutMs, signal: ctx.signal });
  };
  const analyze = (statements: Parameters<typeof analyzeStatements>[0]): QueryAnalysis =>
    analyzeStatements(statements, {
      fingerprint: (sql) => fingerprinter.fingerprint(sql),
      nPlusOneThreshold: config.threshold,
      includeUtility: config.includeUtility,
      detectDuplicates: source.source === 'proxy',
    });
  /** One request inside its own window; the window is closed even when the request fails. */
  const measureOne = async (param?: [string, string]): Promise<MeasuredRequest> => {
    const window = await source.beginWindow();
    let status: number | null = null;
    let failure: unknown;
    try {
      status = (await send(param)).status;
    } catch (error) {
      failure = error;
    }
    const statements = await source.endWindow(window);
    if (failure !== undefined) {
      throw new PerfspecError('PS_PROBE_FAILED', `${check.name}: the request failed while counting queries: ${describeError(failure)}`, { cause: failure });
    }
    await refuseServerError(status, requests.length + 1);
    // With explain, the statements are kept to explain the worst request's (with their parameters).
    return config.explain ? { status, analysis: analyze(statements), statements } : { status, analysis: analyze(statements) };
  };

  /** `count` requests at once, each with a traceparent of its own, in one window; split by trace id. */
  const measureConcurrently = async (count: number, header: string): Promise<{ requests?: MeasuredRequest[]; why?: string }> => {
    const traceparents = Array.from({ length: count }, () => freshTraceparent());
    const window = await source.beginWindow();
    const outcomes = await Promise.allSettled(
      traceparents.map((traceparent) => {
        const request = ctx.buildRequest(check.request);
        return ctx.http.send({ ...request, headers: { ...request.headers, [header]: traceparent } }, { timeoutMs: check.timeoutMs, signal: ctx.signal });
      }),
    );
    const statements = (await source.endWindow(window)) as ProxyStatement[];
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed)
      throw new PerfspecError('PS_PROBE_FAILED', `${check.name}: the request failed while counting queries: ${describeError(failed.reason)}`, {
        cause: failed.reason,
      });
    const unattributed = statements.filter((st) => st.traceId === undefined).length;
    if (unattributed > 0)
      return { why: `${unattributed} of ${statements.length} statements carried no traceparent comment, so concurrent requests cannot be told apart` };
    for (const [k, outcome] of outcomes.entries())
      await refuseServerError((outcome as PromiseFulfilledResult<{ status: number }>).value.status, requests.length + k + 1);
    return {
      requests: traceparents.map((traceparent, k) => {
        const own = statements.filter((st) => st.traceId === traceparent.slice(3, 35));
        const status = (outcomes[k] as PromiseFulfilledResult<{ status: number }>).value.status;
        return config.explain ? { status, analysis: analyze(own), statements: own } : { status, analysis: analyze(own) };
      }),
    };
  };

  /**
   * A server error inside a window usually means the database (or the API) broke: the count of
   * that request proves nothing, and judging only the requests that worked would pass a broken
   * run. Say what failed and when instead.
   */
  const refuseServerError = async (status: number | null, index: number): Promise<void> => {
    if (status === null || status < 500 || check.expectStatus.includes(status)) return;
    const seconds = ((ctx.now() - started) / 1000).toFixed(1);
    const database = await service.checkServer();
    throw new PerfspecError(
      'PS_PROBE_FAILED',
      `${check.name}: measured request ${index} answered ${status} ${seconds}s into the check while its queries were counted; ${database ?? `PostgreSQL at ${service.address} still answers`} — no verdict from a broken measurement`,
    );
  };
  const started = ctx.now();
  const requests: MeasuredRequest[] = [];

  if (check.warmup > 0) await send().catch(() => undefined);
  if (service.proxyConnections() === 0) {
    throw new PerfspecError(
      'PS_PROBE_FAILED',
      `${check.name}: the API has not connected to PostgreSQL through perfspec's proxy, so its queries cannot be counted`,
      {
        hint: `Let perfspec start the API (target.start: it passes the proxy's URL as DATABASE_URL), point the API's database URL at ${service.proxyUrl ?? 'the proxy'} (a fixed port: services.postgres.proxyPort), or use services.postgres.source: pg_stat_statements.`,
      },
    );
  }

  const notes: string[] = [];
  // concurrency > 1: requests at once in one window, each statement given to its request by the
  // traceparent the app wrote into it; exact only when every statement carried one, else one at a time.
  const traceHeader = ctx.trace === false ? undefined : (ctx.trace?.header ?? DEFAULT_TRACE_HEADER);
  if (check.concurrency > 1 && source.source === 'proxy' && traceHeader !== undefined && !ctx.signal.aborted) {
    const batch = Math.min(check.concurrency, config.requests);
    ctx.progress.update(`${check.name}: counting queries of ${batch} concurrent requests`);
    const concurrent = await measureConcurrently(batch, traceHeader);
    if (concurrent.requests) {
      requests.push(...concurrent.requests);
      notes.push(
        `Counted ${batch} requests sent at once (concurrency ${check.concurrency}), each statement attributed to its request by its traceparent comment.`,
      );
    } else notes.push(`${check.name}: ${concurrent.why}; counted one request at a time instead.`);
  }
  for (let index = requests.length; index < config.requests && !ctx.signal.aborted; index += 1) {
    ctx.progress.update(`${check.name}: counting queries ${index + 1}/${config.requests}`);
    requests.push(await measureOne());
    notes.push(...service.windowNotes());
  }
  const measurement: QueryMeasurement = { source: source.source, requests, sourceNotes: [...new Set(notes)] };
  if (config.explain && service.explain && !ctx.signal.aborted) {
    const statements = worstRequest(measurement)?.statements ?? [];
    ctx.progress.update(`${check.name}: explaining the worst request's statements`);
    measurement.explained = await explainWorst(statements, config.explain, (sql) => fingerprinter.fingerprint(sql), service.explain.bind(service));
  }
  if (config.scaling && !ctx.signal.aborted) {
    const { param, small, large } = config.scaling;
    ctx.progress.update(`${check.name}: scaling ${param}=${small} vs ${param}=${large}`);
    const smallRun = await measureOne([param, small]);
    const largeRun = await measureOne([param, large]);
    measurement.scaling = {
      param,
      small: { size: small, analysis: smallRun.analysis },
      large: { size: large, analysis: largeRun.analysis },
      changes: compareScaling(smallRun.analysis, largeRun.analysis),
    };
  }
  return measurement;
}

/** The JSON report's figures: per-request totals and the heaviest request's groups (bounded). */
function toData(measurement: QueryMeasurement, config: QueriesConfig): Record<string, unknown> {
  const worst = worstRequest(measurement)?.analysis;
  const compact = (analysis: QueryAnalysis | undefined) =>
    analysis && {
      total: analysis.total,
      utilityExcluded: analysis.utilityExcluded,
      errors: analysis.errors,
      dbTimeMs: analysis.dbTimeMs,
      duplicates: analysis.duplicatesKnown ? analysis.duplicates : null,
      groups: analysis.groups.slice(0, 50).map(({ fingerprint, count, exampleSql, totalMs, errors }) => ({ fingerprint, count, exampleSql, totalMs, errors })),
      nPlusOne: analysis.nPlusOne.map(({ fingerprint, count, exampleSql, precededBy }) => ({ fingerprint, count, exampleSql, precededBy: precededBy ?? null })),
      duplicateGroups: analysis.duplicateGroups.slice(0, 50),
    };
  return {
    source: measurement.source,
    threshold: config.threshold,
    before: config.before ?? null,
    requests: measurement.requests.map((request) => ({ status: request.status, total: request.analysis.total, dbTimeMs: request.analysis.dbTimeMs })),
    worst: compact(worst) ?? null,
    scaling: measurement.scaling
      ? {
          param: measurement.scaling.param,
          small: { size: measurement.scaling.small.size, total: measurement.scaling.small.analysis.total },
          large: { size: measurement.scaling.large.size, total: measurement.scaling.large.analysis.total },
          changes: measurement.scaling.changes,
        }
      : null,
  };
}

const parseQueries = (check: PlannedCheck): QueriesConfig => readQueriesConfig(check.raw.queries ?? {}, placeOf(check));

export const queriesProbe: CheckProbe<QueriesConfig, QueryMeasurement> = {
  kind: 'queries',
  key: 'queries',
  service: 'postgres',
  parse: parseQueries,
  validate: (check) => collectProblems(() => parseQueries(check)),
  async measure(check, config, ctx) {
    const service = ctx.services.get<PostgresServiceHandle>('postgres');
    const fingerprinter = await createFingerprinter();
    return measureQueries(check, config, ctx, service, fingerprinter);
  },
  judge: (check, config, measurement) => judgeQueries(check.name, config, measurement),
  present: (_check, config, measurement) => ({
    tables: [...buildQueryTables(config, measurement), ...(measurement.explained?.table ? [measurement.explained.table] : [])],
    notes: [...queryNotes(config, measurement), ...(measurement.explained?.notes ?? [])],
    data: toData(measurement, config),
  }),
};
