/**
 * The terminal summary in the seed's shape (Check | Budget | Target | Actual | Status), a line per
 * check as it finishes, and the failures with their reasons at the end.
 */
import { Chalk } from 'chalk';
import type { CheckResult, RunResult, Status } from '../result/result.js';
import type { Reporter, ReporterContext } from './reporter.js';
import { formatDuration } from '../units/duration.js';
import { standingOf } from '../verdict/types.js';
import { verdictWord } from './view-model.js';
import { describeEnvironment } from './environment.js';

export function createConsoleReporter(ctx: ReporterContext): Reporter {
  const chalk = new Chalk({ level: ctx.color ? 1 : 0 });
  const paint: Record<Status, (text: string) => string> = {
    passed: chalk.green,
    failed: chalk.red,
    warned: chalk.yellow,
    error: chalk.magenta,
    skipped: chalk.gray,
  };
  const mark: Record<Status, string> = { passed: '✔', failed: '✘', warned: '!', error: '✘', skipped: '-' };
  const out = (text = '') => ctx.stdout.write(`${ctx.redact(text)}\n`);

  return {
    name: 'console',
    onSpecBegin(info) {
      out(chalk.bold(`\n${info.name}`) + chalk.gray(`  (${info.file})`));
    },
    onCheckEnd(check: CheckResult) {
      const failed = check.probes.flatMap((probe) => probe.verdicts).filter((verdict) => !verdict.passed);
      out(`  ${paint[check.status](mark[check.status])} ${check.name} ${chalk.gray(formatDuration(check.durationMs))}`);
      for (const verdict of failed) {
        const standing = standingOf(verdict);
        const label = verdict.outcome === 'inconclusive' ? `${verdict.metric} (inconclusive)` : verdict.metric;
        out(`      ${paint[standing === 'fail' ? 'failed' : 'warned'](label)}: ${verdict.message} (target ${verdict.target})`);
      }
      for (const probe of check.probes) if (probe.error) out(`      ${paint.error(`${probe.kind} probe broke`)}: ${probe.error}`);
      if (check.sent) out(chalk.gray(`      sent: ${check.sent}`));
    },
    async onEnd(result: RunResult) {
      const rows = result.specs.flatMap((spec) =>
        spec.checks.flatMap((check) =>
          check.probes.flatMap((probe) => probe.verdicts.map((verdict) => [check.name, verdict.metric, verdict.target, verdict.actual, verdictWord(verdict)])),
        ),
      );
      if (rows.length > 0) {
        out();
        const header = ['Check', 'Budget', 'Target', 'Actual', 'Status'];
        const widths = header.map((title, column) => Math.min(48, Math.max(title.length, ...rows.map((row) => row[column].length))));
        const line = (cells: string[]) => cells.map((cell, column) => truncate(cell, widths[column]).padEnd(widths[column])).join('  ');
        out(chalk.bold(line(header)));
        for (const row of rows) {
          const colour = row[4] === 'PASS' ? chalk.green : row[4] === 'WARN' || row[4] === 'INCONCLUSIVE' ? chalk.yellow : chalk.red;
          out(`${line(row.slice(0, 4))}  ${colour(row[4])}`);
        }
      }
      if (result.comparison) {
        const changed = result.comparison.rows.filter((row) => row.outcome === 'regressed' || row.outcome === 'fixed');
        out(
          `\nCompared with run ${result.comparison.baselineRunId}: ${changed.filter((row) => row.outcome === 'fixed').length} fixed, ${changed.filter((row) => row.outcome === 'regressed').length} regressed`,
        );
        for (const row of changed) {
          const colour = row.outcome === 'fixed' ? chalk.green : chalk.red;
          out(`  ${colour(row.outcome)} ${row.check} ${row.metric}: ${row.before} → ${row.after}`);
        }
      }
      for (const spec of result.specs) for (const error of spec.errors) out(`\n${paint.error('error')} ${spec.name}: ${error}`);
      const s = result.summary;
      const verdictLine = `${s.verdicts} budgets: ${s.passed} passed, ${s.failed} failed, ${s.warned} warnings, ${s.inconclusive} inconclusive, ${s.errors} errors`;
      const headline = result.aborted
        ? 'ABORTED'
        : result.status === 'passed' || result.status === 'warned'
          ? 'PASSED'
          : result.status === 'failed'
            ? 'FAILED'
            : 'ERROR';
      if (result.environment) out(chalk.gray(`\nEnvironment: ${describeEnvironment(result.environment)}`));
      out(`\n${paint[result.aborted ? 'error' : result.status](chalk.bold(headline))}  ${verdictLine}  ${chalk.gray(formatDuration(result.durationMs))}`);
      return [];
    },
  };
}

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
