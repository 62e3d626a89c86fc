/**
 * The result of a run: the one object every reporter and template receives. It is plain data
 * (JSON-serialisable) so the JSON report is this object, versioned. It sits below the engine,
 * the probes and the reporters alike: they all speak it, none of them owns it.
 */
import type { Verdict } from '../verdict/types.js';

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
  /**
   * The request as it was sent ("GET http://127.0.0.1:8001/products/42": method and URL after
   * interpolation, secrets masked), kept when a verdict did not pass so the report says what to replay.
   */
  sent?: string;
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

/** Where a run ran (see report/environment.ts, which records it). */
export interface RunEnvironment {
  perfspec: string;
  node: string;
  platform: string;
  arch: string;
  /** Logical CPUs and their model. */
  cpus: number;
  cpuModel: string;
  /** 1, 5 and 15-minute load averages when the run started and ended. */
  loadBefore: number[];
  loadAfter: number[];
  /** Base URLs of the specs' targets, credentials removed. */
  targets: string[];
  /** The commit checked out in the directory perfspec ran from, when it is a git work tree. */
  git?: { commit: string; dirty: boolean };
}

/** Records the environment over a run: started with the run, finished with the targets it reached. */
export interface EnvironmentProbe {
  /** Call at the end of the run. */
  finish(targets: string[]): RunEnvironment;
}

/** Before → after against a saved earlier run (see verdict/baseline.ts, which computes it). */
export interface ComparisonRow {
  spec: string;
  check: string;
  metric: string;
  before: string;
  after: string;
  beforeValue: number | null;
  afterValue: number | null;
  /** Relative change in percent ((after − before) / before), null when either side was not measured or before is 0. */
  changePercent: number | null;
  /** "regressed": passed before and fails now; "fixed": failed before and passes now; else "same". */
  outcome: 'regressed' | 'fixed' | 'same' | 'new';
}

export interface Comparison {
  baselineRunId: string;
  baselineStartedAt: string;
  rows: ComparisonRow[];
  /** Statements per fingerprint of each check's worst request in the baseline: the "before" bars of the query charts. */
  queryGroups?: Array<{ spec: string; check: string; groups: Array<{ fingerprint: string; count: number; sql?: string }> }>;
}
