/** The reporter contract: what every reporter implements and receives (the table of them is reporters.ts). */
import type { CheckResult, RunResult } from '../result/result.js';
import type { ReportFileSet } from './file-set.js';
import type { Redactor } from './redact.js';

export interface ReporterContext {
  outDir: string;
  stdout: { write(text: string): unknown };
  redact: Redactor;
  color: boolean;
  /** When given, file reporters stage into it and the CLI commits the whole set at once. */
  files?: ReportFileSet;
  /** The process environment (GITHUB_STEP_SUMMARY and the like), passed in: reporters never read process.env. */
  env: Record<string, string | undefined>;
  /** Directory that relative option paths are resolved from. */
  cwd: string;
}

/** A reporter's own options, as Playwright's `[name, options]`: e.g. `['junit', { outputFile: 'x.xml' }]`. */
export type ReporterOptions = Record<string, unknown>;
export type ReporterDescription = readonly [name: string, options?: ReporterOptions];

export interface Reporter {
  name: string;
  onSpecBegin?(info: { file: string; name: string }): void;
  onCheckEnd?(check: CheckResult): void;
  /** One second of a running measurement (load), as it completes. */
  onMetrics?(check: string, second: Record<string, unknown>): void;
  /** Returns the files written, if any. */
  onEnd(result: RunResult): Promise<string[]>;
}

export type ReporterFactory = (ctx: ReporterContext, options: ReporterOptions) => Reporter;
