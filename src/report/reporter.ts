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
}

export interface Reporter {
  name: string;
  onSpecBegin?(info: { file: string; name: string }): void;
  onCheckEnd?(check: CheckResult): void;
  /** Returns the files written, if any. */
  onEnd(result: RunResult): Promise<string[]>;
}

export type ReporterFactory = (ctx: ReporterContext) => Reporter;
