/**
 * One check probe on one check: the composition of its contract (src/probes/types.ts). Parse once,
 * measure (the only I/O), judge the measurement, present it; the result's verdicts are exactly
 * what judge returned, so a probe cannot show one set of verdicts and be judged on another.
 */
import type { CheckProbe, PlannedCheck, ProbeContext } from '../probes/types.js';
import type { ProbeResult } from '../result/result.js';

export async function runCheckProbe<Config, Measurement>(probe: CheckProbe<Config, Measurement>, check: PlannedCheck, ctx: ProbeContext): Promise<ProbeResult> {
  // A probe without parse has no config of its own: its Config is undefined.
  const config = probe.parse ? probe.parse(check) : (undefined as Config);
  const measurement = await probe.measure(check, config, ctx);
  const verdicts = probe.judge(check, config, measurement);
  const result: ProbeResult = { kind: probe.kind, verdicts, ...probe.present(check, config, measurement, verdicts) };
  // Set again after the spread, in case the presentation carried a kind or verdicts of its own; an
  // assignment keeps the keys' order (kind, verdicts, then the presentation's), which the JSON report shows.
  result.kind = probe.kind;
  result.verdicts = verdicts;
  return result;
}
