/**
 * The load probe's side of queries per request: before a scenario runs, note the proxy's
 * unattributed count; after it, take the scenario's traces from the proxy and add the figures,
 * table and verdicts to the load result (queries-under-load.ts). Only with services.postgres on
 * source proxy; otherwise thresholds on queries are inconclusive with the reason.
 */
import { traceHeaderOf, traceTagOf } from '../../load/flows/traceparent.js';
import type { PreparedScenario } from '../../load/run/run-load.js';
import type { LoadReport } from '../../load/types.js';
import type { ProbeResult } from '../../result/result.js';
import type { PostgresServiceHandle } from '../../sources/postgres/service.js';
import { unattributedSince, type TraceAttribution, type UnattributedCounters } from '../../sources/postgres/trace-attribution.js';
import { PgWireProxy } from '../../sources/postgres/wire-proxy.js';
import { judgeCondition } from '../../verdict/judge.js';
import type { ProbeContext } from '../types.js';
import { parseQueryThresholds, presentQueriesUnderLoad, summariseQueriesUnderLoad, type QueryThreshold } from './queries-under-load.js';

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

export function finishQueryAttribution(started: Started, report: LoadReport, probe: ProbeResult, check: string): void {
  const { attribution, scenario, tag, thresholds } = started;
  if (!attribution || !started.before) {
    for (const t of thresholds) {
      const metric = `requests.${t.request}.${t.queries ? 'queries' : 'nPlusOne'}`;
      probe.verdicts.push({
        ...judgeCondition(
          { check, probe: 'load', metric },
          t.queries?.text ?? 'no N+1',
          'n/a',
          false,
          'statements per request need services.postgres with source: proxy (the proxy reads the traceparent comments)',
        ),
        outcome: 'inconclusive',
      });
    }
    return;
  }
  if (!started.traced && thresholds.length === 0) return;
  const sent = new Map(report.requests.map((r) => [r.name, r.requests]));
  const summary = summariseQueriesUnderLoad({
    traces: attribution.take(tag),
    tag,
    entries: scenario.compiled.entries,
    sent,
    unattributed: unattributedSince(started.before, attribution.unattributedSnapshot()),
    textOf: (shape) => attribution.textOf(shape),
  });
  const shown = presentQueriesUnderLoad(summary, thresholds, check);
  probe.tables.splice(1, 0, ...shown.tables);
  probe.verdicts.push(...shown.verdicts);
  probe.notes.push(...shown.notes);
  (probe.data as Record<string, unknown>).queries = summary;
}
