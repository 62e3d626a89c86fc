/**
 * A threshold scope's figures — overall, one request name, one flow — computed one way only. The
 * report's rows are built here, abortOnFail's look-ups during the run are made here, and a finished
 * report is read back here, so a threshold that stops a run judges the figures its final verdict
 * judges (same entries, same labels, same window for throughput).
 */
import { describeTotals, type Totals } from '../metrics/aggregate.js';
import type { LoadReport, RequestStats } from '../types.js';
import type { ThresholdScope } from './parse-thresholds.js';

/** What a scope selects entries by (a compiled StatEntry, a shard file's entry). */
export interface ScopedEntry {
  name: string;
  flow: string;
}

/** Totals over the entries a predicate selects (LoadAggregate.totalsWhere, a shard merge's sum). */
export type TotalsWhere<E extends ScopedEntry = ScopedEntry> = (match: (entry: E) => boolean) => Totals;

/** The report's rows that thresholds are judged on. */
export type ScopeRows = Pick<LoadReport, 'overall' | 'requests' | 'flows'>;

/** Which entries a scope covers. */
function scopeMatcher(scope: ThresholdScope): (entry: ScopedEntry) => boolean {
  if (scope.kind === 'overall') return () => true;
  if (scope.kind === 'request') return (entry) => entry.name === scope.name;
  return (entry) => entry.flow === scope.name;
}

/** The labels a scope's row carries in the report (the key statsForScope finds it by). */
function scopeLabels(scope: ThresholdScope): { name: string; flow?: string } {
  if (scope.kind === 'overall') return { name: '' };
  if (scope.kind === 'request') return { name: scope.name };
  return { name: '', flow: scope.name };
}

/** A scope's figures from totals, throughput over `windowMs` (see measuredWindowMs). */
function scopeStats<E extends ScopedEntry>(scope: ThresholdScope, totalsWhere: TotalsWhere<E>, windowMs: number): RequestStats {
  return describeTotals(totalsWhere(scopeMatcher(scope)), windowMs, scopeLabels(scope));
}

/** Every threshold scope's row: overall, one per request name, one per flow (in the order given). */
export function scopeRows<E extends ScopedEntry>(totalsWhere: TotalsWhere<E>, windowMs: number, names: string[], flows: string[]): ScopeRows {
  return {
    overall: scopeStats({ kind: 'overall' }, totalsWhere, windowMs),
    requests: names.map((name) => scopeStats({ kind: 'request', name }, totalsWhere, windowMs)),
    flows: flows.map((name) => scopeStats({ kind: 'flow', name }, totalsWhere, windowMs)),
  };
}

/**
 * abortOnFail's look-up `elapsedMs` into a run: each scope's figures as the report will carry them,
 * over the window known so far.
 */
export function lookupAt<E extends ScopedEntry>(
  totalsWhere: TotalsWhere<E>,
  elapsedMs: number,
  plannedMs: number,
  stoppedAtMs?: number,
): (scope: ThresholdScope) => RequestStats {
  const windowMs = measuredWindowMs(elapsedMs, plannedMs, stoppedAtMs);
  return (scope) => scopeStats(scope, totalsWhere, windowMs);
}

/** A scope's row in a finished (or merged) report, for judging after the run. */
export function statsForScope(report: ScopeRows, scope: ThresholdScope): RequestStats | undefined {
  if (scope.kind === 'overall') return report.overall;
  if (scope.kind === 'request') return report.requests.find((r) => r.name === scope.name);
  return report.flows.find((f) => f.flow === scope.name);
}

/**
 * The window throughput is judged over, `elapsedMs` into the run: the planned duration at most
 * (the graceful drain after the last stage adds wall time but no new iterations), and no later
 * than the instant the run was stopped early. The same rule mid-run and at the end: before, an
 * abortOnFail throughput threshold divided by every second so far, drain included, and could
 * stop a run whose final verdict passes.
 */
export function measuredWindowMs(elapsedMs: number, plannedMs: number, stoppedAtMs?: number): number {
  if (stoppedAtMs !== undefined) return Math.min(elapsedMs, stoppedAtMs || elapsedMs);
  return Math.min(elapsedMs, plannedMs);
}
