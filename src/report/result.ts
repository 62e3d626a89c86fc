/**
 * The result of a run: the one object every reporter and template receives. It is plain data
 * (JSON-serialisable) so the JSON report is this object, versioned.
 */
import type { Comparison } from '../verdict/baseline.js';
import type { Verdict } from '../verdict/types.js';
import type { RunEnvironment } from './environment.js';

export const RESULT_FORMAT_VERSION = 1;

/**
 * A table that a probe wants shown. Cells are already formatted strings, so templates hold no
 * logic and a new probe kind needs no new template.
 */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: string[][];
}

/** A time series a probe wants charted (the load timeline). */
export interface ReportSeries {
  title: string;
  unit: string;
  /** Points as [seconds since start, value]. */
  points: Array<[number, number]>;
}

export interface ProbeResult {
  /** Probe kind ("endpoint", "queries", "cache", "load"). */
  kind: string;
  verdicts: Verdict[];
  tables: ReportTable[];
  series?: ReportSeries[];
  /** Sentences worth a reader's attention (fallbacks, caveats). */
  notes: string[];
  /** The raw measurements, for the JSON report and for baselines. */
  data: Record<string, unknown>;
  /** Set when the probe broke instead of measuring; its verdicts are then empty. */
  error?: string;
}

export type Status = 'passed' | 'failed' | 'warned' | 'error' | 'skipped';

export interface CheckResult {
  name: string;
  /** "check" for entries of `checks`, "load" for load scenarios. */
  section: string;
  request?: string;
  status: Status;
  durationMs: number;
  probes: ProbeResult[];
}

export interface SpecResult {
  file: string;
  name: string;
  /** sha256 of the spec file's text as it was run. */
  sha256?: string;
  /** The target's base URL (credentials are masked in every report). */
  target?: string;
  status: Status;
  checks: CheckResult[];
  /** Problems outside any check (setup failed, target unreachable). */
  errors: string[];
}

export interface RunResult {
  formatVersion: number;
  tool: { name: 'perfspec'; version: string };
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  status: Status;
  /** True when the run was interrupted (Ctrl-C); the figures cover what ran until then. */
  aborted: boolean;
  specs: SpecResult[];
  /** Verdict counts: each verdict once (inconclusive ones apart, whatever their policy), plus broken probes and spec errors. */
  summary: { verdicts: number; passed: number; failed: number; warned: number; inconclusive: number; errors: number };
  /** Where the run ran (host CPUs and load, versions, targets without credentials). */
  environment?: RunEnvironment;
  /** Before → after against a saved earlier run (--baseline), when one was given. */
  comparison?: Comparison;
}
