/**
 * Load thresholds parsed once into data (k6's thresholds parser, with explicit operators and
 * metric names checked up front — a misspelt metric is an error, never a silently passing rule).
 */
import { PerfspecError } from '../../errors.js';
import { BUDGET_EXAMPLES, parseBudget, type Budget, type BudgetUnit } from '../../units/budget.js';
import { toMilliseconds } from '../../units/duration.js';
import type { ThresholdMetric, ThresholdRuleConfig, ThresholdsConfig, ThresholdValueConfig } from '../types.js';

export const METRIC_UNITS: Record<ThresholdMetric, BudgetUnit> = {
  success_rate: 'percent',
  error_rate: 'percent',
  p50: 'duration',
  p90: 'duration',
  p95: 'duration',
  p99: 'duration',
  'p99.9': 'duration',
  max: 'duration',
  avg: 'duration',
  throughput: 'rate',
};

export const THRESHOLD_METRICS = Object.keys(METRIC_UNITS) as ThresholdMetric[];

export type ThresholdScope = { kind: 'overall' } | { kind: 'request'; name: string } | { kind: 'flow'; name: string };

export interface ParsedThreshold {
  scope: ThresholdScope;
  metric: ThresholdMetric;
  budget: Budget;
  level: 'warn' | 'error';
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  /** Dotted path in the spec, for messages and verdicts: "p95", "requests.login.p95". */
  path: string;
}

export function parseThresholds(config: ThresholdsConfig | undefined, where = 'thresholds'): ParsedThreshold[] {
  if (!config) return [];
  const problems: string[] = [];
  const parsed: ParsedThreshold[] = [];
  const readGroup = (group: object, scope: ThresholdScope, prefix: string, nested: boolean) => {
    for (const [key, value] of Object.entries(group)) {
      if (!nested && (key === 'requests' || key === 'flows')) continue;
      // Statements per request are judged by the load probe from the PostgreSQL proxy (probes/load/queries-under-load.ts).
      if (nested && scope.kind === 'request' && (key === 'queries' || key === 'nPlusOne')) continue;
      if (!(key in METRIC_UNITS)) {
        problems.push(`${where}.${prefix}${key}: unknown metric. Expected one of: ${THRESHOLD_METRICS.join(', ')}${nested ? '' : ', requests, flows'}`);
        continue;
      }
      const rule = parseRule(value as ThresholdValueConfig, key as ThresholdMetric, `${where}.${prefix}${key}`, problems);
      if (rule) parsed.push({ ...rule, scope, path: `${prefix}${key}` });
    }
  };
  readGroup(config, { kind: 'overall' }, '', false);
  for (const [name, group] of Object.entries(config.requests ?? {})) readGroup(group ?? {}, { kind: 'request', name }, `requests.${name}.`, true);
  for (const [name, group] of Object.entries(config.flows ?? {})) readGroup(group ?? {}, { kind: 'flow', name }, `flows.${name}.`, true);
  if (problems.length > 0)
    throw new PerfspecError('PS_SPEC_INVALID', problems[0], {
      details: problems.slice(1),
      hint: 'Thresholds look like p95: "< 100ms", success_rate: ">= 99%", throughput: ">= 100/s".',
    });
  return parsed;
}

function parseRule(value: ThresholdValueConfig, metric: ThresholdMetric, at: string, problems: string[]): Omit<ParsedThreshold, 'scope' | 'path'> | undefined {
  const unit = METRIC_UNITS[metric];
  const rule: ThresholdRuleConfig = typeof value === 'object' && value !== null ? value : { budget: String(value) };
  const budget = rule.budget === undefined ? undefined : parseBudget(rule.budget, unit);
  if (!budget) {
    problems.push(`${at}: "${String(rule.budget)}" is not a ${unit} budget, e.g. ${BUDGET_EXAMPLES[unit]}`);
    return undefined;
  }
  const level = rule.level ?? 'error';
  if (level !== 'warn' && level !== 'error') problems.push(`${at}.level: "${String(level)}" must be warn or error`);
  const delay = rule.delayAbortEval === undefined ? 0 : toMilliseconds(rule.delayAbortEval);
  if (delay === undefined) problems.push(`${at}.delayAbortEval: "${String(rule.delayAbortEval)}" is not a duration`);
  return { metric, budget, level, abortOnFail: rule.abortOnFail === true, delayAbortEvalMs: delay ?? 0 };
}

/** Scopes that name no request or flow of the scenario: a typo there would judge nothing. */
export function findUnknownScopes(thresholds: ParsedThreshold[], requestNames: Set<string>, flowNames: Set<string>): string[] {
  const problems: string[] = [];
  for (const t of thresholds) {
    if (t.scope.kind === 'request' && !requestNames.has(t.scope.name))
      problems.push(`thresholds.${t.path}: no request is named "${t.scope.name}". Known: ${[...requestNames].join(', ')}`);
    if (t.scope.kind === 'flow' && !flowNames.has(t.scope.name))
      problems.push(`thresholds.${t.path}: no flow is named "${t.scope.name}". Known: ${[...flowNames].join(', ')}`);
  }
  return problems;
}
