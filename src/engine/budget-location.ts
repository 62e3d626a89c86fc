/**
 * Where a budget is written in its spec, so CI annotations (`::error file=…,line=…::`) point at the
 * line a person edits. Pure: a path into the spec from the verdict's metric; the YAML source
 * resolves it to the deepest node that exists (a budget given by default points at its check).
 */
import type { ProbeResult } from '../result/result.js';

/** Budgets whose metric name is not their path in the check (the expected status is `expect.status`). */
const CHECK_METRIC_PATHS: Record<string, string[]> = { status: ['expect', 'status'] };

/** `latency.p95` of the 3rd check → ['checks', 2, 'latency', 'p95']. */
export function checkBudgetPath(checkIndex: number, metric: string): Array<string | number> {
  return ['checks', checkIndex, ...(CHECK_METRIC_PATHS[metric] ?? metric.split('.'))];
}

/** `load.p95` of the load section → ['load', 'thresholds', 'p95'] (the metric's first segment is the section). */
export function sectionBudgetPath(sectionKey: string, metric: string): Array<string | number> {
  return [sectionKey, 'thresholds', ...metric.split('.').slice(1)];
}

/** Set `specLine` on every verdict of the probes from a locator. */
export function annotateSpecLines(
  probes: ProbeResult[],
  pathOf: (metric: string) => Array<string | number>,
  locate: (path: Array<string | number>) => { line: number } | undefined,
): void {
  for (const probe of probes) {
    for (const verdict of probe.verdicts) {
      const line = locate(pathOf(verdict.metric))?.line;
      if (line !== undefined) verdict.specLine = line;
    }
  }
}
