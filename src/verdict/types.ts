/**
 * A verdict is a plain record (Lighthouse CI's assertion result): what was judged, against what,
 * what was measured and whether it passed. Reporters only read these records.
 */

export type Level = 'error' | 'warn';

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
  passed: boolean;
  level: Level;
  /**
   * Set (with passed false) when the data prove neither a pass nor a fail (statistical judges).
   * Reporters show it like a warning and count it apart; at level "error" it fails like a budget.
   */
  inconclusive?: boolean;
  /** The line of the spec file where this budget (or, for a default, its check) is written. */
  specLine?: number;
  /** One sentence: why it passed or failed. */
  message: string;
}
