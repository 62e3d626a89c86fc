/**
 * A verdict is a plain record (Lighthouse CI's assertion result): what was judged, against what,
 * what was measured and how it came out. Reporters only read these records.
 *
 * A measured latency is an estimate from a sample, so a verdict has three outcomes: `pass` (the
 * data prove the budget met), `fail` (they prove it broken) and `inconclusive` (they cannot tell
 * yet; `reason` says why). Counts are exact and only ever pass or fail. `passed` is kept for
 * readers of format 1 and is always `outcome === 'pass'`.
 */

export type Level = 'error' | 'warn';

export type Outcome = 'pass' | 'fail' | 'inconclusive';

/** What an inconclusive verdict counts as: a warning (default) or, when the spec asks, a failure. */
export type InconclusivePolicy = 'warn' | 'fail';

/** The distribution-free confidence interval of a judged percentile. */
export interface VerdictInterval {
  /** Lower end in the budget's unit; 0 when the samples cannot bound it from below. */
  lower: number;
  /** Upper end; null when the samples cannot bound it from above (too few for this percentile). */
  upper: number | null;
  /** Samples the estimate rests on. */
  samples: number;
  /** e.g. 0.95. */
  confidence: number;
  /** The fewest samples for which this percentile has an upper end. */
  samplesNeeded: number;
}

export interface Verdict {
  /** The check (or load scenario) the budget belongs to. */
  check: string;
  /** The probe kind that measured it: "endpoint", "queries", "cache", "load". */
  probe: string;
  /** Dotted name of the budget, e.g. "latency.p95", "queries.max", "cache.hitRate". */
  metric: string;
  /** The budget as written, e.g. "< 50ms". */
  target: string;
  /** The measured value for people, e.g. "12.3ms"; "n/a" when nothing could be measured. */
  actual: string;
  /** The measured value in the budget's base unit, or null when nothing was measured. */
  actualValue: number | null;
  outcome: Outcome;
  /** Same as outcome === 'pass' (format 1 readers). */
  passed: boolean;
  level: Level;
  /** How an inconclusive outcome counts (set by the engine from the spec; default warn). */
  inconclusive?: InconclusivePolicy;
  /** The percentile's confidence interval, for latency percentiles. */
  interval?: VerdictInterval;
  /** The line of the spec file where this budget (or, for a default, its check) is written. */
  specLine?: number;
  /** One sentence: why it passed, failed or could not tell. */
  message: string;
}

/**
 * How a verdict weighs in a status and the exit code: a failure (error-level fail, or an
 * error-level inconclusive under `inconclusive: fail`), a warning, an inconclusive warning, or a pass.
 */
export type Standing = 'pass' | 'fail' | 'warn' | 'inconclusive';

export function standingOf(verdict: Pick<Verdict, 'outcome' | 'passed' | 'level' | 'inconclusive'>): Standing {
  const outcome = verdict.outcome ?? (verdict.passed ? 'pass' : 'fail');
  if (outcome === 'pass') return 'pass';
  if (outcome === 'fail') return verdict.level === 'error' ? 'fail' : 'warn';
  return verdict.inconclusive === 'fail' && verdict.level === 'error' ? 'fail' : 'inconclusive';
}

export function outcomeOf(passed: boolean): Outcome {
  return passed ? 'pass' : 'fail';
}
