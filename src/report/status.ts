/** How verdicts and probe outcomes add up to a status. Pure; shared by the engine and spec probes. */
import { standingOf, type InconclusivePolicy, type Verdict } from '../verdict/types.js';
import type { ProbeResult, RunResult, Status } from './result.js';

/**
 * A check's status from its probes: a broken probe is an error; a failed error-level budget (or
 * an inconclusive one under `inconclusive: fail`) fails it; warnings and inconclusive verdicts
 * under the default `inconclusive: warn` only warn.
 */
export function statusOfProbes(probes: ProbeResult[]): Status {
  if (probes.some((probe) => probe.error)) return 'error';
  const standings = probes.flatMap((probe) => probe.verdicts).map(standingOf);
  if (standings.includes('fail')) return 'failed';
  if (standings.some((standing) => standing !== 'pass')) return 'warned';
  return 'passed';
}

/** The worst of several statuses. */
export function combineStatuses(statuses: Status[]): Status {
  const order: Status[] = ['error', 'failed', 'warned', 'passed', 'skipped'];
  for (const status of order) if (statuses.includes(status)) return status;
  return 'passed';
}

/** Mark every inconclusive verdict with the policy that decides how it counts (a new array; verdicts copied). */
export function applyInconclusivePolicy(verdicts: Verdict[], policy: InconclusivePolicy): Verdict[] {
  return verdicts.map((verdict) => (verdict.outcome === 'inconclusive' ? { ...verdict, inconclusive: policy } : verdict));
}

/**
 * The run's verdict counts. Each verdict is counted once: passed, failed (error-level fail),
 * warned (warn-level fail) or inconclusive (whatever its policy; the policy shows in the status).
 */
export function summariseVerdicts(verdicts: Verdict[]): Omit<RunResult['summary'], 'errors'> {
  const outcome = (verdict: Verdict) => verdict.outcome ?? (verdict.passed ? 'pass' : 'fail');
  return {
    verdicts: verdicts.length,
    passed: verdicts.filter((verdict) => outcome(verdict) === 'pass').length,
    failed: verdicts.filter((verdict) => outcome(verdict) === 'fail' && verdict.level === 'error').length,
    warned: verdicts.filter((verdict) => outcome(verdict) === 'fail' && verdict.level === 'warn').length,
    inconclusive: verdicts.filter((verdict) => outcome(verdict) === 'inconclusive').length,
  };
}

