/**
 * The `load` spec probe: the selected scenarios of the spec's `load:` section, run one after the
 * other with the load engine (src/load), one result each. measure.ts runs them, judge.ts judges
 * each scenario's measurement, present.ts shows it; the engine composes the three (runSpecProbe).
 */
import type { PerfspecSpec } from '../../generated/spec-types.js';
import { prepareScenario } from '../../load/run/run-load.js';
import { checkSocketBudget } from '../../load/plan/socket-budget.js';
import { collectProblems } from '../validate-sections.js';
import type { SpecProbe } from '../types.js';
import { judgeLoad } from './judge.js';
import { measureLoad } from './measure.js';
import type { LoadMeasurement } from './measurement.js';
import { presentLoad } from './present.js';
import { resultName, selectScenarios, type LoadSection } from './section.js';

export const loadProbe: SpecProbe<LoadSection, LoadMeasurement> = {
  kind: 'load',
  key: 'load',
  validate(section, { specDir, varNames, spec, select, host }) {
    // Every scenario, not only the default ones: --profile may pick any of them later.
    const names = Object.keys(section.scenarios ?? {});
    const vars = Object.fromEntries(varNames.map((name) => [name, 'x']));
    const runtime = { baseUrl: 'http://127.0.0.1', vars, baseDir: specDir };
    const problems = collectProblems(() =>
      selectScenarios(section, names.length ? { profile: names.join(',') } : {}).forEach(({ config }) => prepareScenario(config, runtime)),
    );
    // The scenarios that will run must fit under this machine's open-file limit. (An unknown
    // --profile is reported when the scenarios are chosen to run.)
    const limit = host?.openFiles;
    // The scenarios run without --profile: load.default must name existing ones.
    problems.push(...collectProblems(() => selectScenarios(section, {})));
    if (problems.length > 0 || !limit) return problems;
    let selected: ReturnType<typeof selectScenarios>;
    try {
      selected = selectScenarios(section, select ?? {});
    } catch {
      return problems;
    }
    return selected.flatMap(({ config }) => {
      const { plan, compiled } = prepareScenario(config, runtime);
      return checkSocketBudget({ plan, origins: countOrigins(compiled), proxy: usesDatabaseProxy(spec), startsTarget: startsTarget(spec), limit });
    });
  },
  checkSelect: (section, select) => collectProblems(() => selectScenarios(section, select)),
  resultNames(section, select) {
    return selectScenarios(section, select).map(({ config }) => resultName(config.name));
  },
  measure: measureLoad,
  judge: (_section, measurement) => judgeLoad(measurement),
  present: (_section, measurement) => presentLoad(measurement),
};

function countOrigins(compiled: ReturnType<typeof prepareScenario>['compiled']): number {
  const origins = new Set<string>();
  for (const flow of compiled.flows) for (const step of flow.steps) if (step.kind === 'request') for (const target of step.targets) origins.add(target.origin);
  return Math.max(1, origins.size);
}

/** The spec's PostgreSQL service records through perfspec's proxy (the default source). */
function usesDatabaseProxy(spec: PerfspecSpec | undefined): boolean {
  const postgres = spec?.services?.postgres;
  return postgres !== undefined && (postgres.source ?? 'proxy') === 'proxy';
}

function startsTarget(spec: PerfspecSpec | undefined): boolean {
  return spec?.target.start !== undefined;
}
