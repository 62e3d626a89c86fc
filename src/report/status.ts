/** How verdicts and probe outcomes add up to a status. Pure; shared by the engine and spec probes. */
import type { Verdict } from '../verdict/types.js';
import type { ProbeResult, Status } from './result.js';

/** A check's status from its probes: a broken probe is an error; a failed error-level budget fails it. */
export function statusOfProbes(probes: ProbeResult[]): Status {
  if (probes.some((probe) => probe.error)) return 'error';
  const verdicts = probes.flatMap((probe) => probe.verdicts);
  if (verdicts.some((verdict) => !verdict.passed && verdict.level === 'error')) return 'failed';
  if (verdicts.some((verdict) => !verdict.passed)) return 'warned';
  return 'passed';
}

/** The worst of several statuses. */
export function combineStatuses(statuses: Status[]): Status {
  const order: Status[] = ['error', 'failed', 'warned', 'passed', 'skipped'];
  for (const status of order) if (statuses.includes(status)) return status;
  return 'passed';
}

/**
 * What one verdict means for reports: every reporter classifies verdicts through this one
 * function, so a new outcome (inconclusive) is shown and counted the same way everywhere.
 */
export type VerdictOutcome = 'passed' | 'failed' | 'warned' | 'inconclusive';

export function verdictOutcome(verdict: Pick<Verdict, 'passed' | 'level' | 'inconclusive'>): VerdictOutcome {
  if (verdict.passed) return 'passed';
  if (verdict.level === 'error') return 'failed';
  return verdict.inconclusive ? 'inconclusive' : 'warned';
}
