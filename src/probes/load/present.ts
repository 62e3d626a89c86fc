/**
 * The load probe's present: each scenario's measurement and verdicts → what reports show: the
 * preformatted tables, the timeline series, the notes, and the raw LoadReport as data for the JSON
 * report, baselines and `perfspec merge`. Pure.
 */
import type { LoadReport, LatencySummary, RequestStats } from '../../load/types.js';
import type { ReportTable, ReportSeries } from '../../result/result.js';
import { formatDuration } from '../../units/duration.js';
import { formatPercent, formatRate } from '../../units/quantity.js';
import type { ProbePresentation, SpecResultPresentation } from '../types.js';
import type { LoadMeasurement, ScenarioMeasurement, ScenarioRun } from './measurement.js';
import { protocolFaultRows } from './protocol-faults.js';
import { presentQueriesUnderLoad } from './queries-under-load.js';
import { presentScalability } from './scalability.js';
import { shardNote, withShardMeta } from './shard.js';

const ms = (value: number) => formatDuration(value);

/**
 * One result per scenario, in the measurement's order (judge's lists of verdicts are in the same
 * order). Nothing shown depends on the verdicts, which the engine puts beside each presentation.
 */
export function presentLoad(measurement: LoadMeasurement): SpecResultPresentation[] {
  return measurement.scenarios.map(presentScenario);
}

export function presentScenario(scenario: ScenarioMeasurement): SpecResultPresentation {
  const probe = scenario.kind === 'scalability' ? presentScalability(scenario.points, scenario.reports) : presentRun(scenario);
  if (scenario.description) probe.notes.unshift(scenario.description);
  return { name: scenario.name, request: scenario.request, durationMs: scenario.durationMs, probe };
}

/** One load run: the report's tables and notes, the statements per request beside them, a shard's marks. */
function presentRun(scenario: ScenarioRun): ProbePresentation {
  const { report, shard } = scenario;
  const shown = presentLoadReport(report, new Map(scenario.flowWeights));
  const queries = typeof scenario.queries === 'object' ? scenario.queries : undefined;
  let data: Record<string, unknown> = { ...report };
  if (queries) {
    const figures = presentQueriesUnderLoad(queries);
    // Right after the Requests table, which names the same requests.
    shown.tables.splice(1, 0, ...figures.tables);
    shown.notes.push(...figures.notes);
    data.queries = queries;
  }
  if (shard) {
    shown.notes.unshift(shardNote(shard.run));
    if (report.shardData)
      data = {
        ...data,
        shardData: withShardMeta(report.shardData, {
          thresholds: shard.thresholds,
          flowWeights: Object.fromEntries(scenario.flowWeights),
          description: scenario.description,
          request: scenario.request,
        }),
      };
  }
  shown.data = data;
  // The generator ran out of its own resources: the figures stay in the report, but the run
  // measured perfspec, so the check is an error (exit 3), not a verdict on the target.
  if (report.stoppedEarly?.by === 'resources') shown.error = `stopped after ${formatDuration(report.stoppedEarly.atMs)}: ${report.stoppedEarly.reason}`;
  return shown;
}

/** A finished load run's tables, series and notes; its data is the report itself. */
export function presentLoadReport(report: LoadReport, weights: Map<string, number>): ProbePresentation {
  const notes: string[] = [];
  const { started, planned, completed } = report.iterations;
  if (planned !== undefined) {
    const notStarted = Math.max(0, planned - started);
    if (notStarted > 0)
      notes.push(
        `The time limit of ${ms(report.plannedMs)} ended the run: ${completed} of ${planned} planned iterations completed, ${notStarted} never started.`,
      );
  }
  if (report.stoppedEarly) {
    notes.push(
      `Stopped after ${ms(report.stoppedEarly.atMs || report.elapsedMs)} of ${ms(report.plannedMs)}: ${report.stoppedEarly.reason}. The figures cover what ran until then.`,
    );
  }
  if (report.bodiesOverMaxBodySize) {
    notes.push(
      `Body over maxBodySize: ${report.bodiesOverMaxBodySize} responses had a body longer than the scenario's maxBodySize; each was read to its end and timed, and only its first maxBodySize bytes kept for expectations and captures.`,
    );
  }
  if (report.iterations.late > 0) notes.push(`${report.iterations.late} iterations started more than 10ms behind schedule (generator lag).`);

  return {
    tables: buildTables(report, weights),
    series: buildSeries(report),
    notes,
    data: report as unknown as Record<string, unknown>,
  };
}

