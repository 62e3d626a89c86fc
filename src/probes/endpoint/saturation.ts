/**
 * Saturation only inflates latency. So a latency PASS measured on a saturated host stands, while a
 * latency FAIL measured there is re-measured (after the host calms, or anyway) before it is
 * believed; if it fails again and again only under saturation, it is inconclusive with the reason.
 * Pure: the probe measures, this decides.
 */
import type { HostLoad } from '../../metrics/host-monitor.js';
import type { Verdict } from '../../verdict/types.js';

export function isLatencyVerdict(verdict: Verdict): boolean {
  return verdict.metric.startsWith('latency.') || verdict.metric === 'cache.hitLatency';
}

/** A measurement worth repeating: some latency budget failed while the host was saturated. */
export function needsRemeasure(verdicts: Verdict[], host: HostLoad): boolean {
  return host.saturated && verdicts.some((verdict) => isLatencyVerdict(verdict) && verdict.outcome === 'fail');
}

/**
 * The verdicts of the re-measurement, with every latency FAIL that was again measured on a
 * saturated host turned inconclusive (both measurements were saturated: the failure may be the host's).
 */
export function settleAfterRemeasure(second: Verdict[], secondHost: HostLoad, firstHost: HostLoad): Verdict[] {
  if (!secondHost.saturated) return second;
  const reasons = `first ${firstHost.reasons.join(', ')}; then ${secondHost.reasons.join(', ')}`;
  return second.map((verdict) =>
    isLatencyVerdict(verdict) && verdict.outcome === 'fail' && verdict.actualValue !== null
      ? {
          ...verdict,
          outcome: 'inconclusive' as const,
          passed: false,
          message: `${verdict.message} — but both measurements ran on a saturated host (${reasons}): saturation inflates latency, so this failure may be the host's, not the endpoint's`,
        }
      : verdict,
  );
}

/** Inconclusive latency verdicts measured on a saturated host say so: the interval may be the host's. */
export function noteSaturation(verdicts: Verdict[], host: HostLoad): Verdict[] {
  if (!host.saturated) return verdicts;
  return verdicts.map((verdict) =>
    isLatencyVerdict(verdict) && verdict.outcome === 'inconclusive' && !verdict.message.includes('saturated')
      ? { ...verdict, message: `${verdict.message}; measured while the host was saturated (${host.reasons.join('; ')}), which only inflates latency` }
      : verdict,
  );
}
