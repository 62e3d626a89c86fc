/**
 * The `load:` section of a spec → the scenarios to run. Pure. Keys beside `scenarios` are shared
 * and each scenario may override them; without `scenarios` the section is the one scenario.
 * `--profile NAME` (SpecProbeOptions.select.profile) picks scenarios by name; without it, those
 * named by `default`, else all.
 */
import { PerfspecError } from '../../errors.js';
import type { Load } from '../../generated/spec-types.js';
import type { LoadScenarioConfig } from '../../load/types.js';

/** The `load:` section as the schema types it (`shards`: the shard count of distributed runs, src/load/shard). */
export type LoadSection = Load;

export interface SelectedScenario {
  config: LoadScenarioConfig;
  description?: string;
}

export function selectScenarios(section: LoadSection, select: Record<string, string>): SelectedScenario[] {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- shards is the run's, not a scenario's
  const { scenarios, default: defaults, description, shards, ...shared } = section;
  if (!scenarios) {
    if (select.profile && select.profile !== 'load') {
      throw new PerfspecError('PS_USAGE', `--profile ${select.profile}: this spec's load section has no named scenarios`, {
        hint: 'Drop --profile, or give the load section scenarios: { quick: {...}, full: {...} }.',
      });
    }
    return [{ config: { ...shared, name: 'load', flows: shared.flows ?? [] } as LoadScenarioConfig, description }];
  }
  const names = Object.keys(scenarios);
  const wanted = select.profile
    ? select.profile
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
    : defaults === undefined
      ? names
      : Array.isArray(defaults)
        ? defaults
        : [defaults];
  const unknown = wanted.filter((name) => !(name in scenarios));
  if (unknown.length > 0) {
    const how = select.profile ? `--profile ${select.profile}` : `load.default`;
    throw new PerfspecError(select.profile ? 'PS_USAGE' : 'PS_SPEC_INVALID', `${how}: no load scenario named ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      hint: `Known scenarios: ${names.join(', ')}.`,
    });
  }
  return wanted.map((name) => {
    const { description: own, ...overrides } = scenarios[name] ?? {};
    return {
      config: {
        ...shared,
        ...overrides,
        headers: { ...(shared.headers ?? {}), ...(overrides.headers ?? {}) },
        name,
        flows: overrides.flows ?? shared.flows ?? [],
      } as LoadScenarioConfig,
      description: own ?? description,
    };
  });
}

/** A scenario's name in reports and for --only. */
export function resultName(scenario: string): string {
  return `Load: ${scenario}`;
}
