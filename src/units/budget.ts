/**
 * Budgets read the way people say them ("< 50ms", ">= 95%", "<= 5", ">= 100/s", "< 10MB",
 * "15m ±5%"), parsed once into plain data. Judging lives in src/verdict; this module only parses.
 */
import { formatDuration, parseDuration } from './duration.js';
import { formatBytes, formatPercent, formatRate, parseBytes, parsePercent, parseRate } from './quantity.js';

export type Operator = '<' | '<=' | '>' | '>=' | '==';
export type BudgetUnit = 'duration' | 'percent' | 'count' | 'rate' | 'bytes';

/** A parsed budget: `actual <operator> value`, value in the unit's base (ms, percent points, count, per second, bytes). */
export interface Budget {
  operator: Operator;
  value: number;
  unit: BudgetUnit;
  /** The budget as written, for reports. */
  text: string;
}

/** "15m ±5%": the expected value and how far from it an actual value may be (absolute, same base unit). */
export interface ToleranceBudget {
  expected: number;
  tolerance: number;
  unit: 'duration';
  text: string;
}

const VALUE_PARSERS: Record<BudgetUnit, (text: string) => number | undefined> = {
  duration: parseDuration,
  percent: parsePercent,
  count: (text) => (/^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : undefined),
  rate: parseRate,
  bytes: parseBytes,
};

const VALUE_FORMATTERS: Record<BudgetUnit, (value: number) => string> = {
  duration: formatDuration,
  percent: formatPercent,
  count: (value) => String(Number.isInteger(value) ? value : Number(value.toFixed(2))),
  rate: formatRate,
  bytes: formatBytes,
};

/** Examples used in error messages, so a person sees the shape that would have worked. */
export const BUDGET_EXAMPLES: Record<BudgetUnit, string> = {
  duration: '"< 50ms"',
  percent: '">= 95%"',
  count: '"<= 5" (or just 5)',
  rate: '">= 100/s"',
  bytes: '"< 10MB"',
};

const BUDGET = /^\s*(<=|>=|==|<|>|=)?\s*(.+?)\s*$/;

/**
 * Parse a budget of the given unit. A bare value (no operator) means "at most" for durations,
 * counts and bytes, and "at least" for percentages and rates: `p95: 50ms`, `hitRate: 95%`.
 */
export function parseBudget(input: string | number, unit: BudgetUnit): Budget | undefined {
  const text = String(input);
  const match = BUDGET.exec(text);
  if (!match) return undefined;
  const value = VALUE_PARSERS[unit](match[2]);
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const written = match[1] === '=' ? '==' : (match[1] as Operator | undefined);
  const operator = written ?? (unit === 'percent' || unit === 'rate' ? '>=' : '<=');
  return { operator, value, unit, text: written ? text.trim() : `${operator} ${text.trim()}` };
}

const TOLERANCE = /^\s*(\S+?)\s*(?:±|\+-|\+\/-)\s*(\S+?)\s*$/;

/** "15m ±5%" or "15m ± 30s" (tolerance omitted: "15m" means ±0). */
export function parseTolerance(input: string): ToleranceBudget | undefined {
  const match = TOLERANCE.exec(input);
  const expected = parseDuration(match ? match[1] : input);
  if (expected === undefined) return undefined;
  if (!match) return { expected, tolerance: 0, unit: 'duration', text: input.trim() };
  const percent = parsePercent(match[2]);
  const tolerance = percent !== undefined ? (expected * percent) / 100 : parseDuration(match[2]);
  if (tolerance === undefined) return undefined;
  return { expected, tolerance, unit: 'duration', text: input.trim() };
}

/** A value in a budget's unit, for people ("12.3ms", "96.5%", "5", "145/s", "1.2 MiB"). */
export function formatValue(value: number, unit: BudgetUnit): string {
  return VALUE_FORMATTERS[unit](value);
}

/** Every unit written with enough digits to tell close values apart ("1688 B", "60.2s", "4.987ms"). */
const PRECISE_FORMATTERS: Record<BudgetUnit, (value: number) => string> = {
  duration: formatDurationPrecise,
  percent: (value) => `${trimZeros(value.toFixed(3))}%`,
  count: (value) => trimZeros(value.toFixed(3)),
  rate: (value) => `${trimZeros(value.toFixed(3))}/s`,
  bytes: (value) => `${Math.round(value)} B`,
};

/**
 * A measured value shown against the value it is compared with: the usual short form, unless
 * that reads the same as the other value while the two differ — then exactly enough to differ
 * ("1688 B is not below 1.6 KiB", never "1.6 KiB is not below 1.6 KiB").
 */
export function formatDistinct(actual: number, other: number, unit: BudgetUnit): string {
  const shown = formatValue(actual, unit);
  if (actual === other || normalise(shown) !== normalise(formatValue(other, unit))) return shown;
  return PRECISE_FORMATTERS[unit](actual);
}

/** "95.0%" and "95%" read the same to a person. */
function normalise(text: string): string {
  return text.replace(/(\d)\.(\d*?)0+(?!\d)/g, (_, int: string, frac: string) => (frac ? `${int}.${frac}` : int));
}

/** A confidence interval "11.8–13.1ms"; an unbounded upper end reads "≥ 11.8ms", unbounded both "unbounded". */
export function formatInterval(lower: number, upper: number | null, unit: BudgetUnit): string {
  if (upper === null) return lower > 0 ? `≥ ${formatValue(lower, unit)}` : 'unbounded';
  const low = formatValue(lower, unit);
  const high = formatValue(upper, unit);
  // One unit suffix for both ends when they share it ("11.8–13.1ms").
  const suffix = /[^\d.]+$/.exec(low)?.[0] ?? '';
  if (suffix && high.endsWith(suffix) && /^[\d.]+$/.test(low.slice(0, -suffix.length))) return `${low.slice(0, -suffix.length)}–${high}`;
  return `${low}–${high}`;
}

function formatDurationPrecise(ms: number): string {
  if (Math.abs(ms) < 1000) return `${trimZeros(ms.toFixed(3))}ms`;
  return `${trimZeros((ms / 1000).toFixed(3))}s`;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}
