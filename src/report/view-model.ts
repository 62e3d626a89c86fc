/**
 * The one shape the templates render: everything formatted in advance, so templates only loop
 * and print. Pure.
 */
import type { ReportTable, RunResult, Status } from '../result/result.js';
import { formatDuration } from '../units/duration.js';
import { standingOf, type Standing, type Verdict } from '../verdict/types.js';
import type { Chart } from './charts/svg.js';
import { chartsOfProbe } from './charts/from-probes.js';

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
  /** The request as sent (method and URL, secrets masked) beside a verdict that did not pass; '' otherwise. */
  sent: string;
}

export type VerdictWord = 'PASS' | 'FAIL' | 'WARN' | 'INCONCLUSIVE';
/** How each standing is shown: inconclusive looks like a warning but is named (and counted) apart. */
export const VERDICT_WORDS: Record<Standing, VerdictWord> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', inconclusive: 'INCONCLUSIVE' };
export const VERDICT_MARKS: Record<Standing, string> = { pass: '✅', fail: '❌', warn: '⚠️', inconclusive: '❔' };

/** The word a verdict is shown with; an inconclusive verdict counted as a failure reads "FAIL (INCONCLUSIVE)". */
export function verdictWord(verdict: Verdict): string {
  const standing = standingOf(verdict);
  return standing === 'fail' && verdict.outcome === 'inconclusive' ? 'FAIL (INCONCLUSIVE)' : VERDICT_WORDS[standing];
}

/** A verdict's emoji mark: an inconclusive verdict counted as a failure is "❌❔". */
export function verdictMark(verdict: Verdict): string {
  const standing = standingOf(verdict);
  return standing === 'fail' && verdict.outcome === 'inconclusive' ? '❌❔' : VERDICT_MARKS[standing];
}

export interface CheckView {
  name: string;
  section: string;
  request: string;
  /** The request as sent, when a verdict did not pass ('' otherwise). */
  sent: string;
  status: Status;
  statusLabel: string;
  statusWord: string;
  duration: string;
  verdicts: VerdictRow[];
  tables: ReportTable[];
  notes: string[];
  errors: string[];
  charts: Chart[];
  /** The HTML anchor of the check's section ("check-3"). */
  anchor: string;
  /** Counts of the check's verdicts by standing, for the folded section's one-line summary. */
  counts: Record<Standing, number>;
}

export interface SpecView {
  name: string;
  file: string;
  /** The first 12 hex digits of the spec's sha256 ('' when unknown). */
  sha256: string;
  target: string;
  status: Status;
  statusLabel: string;
  statusWord: string;
  errors: string[];
  checks: CheckView[];
  verdictCount: number;
  /** Verdicts that fail the spec (error-level fails, and inconclusive ones under `inconclusive: fail`). */
  failedCount: number;
}