function latencyCells(latency: LatencySummary): string[] {
  return latency.count === 0 ? ['–', '–', '–', '–'] : [ms(latency.p50), ms(latency.p95), ms(latency.p99), ms(latency.max)];
}

function requestRow(label: string, stats: RequestStats, withDrops = false): string[] {
  const row = [
    label,
    String(stats.requests),
    ...latencyCells(stats.latency),
    String(stats.errors),
    formatPercent(round(stats.errorRate)),
    formatRate(stats.throughput),
  ];
  if (withDrops) row.splice(2, 0, String(stats.dropped ?? 0));
  return row;
}

function buildTables(report: LoadReport, weights: Map<string, number>): ReportTable[] {
  // With drops the latency columns stay the measured ones and a Dropped column sits beside the count;
  // the error rate counts the drops (see the thresholds for percentiles that do).
  const drops = report.iterations.dropped > 0;
  const requestColumns = ['Request', 'Count', ...(drops ? ['Dropped'] : []), 'p50', 'p95', 'p99', 'Max', 'Errors', 'Error rate', 'Throughput'];
  const tables: ReportTable[] = [
    {
      title: drops ? 'Requests (latencies of the requests sent; dropped ones count in the error rate)' : 'Requests',
      columns: requestColumns,
      rows: [...report.requests.map((r) => requestRow(r.name, r, drops)), requestRow('All requests', report.overall, drops)],
    },
  ];
  const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0) || 1;
  tables.push({
    title: 'Flows',
    columns: ['Flow', 'Weight', 'Requests', 'p95', 'Errors', 'Error rate'],
    rows: report.flows.map((f) => [
      f.flow ?? '',
      formatPercent(round(((weights.get(f.flow ?? '') ?? 0) / totalWeight) * 100)),
      String(f.requests),
      f.latency.count ? ms(f.latency.p95) : '–',
      String(f.errors),
      formatPercent(round(f.errorRate)),
    ]),
  });
  if (report.regions.length > 0) {
    tables.push({
      title: 'Regions',
      columns: ['Region', 'Count', 'p50', 'p95', 'p99', 'Max', 'Errors', 'Error rate', 'Throughput'],
      rows: report.regions.map((r) => requestRow(r.region ?? '', r)),
    });
  }
  const outcomes = [
    ...Object.entries(report.overall.statusCodes).map(([status, count]) => [`HTTP ${status}`, String(count)]),
    ...Object.entries(report.overall.errorKinds).map(([kind, count]) => [kind.replace(/_/g, ' '), String(count)]),
    ...(report.bodiesOverMaxBodySize ? [['body over maxBodySize (read and timed, not kept whole)', String(report.bodiesOverMaxBodySize)]] : []),
  ];
  tables.push({ title: 'Statuses and errors', columns: ['Outcome', 'Count'], rows: outcomes });
  const protocolRows = protocolFaultRows(report);
  if (protocolRows.length > 0)
    tables.push({
      title: 'Protocol errors (responses that broke HTTP/1.1)',
      columns: ['Kind', 'Count'],
      rows: protocolRows.map(([label, n]) => [label, String(n)]),
    });
  const corrected = report.overall.latency;
  const naive = report.uncorrected;
  tables.push({
    title: 'Latency: from intended send time (reported) vs from actual send time (hides queueing)',
    columns: ['Measured from', 'p50', 'p95', 'p99', 'p99.9', 'Max'],
    rows: [
      [
        'intended send time',
        ...(corrected.count ? [ms(corrected.p50), ms(corrected.p95), ms(corrected.p99), ms(corrected['p99.9']), ms(corrected.max)] : ['–', '–', '–', '–', '–']),
      ],
      ['actual send time', ...(naive.count ? [ms(naive.p50), ms(naive.p95), ms(naive.p99), ms(naive['p99.9']), ms(naive.max)] : ['–', '–', '–', '–', '–'])],
    ],
  });
  if (report.iterations.dropped > 0) {
    // Only the seconds that dropped something: a stall shows as a short run of rows.
    tables.push({
      title: 'Dropped arrivals per second',
      columns: ['Second', 'Dropped', 'Requests', 'p95 (measured)'],
      rows: report.timeline.filter((p) => p.dropped > 0).map((p) => [`${p.second}s`, String(p.dropped), String(p.requests), p.p95 === null ? '–' : ms(p.p95)]),
    });
  }
  if (report.breakpoint) {
    tables.push({
      title: 'Breakpoint steps',
      columns: ['Rate', 'SLA', 'p95', 'Error rate'],
      rows: report.breakpoint.steps.map((s) => [
        formatRate(s.rate),
        s.passed ? 'met' : 'broken',
        s.p95 === null ? '–' : ms(s.p95),
        formatPercent(round(s.errorRate)),
      ]),
    });
  }
  const h = report.health;
  const planned = report.iterations.planned;
  tables.push({
    title: 'Run',
    columns: ['Item', 'Value'],
    rows: [
      [
        'Executor',
        `${report.executor}${report.profile ? ` (profile ${report.profile})` : ''}, ${report.workers} generator thread${report.workers > 1 ? 's' : ''}`,
      ],
      ['Duration', `${ms(report.elapsedMs)} (${planned !== undefined ? 'at most' : 'planned'} ${ms(report.plannedMs)})${report.aborted ? ', aborted' : ''}`],
      ['Peak users', String(report.peakUsers)],
      ...(report.start ? [['Start', describeStart(report.start)]] : []),
      [
        'Iterations',
        `${report.iterations.started} started, ${report.iterations.completed} completed${planned !== undefined ? ` of ${planned} planned` : ''}, ${report.iterations.dropped} dropped, ${report.iterations.late} late`,
      ],
      ['Host', describeContention(report.contention)],
      [
        'Generator',
        `${h.trustworthy ? 'not saturated' : 'SATURATED'}: event loop busy ${Math.round(h.eventLoopUtilization * 100)}%, delay p99 ${ms(h.eventLoopDelayP99Ms)}, CPU ${h.cpuCores.toFixed(2)} cores`,
      ],
    ],
  });
  return tables;
}

