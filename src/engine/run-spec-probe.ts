/**
 * One spec probe on its section: the composition of its contract (src/probes/types.ts). Measure
 * (the only I/O), judge the measurement, present it; judge's lists and present's results are paired
 * by position, and each result's verdicts are exactly judge's, so a probe cannot show one set of
 * verdicts and be judged on another.
 */
import type { ProbeContext, SpecProbe, SpecProbeOptions } from '../probes/types.js';
import type { CheckResult, ProbeResult } from '../result/result.js';
import { statusOfProbes } from '../result/status.js';

export async function runSpecProbe<Section, Measurement>(
  probe: SpecProbe<Section, Measurement>,
  section: Section,
  ctx: ProbeContext,
  options: SpecProbeOptions,
): Promise<CheckResult[]> {
  const measurement = await probe.measure(section, ctx, options);
  const verdicts = probe.judge(section, measurement);
  const shown = probe.present(section, measurement, verdicts);
  if (shown.length !== verdicts.length) {
    // A bug in the probe, not in the spec: pairing them any other way would hang verdicts on the wrong result.
    throw new Error(`${probe.kind} probe: judge gave ${verdicts.length} lists of verdicts but present ${shown.length} results`);
  }
  return shown.map(({ name, request, durationMs, probe: presentation }, i) => {
    const result: ProbeResult = { kind: probe.kind, verdicts: verdicts[i], ...presentation };
    // Set again after the spread, in case the presentation carried a kind or verdicts of its own; an
    // assignment keeps the keys' order (kind, verdicts, then the presentation's), which the JSON report shows.
    result.kind = probe.kind;
    result.verdicts = verdicts[i];
    return { name, section: probe.key, request, status: statusOfProbes([result]), durationMs, probes: [result] };
  });
}
