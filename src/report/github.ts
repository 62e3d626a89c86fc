/**
 * GitHub Actions: workflow-command annotations at the spec line of each budget that did not pass,
 * and a Markdown job summary for $GITHUB_STEP_SUMMARY. Pure text builders; the reporter writes them.
 * Escaping follows @actions/core (data: % CR LF; properties also : and ,).
 */
import type { RunResult } from '../result/result.js';
import { standingOf } from '../verdict/types.js';
import { buildReportView, markdownCell } from './view-model.js';

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(kind: 'error' | 'warning', properties: Array<[string, string | number | undefined]>, message: string): string {
  const props = properties.filter(([, value]) => value !== undefined && value !== '').map(([key, value]) => `${key}=${escapeProperty(String(value))}`);
  return `::${kind} ${props.join(',')}::${escapeData(message)}`;
}

/**
 * One annotation per budget that did not pass (error for failed, warning for warn-level and
 * inconclusive), per broken probe and per run error, in report order.
 */
export function githubAnnotations(result: RunResult): string[] {
  const lines: string[] = [];
  for (const spec of result.specs) {
    for (const error of spec.errors)
      lines.push(
        command(
          'error',
          [
            ['file', spec.file],
            ['title', `${spec.name}: run`],
          ],
          error,
        ),
      );
    for (const check of spec.checks) {
      for (const probe of check.probes) {
        if (probe.error)
          lines.push(
            command(
              'error',
              [
                ['file', spec.file],
                ['title', `${check.name}: ${probe.kind} probe broke`],
              ],
              probe.error,
            ),
          );
        for (const verdict of probe.verdicts) {
          const standing = standingOf(verdict);
          if (standing === 'pass') continue;
          const prefix = verdict.outcome === 'inconclusive' ? 'inconclusive: ' : '';
          lines.push(
            command(
              standing === 'fail' ? 'error' : 'warning',
              [
                ['file', spec.file],
                ['line', verdict.specLine],
                ['title', `${check.name}: ${verdict.metric}`],
              ],
              `${prefix}${verdict.message} (target ${verdict.target}, actual ${verdict.actual})${check.sent ? `; sent: ${check.sent}` : ''}`,
            ),
          );
        }
      }
    }
  }
  return lines;
}

/** The job summary: verdict, counts, what did not pass, before → after, and where it was measured. */
export function githubSummary(result: RunResult): string {
  const view = buildReportView(result);
  const s = view.summary;
  const out: string[] = [];
  out.push(`## ${view.statusLabel} perfspec: ${view.title}`, '');
  out.push(`**${view.headline}**`, '');
  out.push(
    `${s.verdicts} budgets: ${s.passed} passed, ${s.failed} failed, ${s.warned} warnings, ${s.inconclusive} inconclusive, ${s.errors} errors · run \`${view.runId}\` · ${view.duration}`,
    '',
  );
  const errors = view.specs.flatMap((spec) => [
    ...spec.errors.map((error) => `${spec.name}: ${error.split('\n')[0]}`),
    ...spec.checks.flatMap((check) => check.errors.map((error) => `${check.name}: ${error}`)),
  ]);
  if (errors.length) {
    out.push('### Errors', '');
    for (const error of errors) out.push(`- ${error}`);
    out.push('');
  }
  if (view.rows.some((item) => item.standing !== 'pass')) {
    out.push('### Not met', '', '| Check | Budget | Target | Actual | Status | Why |', '|---|---|---|---|---|---|');
    for (const row of view.rows.filter((item) => item.standing !== 'pass')) {
      out.push(
        `| ${markdownCell(row.check)} | ${markdownCell(row.metric)} | ${markdownCell(row.target)} | ${markdownCell(row.actual)} | ${row.status} ${row.word} | ${markdownCell(row.message)} |`,
      );
    }
    out.push('');
  }
  if (view.comparison) {
    const changed = view.comparison.rows.filter((row) => row.word === 'fixed' || row.word === 'regressed');
    out.push(
      `### Before → after`,
      '',
      `Compared with run ${view.comparison.baseline}: ${changed.filter((row) => row.word === 'fixed').length} fixed, ${changed.filter((row) => row.word === 'regressed').length} regressed.`,
      '',
    );
    if (changed.length) {
      out.push('| Check | Budget | Before | After | Change | |', '|---|---|---|---|---|---|');
      for (const row of changed)
        out.push(
          `| ${markdownCell(row.check)} | ${markdownCell(row.metric)} | ${markdownCell(row.before)} | ${markdownCell(row.after)} | ${row.change} | ${row.status} |`,
        );
      out.push('');
    }
  }
  out.push(`<details><summary>All ${view.rows.length} budgets</summary>`, '', '| Check | Budget | Target | Actual | Status |', '|---|---|---|---|---|');
  for (const row of view.rows)
    out.push(`| ${markdownCell(row.check)} | ${markdownCell(row.metric)} | ${markdownCell(row.target)} | ${markdownCell(row.actual)} | ${row.status} |`);
  out.push('', '</details>', '');
  if (view.environment.length) {
    for (const [label, value] of view.environment) out.push(`- **${label}:** ${markdownCell(value)}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