function buildSeries(report: LoadReport): ReportSeries[] {
  const points = report.timeline;
  return [
    { title: 'Throughput', unit: 'req/s', points: points.map((p) => [p.second, p.requests]) },
    { title: 'p95 latency', unit: 'ms', points: points.filter((p) => p.p95 !== null).map((p) => [p.second, p.p95 as number]) },
    { title: 'Errors', unit: 'errors/s', points: points.map((p) => [p.second, p.errors]) },
    { title: 'Users', unit: 'users', points: points.map((p) => [p.second, p.users]) },
    ...(report.iterations.dropped > 0
      ? [{ title: 'Dropped arrivals', unit: 'arrivals/s', points: points.map((p): [number, number] => [p.second, p.dropped]) }]
      : []),
  ];
}

function describeStart(start: NonNullable<LoadReport['start']>): string {
  const spread = start.spreadMs > 0 ? `users present at the start began evenly over the first ${ms(start.spreadMs)}` : 'all users began at once';
  // The default window is the executor's: 10 % of the first stage for stage-driven ones, none for the others.
  const why = start.defaulted ? (start.spreadMs > 0 ? ' (startSpread default: 10 % of the first stage, at most 10s)' : '') : ' (startSpread)';
  return `${spread}${why}${start.randomFirstThink ? '; first think time randomised' : ''}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function describeContention(contention: LoadReport['contention']): string {
  if (!contention) return 'not measured (no /proc on this system)';
  const figures = `machine CPU ${Math.round(contention.machineBusy * 100)}% busy, other programs ${contention.otherCores.toFixed(2)} of ${contention.cpus} CPUs`;
  if (contention.unassessed) return `${figures}; contention not judged: ${contention.unassessed}`;
  return contention.contended ? `CONTENDED: ${figures}` : `not contended: ${figures}`;
}
