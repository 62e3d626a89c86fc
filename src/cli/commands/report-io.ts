/**
 * What `run`, `report` and `merge` share on the way to and from report files: the reporter list of
 * `--reporter` (unknown names are a usage error naming the ones that exist), reading a saved JSON
 * report, and the closing "Reports: …" line.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, PerfspecError } from '../../errors.js';
import { checkOutDir } from '../../report/out-dir.js';
import type { ReporterDescription } from '../../report/reporter.js';
import { parseReporterList, REPORTERS } from '../../report/reporters.js';
import type { RunResult } from '../../result/result.js';
import { isComparableReport } from '../../verdict/baseline.js';
import type { CliProcess } from '../process.js';

export function reportersOrThrow(text: string): ReporterDescription[] {
  const { reporters, unknown } = parseReporterList(text);
  if (unknown.length > 0) {
    throw new PerfspecError('PS_USAGE', `unknown reporter ${unknown.map((name) => `"${name}"`).join(', ')}; available: ${Object.keys(REPORTERS).join(', ')}`);
  }
  return reporters;
}

/**
 * A perfspec JSON report read from disk: a missing file, a file that is not JSON, or JSON that is
 * not a perfspec report (formatVersion 1) is a usage error. `shown` names it as the user wrote it
 * ("--baseline old.json"); `hint` says what to pass instead.
 */
export async function readReportFile(file: string, shown: string, hint: string): Promise<RunResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not a JSON file';
    throw new PerfspecError('PS_USAGE', `${shown}: ${reason}`, { hint });
  }
  if (!isComparableReport(parsed)) throw new PerfspecError('PS_USAGE', `${shown} is not a perfspec JSON report (formatVersion 1)`, { hint });
  return parsed;
}

/** "Reports: a.md, b.json", paths relative to where perfspec was started. */
export function printWrittenFiles(proc: CliProcess, written: string[], prefix = ''): void {
  if (written.length > 0) proc.stdout.write(`\n${prefix}Reports: ${written.map((file) => path.relative(proc.cwd(), file) || file).join(', ')}\n`);
}

/**
 * `--out` checked before anything is read or run (exit 2 for a file, a special or an unwritable
 * path): only when a reporter writes files there (the console alone needs no directory).
 */
export async function checkOutFor(proc: CliProcess, reporters: readonly ReporterDescription[], out: string): Promise<string> {
  const outDir = path.resolve(proc.cwd(), out);
  if (reporters.some(([name]) => name !== 'console')) await checkOutDir(outDir, out);
  return outDir;
}

/**
 * The exit code once the reports are written: a report that was not written is lost data, so a
 * run that would pass (or fail on budgets) exits 3 instead — CI must not pass without its JUnit
 * file. Worse codes (2, 3, 130) stand as they are.
 */
export function exitCodeAfterReports(code: number, reporterFailures: number): number {
  if (reporterFailures > 0 && (code === ExitCode.Pass || code === ExitCode.BudgetFailed)) return ExitCode.Infrastructure;
  return code;
}
