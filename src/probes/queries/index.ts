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
import type { ProbeResult } from '../../report/result.js';
import type { HttpRequest } from '../../sources/http/types.js';
import { createFingerprinter, type Fingerprinter } from '../../sources/postgres/fingerprint.js';
import type { PostgresServiceHandle } from '../../sources/postgres/service.js';
import { collectProblems } from '../validate-sections.js';
import type { CheckProbe, PlannedCheck, ProbeContext } from '../types.js';
import { analyzeStatements, compareScaling, type QueryAnalysis } from './analyze.js';
import { readQueriesConfig, type QueriesConfig } from './config.js';
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
    if (status !== null && status >= 500 && !check.expectStatus.includes(status)) {
      // A server error inside a window usually means the database (or the API) broke: the count
      // of that request proves nothing, and judging only the requests that worked would pass a
      // broken run. Say what failed and when instead.
      const seconds = ((ctx.now() - started) / 1000).toFixed(1);
      const database = await service.checkServer();
      throw new PerfspecError(
        'PS_PROBE_FAILED',
        `${check.name}: measured request ${requests.length + 1} answered ${status} ${seconds}s into the check while its queries were counted; ${database ?? `PostgreSQL at ${service.address} still answers`} — no verdict from a broken measurement`,
      );
    }
    return { status, analysis: analyze(statements) };
  };
  const started = ctx.now();
  const requests: MeasuredRequest[] = [];

  if (check.warmup > 0) await send().catch(() => undefined);
  if (service.proxyConnections() === 0) {
    throw new PerfspecError('PS_PROBE_FAILED', `${check.name}: the API has not connected to PostgreSQL through perfspec's proxy, so its queries cannot be counted`, {
      hint: `Let perfspec start the API (target.start: it passes the proxy's URL as DATABASE_URL), point the API's database URL at ${service.proxyUrl ?? 'the proxy'} (a fixed port: services.postgres.proxyPort), or use services.postgres.source: pg_stat_statements.`,
    });
  }

  const notes: string[] = [];
  for (let index = 0; index < config.requests && !ctx.signal.aborted; index += 1) {
    ctx.progress.update(`${check.name}: counting queries ${index + 1}/${config.requests}`);
    requests.push(await measureOne());
    notes.push(...service.windowNotes());
  }
  const measurement: QueryMeasurement = { source: source.source, requests, sourceNotes: [...new Set(notes)] };
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

export const queriesProbe: CheckProbe = {
  kind: 'queries',
  key: 'queries',
  service: 'postgres',
  validate: (check) => collectProblems(() => readQueriesConfig(check)),
  async run(check, ctx): Promise<ProbeResult> {
    const config = readQueriesConfig(check);
    const service = ctx.services.get<PostgresServiceHandle>('postgres');
    const fingerprinter = await createFingerprinter();
    const measurement = await measureQueries(check, config, ctx, service, fingerprinter);
    return {
      kind: 'queries',
      verdicts: judgeQueries(check.name, config, measurement),
      tables: buildQueryTables(config, measurement),
      notes: queryNotes(config, measurement),
      data: toData(measurement, config),
    };
  },
};