export interface AttentionItem {
  word: VerdictWord | 'ERROR';
  check: string;
  metric: string;
  message: string;
  target: string;
  actual: string;
  /** The request as sent ('' when unknown, e.g. a run error or a load scenario). */
  sent: string;
  /** Section anchor ('' for run errors outside any check). */
  anchor: string;
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
  summary: RunResult['summary'] & { inconclusive: number };
  /** Where it was measured, as label/value pairs ready to print. */
  environment: Array<[string, string]>;
  specs: SpecView[];
  /** Every verdict in the seed's table shape: Check | Budget | Target | Actual | Status. */
  rows: VerdictRow[];
  failures: VerdictRow[];
  /** What a reader must see first: run errors, broken probes, then budgets not met (failed, inconclusive, warned), each linking to its section. */
  attention: AttentionItem[];
  /** Before → after rows (only numeric budgets), when a baseline was given. */
  comparison?: {
    baseline: string;
    rows: Array<{ check: string; metric: string; before: string; after: string; change: string; status: string; word: string }>;
  };
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

const ATTENTION_ORDER: Record<Standing, number> = { fail: 0, inconclusive: 1, warn: 2, pass: 3 };

export function buildReportView(result: RunResult): ReportView {
  let checkNumber = 0;
  const specs = result.specs.map((spec): SpecView => {
    const checks = spec.checks.map((check): CheckView => {
      const anchor = `check-${++checkNumber}`;
      const baselineQueryGroups = result.comparison?.queryGroups?.find((entry) => entry.spec === spec.name && entry.check === check.name)?.groups;
      const verdicts: VerdictRow[] = check.probes.flatMap((probe) =>
        probe.verdicts.map((verdict) => {
          const standing = standingOf(verdict);
          return { ...verdict, standing, status: verdictMark(verdict), word: VERDICT_WORDS[standing], sent: standing === 'pass' ? '' : (check.sent ?? '') };
        }),
      );
      return {
        name: check.name,
        section: check.section,
        request: check.request ?? '',
        sent: check.sent ?? '',
        status: check.status,
        statusLabel: STATUS_LABELS[check.status],
        statusWord: STATUS_WORDS[check.status],
        duration: formatDuration(check.durationMs),
        verdicts,
        tables: check.probes.flatMap((probe) => probe.tables),
        notes: check.probes.flatMap((probe) => probe.notes),
        errors: check.probes.filter((probe) => probe.error).map((probe) => `${probe.kind} probe broke: ${probe.error}`),
        charts: check.probes.flatMap((probe) => chartsOfProbe(probe, { id: anchor, check, baselineQueryGroups })),
        anchor,
        counts: countStandings(verdicts.map((verdict) => verdict.standing)),
      };
    });
    const verdicts = checks.flatMap((check) => check.verdicts);
    return {
      name: spec.name,
      file: spec.file,
      sha256: spec.sha256?.slice(0, 12) ?? '',
      target: spec.target ?? '',
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
    summary: { ...result.summary, inconclusive: result.summary.inconclusive ?? 0 },
    environment: environmentLines(result),
    specs,
    rows,
    failures: rows.filter((row) => !row.passed),
    attention: attentionItems(specs),
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

function countStandings(standings: Standing[]): Record<Standing, number> {
  const counts: Record<Standing, number> = { pass: 0, fail: 0, warn: 0, inconclusive: 0 };
  for (const standing of standings) counts[standing] += 1;
  return counts;
}

function attentionItems(specs: SpecView[]): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const spec of specs) {
    for (const error of spec.errors)
      items.push({
        word: 'ERROR',
        check: spec.name,
        metric: 'run',
        message: error.split('\n')[0],
        target: '',
        actual: '',
        sent: sentLineOf(error),
        anchor: '',
      });
    for (const check of spec.checks)
      for (const error of check.errors)
        items.push({ word: 'ERROR', check: check.name, metric: 'probe', message: error, target: '', actual: '', sent: check.sent, anchor: check.anchor });
  }
  const budgets = specs.flatMap((spec) =>
    spec.checks.flatMap((check) => check.verdicts.filter((row) => row.standing !== 'pass').map((row) => ({ row, anchor: check.anchor }))),
  );
  budgets.sort((a, b) => ATTENTION_ORDER[a.row.standing] - ATTENTION_ORDER[b.row.standing]);
  for (const { row, anchor } of budgets)
    items.push({ word: row.word, check: row.check, metric: row.metric, message: row.message, target: row.target, actual: row.actual, sent: row.sent, anchor });
  return items;
}

/** The "sent: GET …" detail line of a setup/teardown error (engine/steps.ts), '' when it has none. */
function sentLineOf(error: string): string {
  return /^\s*sent: (.+)$/m.exec(error)?.[1] ?? '';
}

/** The environment block in words: what was measured, with what, on what. */
export function environmentLines(result: RunResult): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  for (const spec of result.specs) {
    if (spec.target) lines.push(['Target', result.specs.length > 1 ? `${spec.target} (${spec.name})` : spec.target]);
    lines.push(['Spec', `${spec.file}${spec.sha256 ? ` (sha256 ${spec.sha256.slice(0, 12)})` : ''}`]);
  }
  const env = result.environment;
  if (!env) return lines;
  // Results whose specs do not carry their target (merged shards, older runs): the run's targets.
  if (!result.specs.some((spec) => spec.target) && env.targets.length > 0) lines.unshift(['Target', env.targets.join(', ')]);
  lines.push(['perfspec', `${env.perfspec} on Node ${env.node}, ${env.platform} ${env.arch}`]);
  const load = (values: number[] | undefined) => (values ? values.map((value) => value.toFixed(2)).join(' / ') : '');
  lines.push([
    'Host',
    `${env.cpus} CPU${env.cpus === 1 ? '' : 's'} (${env.cpuModel}); load average (1 / 5 / 15 min) ${load(env.loadBefore)} at start, ${load(env.loadAfter)} at end`,
  ]);
  if (env.git) lines.push(['Git commit', `${env.git.commit.slice(0, 12)}${env.git.dirty ? ' with uncommitted changes' : ''}`]);
  return lines;
}

/** Markdown table cells cannot hold "|" or newlines. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
