/**
 * The load probe's measuring of queries per request: before a scenario runs, note the proxy's
 * unattributed count; after it, take the scenario's traces from the proxy and summarise them
 * (queries-under-load.ts, which also judges and presents them). Only with services.postgres on
 * source proxy; otherwise thresholds on queries are judged inconclusive with the reason.
 */
import { traceHeaderOf, traceTagOf } from '../../load/flows/traceparent.js';
import type { PreparedScenario } from '../../load/run/run-load.js';
import type { LoadReport } from '../../load/types.js';
import type { PostgresServiceHandle } from '../../sources/postgres/service.js';
import { unattributedSince, type TraceAttribution, type UnattributedCounters } from '../../sources/postgres/trace-attribution.js';
import { PgWireProxy } from '../../sources/postgres/wire-proxy.js';
import type { ProbeContext } from '../types.js';
import { parseQueryThresholds, summariseQueriesUnderLoad, type QueriesUnderLoad, type QueryThreshold } from './queries-under-load.js';

interface Started {
  attribution: TraceAttribution | undefined;
  scenario: PreparedScenario;
  tag: string;
  traced: boolean;
  thresholds: QueryThreshold[];
  before: UnattributedCounters | undefined;
}

/** The proxy's attribution when the spec has services.postgres with source proxy. */
export function attributionOf(ctx: ProbeContext): TraceAttribution | undefined {
  if (!ctx.services?.has('postgres')) return undefined;
  const source = ctx.services.get<PostgresServiceHandle>('postgres').source;
  return source instanceof PgWireProxy ? source.attribution : undefined;
}

export function startQueryAttribution(attribution: TraceAttribution | undefined, scenario: PreparedScenario, runId: string): Started {
  const tag = traceTagOf(runId, scenario.plan.name);
  // Traces left from an earlier run of the same scenario name would be counted twice: drop them.
  attribution?.take(tag);
  let traced = true;
  try {
    traced = traceHeaderOf(scenario.config.trace) !== undefined;
  } catch {
    traced = false;
  }
  return {
    attribution,
    scenario,
    tag,
    traced,
    thresholds: parseQueryThresholds(scenario.config.thresholds, `load scenario "${scenario.plan.name}": thresholds`),
    before: attribution?.unattributedSnapshot(),
  };
}

/**
 * The scenario's statements per request, taken from the proxy once the run is over: 'no proxy'
 * without one, undefined when nothing asked for them (no traceparent sent, no query threshold).
 */
export function finishQueryAttribution(started: Started, report: LoadReport): QueriesUnderLoad | 'no proxy' | undefined {
  const { attribution, scenario, tag, thresholds } = started;
  if (!attribution || !started.before) return 'no proxy';
  if (!started.traced && thresholds.length === 0) return undefined;
  const sent = new Map(report.requests.map((r) => [r.name, r.requests]));
  return summariseQueriesUnderLoad({
    traces: attribution.take(tag),
    tag,
    entries: scenario.compiled.entries,
    sent,
    unattributed: unattributedSince(started.before, attribution.unattributedSnapshot()),
    textOf: (shape) => attribution.textOf(shape),
  });
}
