/**
 * The `queries` key of a check, normalised. Pure. The schema has already validated shapes and budget
 * formats; this parses the budgets once and applies the defaults.
 *
 *   queries:
 *     max: 5                       # statements per request (the worst of the measured requests)
 *     nPlusOne: forbid             # forbid | warn | allow (default warn)
 *     threshold: 5                 # executions of one statement shape that make an N+1 (default 5, Sentry's)
 *     maxDuplicates: 0             # executions repeating an earlier one exactly (same SQL, same parameters)
 *     maxDbTime: "< 20ms"          # summed statement time per request
 *     scaling: { param: limit, sizes: [5, 50] }   # per-statement counts must not follow the page size
 *     before: 101                  # the count before the fix, shown as "101 → 3"
 *     requests: 3                  # measured requests, one at a time, each in its own window
 *     includeUtility: false        # count BEGIN/COMMIT/SET... too
 */
import { PerfspecError } from '../../errors.js';
import { parseBudget, type Budget, type BudgetUnit } from '../../units/budget.js';
import type { Level } from '../../verdict/types.js';
import type { QueriesBudget } from '../../generated/spec-types.js';
import type { SectionPlace } from '../types.js';
import { DEFAULT_N_PLUS_ONE_THRESHOLD } from './analyze.js';
import type { ExplainMode } from '../../sources/postgres/explain.js';

export type NPlusOneMode = 'forbid' | 'warn' | 'allow';

export interface ScalingConfig {
  /** Query-string parameter that sets the page size, e.g. "limit". */
  param: string;
  small: string;
  large: string;
}

export interface QueriesConfig {
  max?: Budget;
  nPlusOne: NPlusOneMode;
  threshold: number;
  maxDuplicates?: Budget;
  maxDbTime?: Budget;
  scaling?: ScalingConfig;
  before?: number;
  requests: number;
  includeUtility: boolean;
  level: Level;
  /** Show the plan of the slowest and the most repeated statement (never ANALYZE unless 'analyze'). */
  explain?: ExplainMode;
}

export const DEFAULT_QUERY_REQUESTS = 3;

/** A check's `queries` section, as the schema types it, → the probe's config. Throws PerfspecError with the section's path. */
export function readQueriesConfig(raw: QueriesBudget, at: SectionPlace): QueriesConfig {
  const where = `checks[${at.index}].queries`;
  const invalid = (message: string, hint?: string) => new PerfspecError('PS_SPEC_INVALID', `${where}.${message}`, hint ? { hint } : {});
  const budget = (name: 'max' | 'maxDuplicates' | 'maxDbTime', unit: BudgetUnit): Budget | undefined => {
    const text = raw[name];
    if (text === undefined) return undefined;
    const parsed = parseBudget(String(text), unit);
    if (!parsed) throw invalid(`${name}: ${JSON.stringify(text)} is not a ${unit} budget`);
    return parsed;
  };
  const nPlusOne: string = raw.nPlusOne ?? 'warn';
  if (nPlusOne !== 'forbid' && nPlusOne !== 'warn' && nPlusOne !== 'allow') {
    throw invalid(`nPlusOne: ${JSON.stringify(nPlusOne)} is not one of forbid, warn, allow`);
  }
  const threshold = raw.threshold ?? DEFAULT_N_PLUS_ONE_THRESHOLD;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 2) {
    throw invalid(`threshold: ${JSON.stringify(threshold)} must be a whole number of at least 2`);
  }
  let scaling: ScalingConfig | undefined;
  if (raw.scaling !== undefined) {
    const sizes = raw.scaling.sizes;
    if (
      typeof raw.scaling.param !== 'string' ||
      raw.scaling.param === '' ||
      !Array.isArray(sizes) ||
      sizes.length !== 2 ||
      String(sizes[0]) === String(sizes[1])
    ) {
      throw invalid('scaling needs a query parameter and two different sizes', 'e.g. scaling: { param: limit, sizes: [5, 50] }');
    }
    scaling = { param: raw.scaling.param, small: String(sizes[0]), large: String(sizes[1]) };
  }
  const requests = raw.requests ?? DEFAULT_QUERY_REQUESTS;
  if (typeof requests !== 'number' || !Number.isInteger(requests) || requests < 1)
    throw invalid(`requests: ${JSON.stringify(requests)} must be a whole number of at least 1`);
  if (raw.before !== undefined && (typeof raw.before !== 'number' || raw.before < 0)) throw invalid(`before: ${JSON.stringify(raw.before)} must be a count`);
  const config: QueriesConfig = {
    nPlusOne,
    threshold,
    requests,
    includeUtility: raw.includeUtility === true,
    level: at.level ?? 'error',
  };
  const max = budget('max', 'count');
  const maxDuplicates = budget('maxDuplicates', 'count');
  const maxDbTime = budget('maxDbTime', 'duration');
  if (max) config.max = max;
  if (maxDuplicates) config.maxDuplicates = maxDuplicates;
  if (maxDbTime) config.maxDbTime = maxDbTime;
  if (scaling) config.scaling = scaling;
  if (typeof raw.before === 'number') config.before = raw.before;
  if (raw.explain !== undefined && raw.explain !== false && raw.explain !== true && (raw.explain as string) !== 'analyze')
    throw invalid(`explain: ${JSON.stringify(raw.explain)} must be true, false or analyze`);
  if (raw.explain === true) config.explain = 'plan';
  if (raw.explain === 'analyze') config.explain = 'analyze';
  return config;
}
