/**
 * The one shape the templates render: everything formatted in advance, so templates only loop
 * and print. Pure.
 */
import type { ReportSeries, ReportTable, RunResult, Status } from './result.js';
import { formatDuration } from '../units/duration.js';
import { describeEnvironment } from './environment.js';
import { standingOf, type Standing, type Verdict } from '../verdict/types.js';

/** Status words for the HTML report (no emoji: not every machine has a font for them). */
export const STATUS_WORDS: Record<Status, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  warned: 'WARN',
  error: 'ERROR',
  skipped: 'SKIPPED',
};

export const STATUS_LABELS: Record<Status, string> = {
  passed: '✅ PASS',
  failed: '❌ FAIL',
  warned: '⚠️ WARN',
  error: '💥 ERROR',
  skipped: '⏭️ SKIPPED',
};

export interface VerdictRow {
  check: string;
  probe: string;
  metric: string;
  target: string;
  actual: string;
  passed: boolean;
  level: string;
  /** How the verdict counts: pass, fail, warn, inconclusive (a warning unless `inconclusive: fail`). */
  standing: Standing;
  /** An emoji mark for Markdown. */
  status: string;
  /** A word for places without emoji fonts (HTML, terminals). */
  word: VerdictWord;
  message: string;
}

export type VerdictWord = 'PASS' | 'FAIL' | 'WARN' | 'INCONCLUSIVE';

const VERDICT_WORDS: Record<Standing, VerdictWord> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', inconclusive: 'INCONCLUSIVE' };
const VERDICT_MARKS: Record<Standing, string> = { pass: '✅', fail: '❌', warn: '⚠️', inconclusive: '❔' };

/** The word a verdict is shown with; an inconclusive verdict counted as a failure reads "FAIL (INCONCLUSIVE)". */
export function verdictWord(verdict: Verdict): string {
  const standing = standingOf(verdict);
  return standing === 'fail' && verdict.outcome === 'inconclusive' ? 'FAIL (INCONCLUSIVE)' : VERDICT_WORDS[standing];
}

export interface ChartView {
  title: string;
  unit: string;
  /** SVG polyline points in a 600×160 box. */
  points: string;
  max: string;
  duration: string;
}

export interface CheckView {
  name: string;
  section: string;
  request: string;
  status: Status;
  statusLabel: string;
  statusWord: string;
  duration: string;
  verdicts: VerdictRow[];
  tables: ReportTable[];
  notes: string[];
  errors: string[];
  charts: ChartView[];
  /** For JUnit: "spec name.check name". */
  className: string;
}

export interface SpecView {
  name: string;
  file: string;
  status: Status;
  statusLabel: string;
  statusWord: string;
  errors: string[];
  checks: CheckView[];
  verdictCount: number;
  /** Verdicts that fail the spec (error-level fails, and inconclusive ones under `inconclusive: fail`). */
  failedCount: number;
}

export interface ReportView {
  title: string;
  headline: string;
  status: Status;
  statusLabel: string;
  statusWord: string;
  aborted: boolean;
  runId: string;
  startedAt: string;
  duration: string;
  tool: string;
  summary: RunResult['summary'];
  /** One line about the host and versions, or '' for results without it. */
  environment: string;
  specs: SpecView[];
  /** Every verdict in the seed's table shape: Check | Budget | Target | Actual | Status. */
  rows: VerdictRow[];
  failures: VerdictRow[];
  /** Before → after rows (only numeric budgets), when a baseline was given. */
  comparison?: { baseline: string; rows: Array<{ check: string; metric: string; before: string; after: string; change: string; status: string; word: string }> };
}

const OUTCOME_LABELS = { regressed: '❌ regressed', fixed: '✅ fixed', same: '', new: 'new' } as const;
const OUTCOME_WORDS = { regressed: 'regressed', fixed: 'fixed', same: '', new: 'new' } as const;

const HEADLINES: Record<Status, string> = {
  passed: 'PASSED: every budget met',
  warned: 'PASSED with warnings (or verdicts the data could not settle)',
  failed: 'FAILED: budgets not met',
  error: 'ERROR: a service, the target or a probe broke',
  skipped: 'SKIPPED',
};

