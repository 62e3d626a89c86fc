/**
 * A finished load run → what reports show: verdicts, preformatted tables, the timeline series and
 * notes. Pure; the CheckResult carries the raw LoadReport as data for the JSON report and baselines.
 */
import { judgeThresholds } from '../../load/thresholds/judge-thresholds.js';
import type { Distortion } from '../../load/thresholds/saturation.js';
import type { ParsedThreshold } from '../../load/thresholds/parse-thresholds.js';
import { statsForScope } from '../../load/thresholds/scope-stats.js';
import { isResourceError } from '../../load/run/resource-errors.js';
import type { ErrorKind, LatencySummary, LoadReport, RequestStats } from '../../load/types.js';
import { PROTOCOL_FAULTS, type ProtocolFault } from '../../sources/http/error-kind.js';
import type { ProbeResult, ReportTable, ReportSeries } from '../../result/result.js';
import { formatDuration } from '../../units/duration.js';
import { formatPercent, formatRate } from '../../units/quantity.js';
import { judgeCondition } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';

const ms = (value: number) => formatDuration(value);

export function presentLoadReport(report: LoadReport, thresholds: ParsedThreshold[], check: string, weights: Map<string, number>): ProbeResult {
  const verdicts: Verdict[] = [];
  const notes: string[] = [];

  if (report.breakpoint) {
    // The SLA was judged step by step to find where it breaks; judging it over the whole run
    // would fail by design. The answer is the highest rate that met it.
    const { highestPassingRate, brokeAtRate } = report.breakpoint;
    const actual = highestPassingRate === null ? 'none' : formatRate(highestPassingRate);
    verdicts.push(
      judgeCondition(
        { check, probe: 'load', metric: 'load.breakpoint' },
        'a rate that meets the SLA',
        actual,
        highestPassingRate !== null,
        highestPassingRate === null
          ? `no step met the SLA (it broke at ${formatRate(brokeAtRate ?? 0)})`
          : `the SLA held up to ${actual}${brokeAtRate === null ? ' (the highest rate tried; it never broke)' : `, and broke at ${formatRate(brokeAtRate)}`}`,
        highestPassingRate,
      ),
    );
  } else {
    verdicts.push(...judgeThresholds(thresholds, (scope) => statsForScope(report, scope), check, distortionOf(report)).verdicts);
  }

  const { dropped, started } = report.iterations;
  // Judged in every run, passing or not, so the set of budgets (CI testcases) never changes with
  // the machine's load or the target's speed.
  verdicts.push(
    judgeCondition(
      { check, probe: 'load', metric: 'load.dropped_iterations', level: 'warn' },
      '0',
      String(dropped),
      dropped === 0,
      dropped === 0
        ? 'no planned iteration was dropped'
        : `${dropped} of ${dropped + started} planned iterations were dropped: every allowed user was busy (raise maxUsers, or the target is too slow for the rate). Their requests count as failed in success_rate and as slower than any measured latency in latency thresholds; see "Dropped arrivals per second"`,
      dropped,
    ),
  );
  const { planned, completed } = report.iterations;
  if (planned !== undefined) {
    // Executors with a fixed number of iterations: did they all run to the end within the time limit?
    const notStarted = Math.max(0, planned - started);
    verdicts.push(
      judgeCondition(
        { check, probe: 'load', metric: 'load.iterations_completed', level: 'warn' },
        String(planned),
        String(completed),
        completed >= planned,
        completed >= planned
          ? `all ${planned} planned iterations completed`
          : `${completed} of ${planned} planned iterations completed${notStarted > 0 ? `; ${notStarted} never started: the time limit of ${ms(report.plannedMs)} ended the run first` : ''}${started - completed > 0 ? `; ${started - completed} ended on a failed request or were cut at the end` : ''}`,
        completed,
      ),
    );
    if (notStarted > 0)
      notes.push(
        `The time limit of ${ms(report.plannedMs)} ended the run: ${completed} of ${planned} planned iterations completed, ${notStarted} never started.`,
      );
  }
  const resourceErrors = Object.entries(report.overall.errorKinds).filter(([kind, n]) => isResourceError(kind as ErrorKind) && (n ?? 0) > 0);
  if (report.stoppedEarly?.by !== 'resources') {
    const total = resourceErrors.reduce((sum, [, n]) => sum + (n ?? 0), 0);
    verdicts.push(
      judgeCondition(
        { check, probe: 'load', metric: 'load.generator_resources', level: 'warn' },
        '0',
        String(total),
        total === 0,
        total === 0
          ? "no request failed on the generator's own limits"
          : `${total} requests failed on the generator's own limits (${resourceErrors.map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`).join(', ')}) before reaching the target; they count as errors: raise the open-file limit or lower connections`,
        total,
      ),
    );
  }
  verdicts.push(judgeProtocolErrors(report, check));
  verdicts.push(
    judgeCondition(
      { check, probe: 'load', metric: 'load.generator', level: 'warn' },
      'generator not saturated',
      report.health.trustworthy ? 'not saturated' : 'saturated',
      report.health.trustworthy,
      report.health.trustworthy
        ? 'the load generator kept up (its event loop and CPU were not saturated)'
        : `the load generator was saturated, so latencies may be its own: ${report.health.reasons.join('; ')}`,
    ),
  );
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
    kind: 'load',
    verdicts,
    tables: buildTables(report, weights),
    series: buildSeries(report),
    notes,
    data: report as unknown as Record<string, unknown>,
  };
}

/** How each framing fault reads in a report. */
const PROTOCOL_FAULT_LABELS: Record<ProtocolFault, string> = {
  bad_content_length: 'bad Content-Length (negative, malformed or conflicting)',
  bad_status_line: 'bad status line',
  bad_chunk: 'bad chunk size',
  unrequested_bytes: 'bytes after a complete response (a response sent before its request)',
  idle_answer: 'answer on an idle connection (no request in flight)',
};

/** The framing faults of a run by kind, in a fixed order; for reports from before the breakdown, the total alone. */
function protocolFaultRows(report: LoadReport): Array<[string, number]> {
  const counts = report.protocolErrors ?? {};
  const rows = PROTOCOL_FAULTS.filter((fault) => (counts[fault] ?? 0) > 0).map((fault): [string, number] => [PROTOCOL_FAULT_LABELS[fault], counts[fault]!]);
  const charged = report.overall.errorKinds.protocol_error ?? 0;
  const broken = PROTOCOL_FAULTS.reduce((sum, fault) => sum + (fault === 'idle_answer' ? 0 : (counts[fault] ?? 0)), 0);
  if (charged > broken) rows.push(['protocol error (kind not recorded)', charged - broken]);
  return rows;
}

/**
 * A target that breaks HTTP/1.1 framing never passes silently: judged in every run (an error-level
 * budget of 0), so a response sent before its request or a `Content-Length: -5` fails the run even
 * when no threshold looks at errors. Requests that got such a response count as failed requests.
 */
function judgeProtocolErrors(report: LoadReport, check: string): Verdict {
  const rows = protocolFaultRows(report);
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  const idle = report.protocolErrors?.idle_answer ?? 0;
  return judgeCondition(
    { check, probe: 'load', metric: 'load.protocol_errors' },
    '0',
    String(total),
    total === 0,
    total === 0
      ? 'every response was well-formed HTTP/1.1'
      : `the target broke HTTP/1.1 ${total} time${total === 1 ? '' : 's'} (${rows.map(([label, n]) => `${n} ${label}`).join(', ')}); ${total - idle} request${total - idle === 1 ? '' : 's'} counted as failed (protocol_error)${idle > 0 ? ` and ${idle} answer${idle === 1 ? '' : 's'} arrived with no request in flight` : ''}: check the server (or the proxy in front of it) and its Content-Length framing`,
    total,
  );
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

/** The generator's health and the host's contention, as the threshold judge weighs them. */
function distortionOf(report: LoadReport): Distortion {
  return { ...report.health, ...(report.contention?.contended && report.contention.reason ? { contention: report.contention.reason } : {}) };
}

function describeContention(contention: LoadReport['contention']): string {
  if (!contention) return 'not measured (no /proc on this system)';
  const figures = `machine CPU ${Math.round(contention.machineBusy * 100)}% busy, other programs ${contention.otherCores.toFixed(2)} of ${contention.cpus} CPUs`;
  if (contention.unassessed) return `${figures}; contention not judged: ${contention.unassessed}`;
  return contention.contended ? `CONTENDED: ${figures}` : `not contended: ${figures}`;
}
