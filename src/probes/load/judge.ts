/**
 * The load probe's judge: each scenario's measurement against its budgets → its verdicts. Pure;
 * every verdict of a load result is built here or in the pure judging functions this calls
 * (judgeThresholds for the thresholds, judgeQueriesUnderLoad for statements per request).
 */
import { judgeThresholds } from '../../load/thresholds/judge-thresholds.js';
import type { Distortion } from '../../load/thresholds/saturation.js';
import type { ParsedThreshold } from '../../load/thresholds/parse-thresholds.js';
import { statsForScope } from '../../load/thresholds/scope-stats.js';
import { isResourceError } from '../../load/run/resource-errors.js';
import type { ErrorKind, LoadReport } from '../../load/types.js';
import { formatDuration } from '../../units/duration.js';
import { formatRate } from '../../units/quantity.js';
import { judgeCondition } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import type { LoadMeasurement, ScalabilityRun, ScenarioMeasurement, ScenarioRun } from './measurement.js';
import { protocolFaultRows } from './protocol-faults.js';
import { judgeQueriesUnderLoad } from './queries-under-load.js';
import { DEFAULT_MIN_EFFICIENCY } from './scalability.js';

const ms = (value: number) => formatDuration(value);

/** One list of verdicts per scenario, in the measurement's order. */
export function judgeLoad(measurement: LoadMeasurement): Verdict[][] {
  return measurement.scenarios.map(judgeScenario);
}

export function judgeScenario(scenario: ScenarioMeasurement): Verdict[] {
  if (scenario.kind === 'scalability') return judgeScalability(scenario);
  return [...judgeLoadReport(scenario.report, scenario.thresholds, scenario.name), ...judgeQueries(scenario)];
}

/** Statements per request: judged from the proxy's traces, or inconclusive without the proxy. */
function judgeQueries(scenario: ScenarioRun): Verdict[] {
  if (scenario.queries === undefined) return [];
  return judgeQueriesUnderLoad(scenario.queries === 'no proxy' ? undefined : scenario.queries, scenario.queryThresholds, scenario.name);
}

/** One finished load run against its thresholds, and the budgets every run is judged on. */
export function judgeLoadReport(report: LoadReport, thresholds: ParsedThreshold[], check: string): Verdict[] {
  const verdicts: Verdict[] = [];

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
  return verdicts;
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

/** The generator's health and the host's contention, as the threshold judge weighs them. */
function distortionOf(report: LoadReport): Distortion {
  return { ...report.health, ...(report.contention?.contended && report.contention.reason ? { contention: report.contention.reason } : {}) };
}

/** A scalability search: one replica must meet the SLA, and each replica count scale to minEfficiency. */
export function judgeScalability({
  points,
  name: check,
  minEfficiency = DEFAULT_MIN_EFFICIENCY,
}: Pick<ScalabilityRun, 'points' | 'name' | 'minEfficiency'>): Verdict[] {
  const verdicts: Verdict[] = [];
  const one = points.find((p) => p.replicas === 1);
  verdicts.push(
    judgeCondition(
      { check, probe: 'load', metric: 'load.scalability.one_replica' },
      'a rate that meets the SLA with 1 replica',
      one?.throughput == null ? 'none' : formatRate(one.throughput),
      one?.throughput != null,
      one?.throughput == null
        ? 'no step met the SLA with one replica, so there is no base to scale from'
        : `one replica met the SLA up to ${formatRate(one.throughput)}`,
      one?.throughput ?? null,
    ),
  );
  for (const p of points.filter((q) => q.replicas > 1)) {
    verdicts.push(
      judgeCondition(
        { check, probe: 'load', metric: `load.scalability.efficiency_${p.replicas}`, level: 'warn' },
        `>= ${minEfficiency.toFixed(2)}`,
        p.efficiency === null ? 'n/a' : p.efficiency.toFixed(2),
        p.efficiency !== null && p.efficiency >= minEfficiency,
        p.efficiency === null
          ? `no step met the SLA with ${p.replicas} replicas`
          : `${p.replicas} replicas met the SLA up to ${formatRate(p.throughput ?? 0)}: ${p.efficiency.toFixed(2)} of ${p.replicas} × one replica`,
        p.efficiency,
      ),
    );
  }
  return verdicts;
}
