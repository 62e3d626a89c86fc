/**
 * Ask every registered probe about its own section of a spec, so `perfspec validate` catches what
 * only a probe understands (a threshold on a request name no flow sends, a CSV file that is missing)
 * before anything runs.
 */
import { isPerfspecError } from '../errors.js';
import type { PerfspecSpec } from '../generated/spec-types.js';
import { planChecks } from '../engine/plan.js';
import { formatPath } from '../spec/yaml-source.js';
import { sectionOf, type CheckProbe, type HostLimits, type SpecProbe } from './types.js';
import { describeUnbounded, unboundedBudgets } from './endpoint/sample-plan.js';

export interface SectionProblem {
  path: Array<string | number>;
  message: string;
}

/** Turn a probe's thrown PerfspecError into problem messages (message plus its details). */
export function collectProblems(check: () => unknown): string[] {
  try {
    check();
    return [];
  } catch (error) {
    if (isPerfspecError(error)) return [error.message, ...error.details.map((line) => line.trim())];
    return [error instanceof Error ? error.message : String(error)];
  }
}

export function validateProbeSections(
  spec: PerfspecSpec,
  specDir: string,
  tables: { checkProbes: readonly CheckProbe[]; specProbes: readonly SpecProbe[] },
  run: { select?: Record<string, string>; host?: HostLimits } = {},
): SectionProblem[] {
  const problems: SectionProblem[] = [];
  const services = (spec.services ?? {}) as Record<string, unknown>;
  for (const check of planChecks(spec)) {
    for (const probe of tables.checkProbes) {
      if (!probe.key || check.raw[probe.key] === undefined) continue;
      if (probe.service && services[probe.service] === undefined) {
        problems.push(
          pointAt(
            ['checks', check.index, probe.key],
            `a ${probe.key} budget needs services.${probe.service} (where perfspec measures it); add services: { ${probe.service}: { url: ... } } or remove the ${probe.key} budget`,
          ),
        );
      }
      if (!probe.validate) continue;
      for (const message of probe.validate(check)) problems.push(pointAt(['checks', check.index, probe.key], message));
    }
  }
  const varNames = [...Object.keys(spec.vars ?? {}), ...(spec.setup ?? []).flatMap((step) => Object.keys(step.capture ?? {}))];
  for (const probe of tables.specProbes) {
    const section = sectionOf(spec, probe.key);
    if (section === undefined || !probe.validate) continue;
    const ctx = { specDir, varNames, spec, select: run.select, host: run.host };
    for (const message of probe.validate(section, ctx)) problems.push(pointAt([probe.key], message));
  }
  return problems;
}

/**
 * Problems that do not stop a run but deserve a reader's attention before it: latency budgets on
 * percentiles that the configured samples cannot bound (p99 from 20 samples is the maximum).
 */
export function warnAboutSections(spec: PerfspecSpec): SectionProblem[] {
  const warnings: SectionProblem[] = [];
  for (const check of planChecks(spec)) {
    const latency = check.raw.latency;
    // Adaptive sampling can go up to maxSamples: only a budget that even maxSamples cannot bound is a problem.
    for (const budget of unboundedBudgets(latency, check.maxSamples)) {
      warnings.push({ path: ['checks', check.index, 'latency', budget.key], message: describeUnbounded(budget, check.samples, check.maxSamples) });
    }
  }
  return warnings;
}

/**
 * A probe's message may start with a deeper dotted path ("checks[0].queries.threshold: ...");
 * point at that deeper node and keep the rest as the message, so positions are as precise as
 * the schema's own.
 */
export function pointAt(base: Array<string | number>, message: string): SectionProblem {
  const prefix = `${formatPath(base)}.`;
  const match = /^(\S+?):? (.*)$/s.exec(message);
  if (!match || !match[1].startsWith(prefix)) return { path: base, message };
  const rest = match[1].slice(prefix.length).split('.').filter(Boolean);
  return { path: [...base, ...rest], message: match[2] };
}