export function buildReportView(result: RunResult): ReportView {
  const specs = result.specs.map((spec): SpecView => {
    const checks = spec.checks.map((check): CheckView => {
      const verdicts = check.probes.flatMap((probe) =>
        probe.verdicts.map((verdict) => {
          const standing = standingOf(verdict);
          return {
            ...verdict,
            standing,
            status: standing === 'fail' && verdict.outcome === 'inconclusive' ? '❌❔' : VERDICT_MARKS[standing],
            word: VERDICT_WORDS[standing],
          };
        }),
      );
      return {
        name: check.name,
        section: check.section,
        request: check.request ?? '',
        status: check.status,
        statusLabel: STATUS_LABELS[check.status],
        statusWord: STATUS_WORDS[check.status],
        duration: formatDuration(check.durationMs),
        verdicts,
        tables: check.probes.flatMap((probe) => probe.tables),
        notes: check.probes.flatMap((probe) => probe.notes),
        errors: check.probes.filter((probe) => probe.error).map((probe) => `${probe.kind} probe broke: ${probe.error}`),
        charts: check.probes.flatMap((probe) => (probe.series ?? []).map(toChart)),
        className: `${spec.name}.${check.name}`,
      };
    });
    const verdicts = checks.flatMap((check) => check.verdicts);
    return {
      name: spec.name,
      file: spec.file,
      status: spec.status,
      statusLabel: STATUS_LABELS[spec.status],
      statusWord: STATUS_WORDS[spec.status],
      errors: spec.errors,
      checks,
      verdictCount: verdicts.length,
      failedCount: verdicts.filter((verdict) => verdict.standing === 'fail').length,
    };
  });
  const rows = specs.flatMap((spec) => spec.checks.flatMap((check) => check.verdicts));
  const title = specs.length === 1 ? specs[0].name : `${specs.length} specs`;
  return {
    title,
    headline: `${result.aborted ? 'ABORTED (partial results): ' : ''}${HEADLINES[result.status]}`,
    status: result.status,
    statusLabel: STATUS_LABELS[result.status],
    statusWord: STATUS_WORDS[result.status],
    aborted: result.aborted,
    runId: result.runId,
    startedAt: result.startedAt,
    duration: formatDuration(result.durationMs),
    tool: `${result.tool.name} ${result.tool.version}`,
    summary: result.summary,
    environment: result.environment ? describeEnvironment(result.environment) : '',
    specs,
    rows,
    failures: rows.filter((row) => !row.passed),
    comparison: result.comparison && {
      baseline: `${result.comparison.baselineRunId} (${result.comparison.baselineStartedAt})`,
      rows: result.comparison.rows
        .filter((row) => row.beforeValue !== null || row.afterValue !== null)
        .map((row) => ({
          check: row.check,
          metric: row.metric,
          before: row.before,
          after: row.after,
          change: row.changePercent === null ? '' : `${row.changePercent > 0 ? '+' : ''}${row.changePercent.toFixed(1)}%`,
          status: OUTCOME_LABELS[row.outcome],
          word: OUTCOME_WORDS[row.outcome],
        })),
    },
  };
}

/** A series scaled into the chart box of the HTML report. */
export function toChart(series: ReportSeries): ChartView {
  const width = 600;
  const height = 160;
  const maxX = Math.max(1, ...series.points.map(([x]) => x));
  const maxY = Math.max(0, ...series.points.map(([, y]) => y));
  const scaleY = maxY > 0 ? maxY * 1.1 : 1;
  const points = series.points
    .map(([x, y]) => `${((x / maxX) * width).toFixed(1)},${(height - (y / scaleY) * height).toFixed(1)}`)
    .join(' ');
  return { title: series.title, unit: series.unit, points, max: `${Number(maxY.toFixed(2))} ${series.unit}`, duration: `${maxX}s` };
}

/** Markdown table cells cannot hold "|" or newlines. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
