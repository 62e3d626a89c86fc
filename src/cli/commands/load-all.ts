/** Discover and load every spec named on the command line, collecting all problems of all files. */
import { discoverSpecFiles } from '../../spec/discover.js';
import { loadSpecFile, locateProblems, type LoadedSpec } from '../../spec/load-spec.js';
import { formatProblem, type SpecProblem } from '../../spec/yaml-source.js';
import { PerfspecError } from '../../errors.js';
import { loadTablesFor } from '../../probes/registry.js';
import type { HostLimits } from '../../probes/types.js';
import { validateProbeSections, warnAboutSections } from '../../probes/validate-sections.js';

export async function loadAllSpecs(
  inputs: string[],
  env: Record<string, string | undefined>,
  setVars: Record<string, string>,
  /** What will run and where, for checks against the machine's limits (see SectionValidationContext). */
  run: { select?: Record<string, string>; host?: HostLimits } = {},
): Promise<{ specs: LoadedSpec[]; problems: SpecProblem[] }> {
  const { files, missing } = await discoverSpecFiles(inputs);
  if (missing.length > 0) {
    throw new PerfspecError('PS_SPEC_NOT_FOUND', `no such file or directory: ${missing.join(', ')}`, {
      hint: 'Pass spec files (*.yaml) or directories that contain them.',
    });
  }
  if (files.length === 0) {
    throw new PerfspecError('PS_SPEC_NOT_FOUND', `no *.yaml specs found in ${inputs.join(', ')}`, { hint: 'Create one with `perfspec init`.' });
  }
  const specs: LoadedSpec[] = [];
  const problems: SpecProblem[] = [];
  for (const file of files) {
    const outcome = await loadSpecFile(file, { env, setVars, semanticWarnings: warnAboutSections });
    problems.push(...outcome.problems);
    if (!outcome.loaded) continue;
    // The probes' own sections, checked once the schema accepted the spec; only the probes this
    // spec uses are imported for it.
    const loaded = outcome.loaded;
    const sectionProblems = locateProblems(loaded, validateProbeSections(loaded.spec, loaded.dir, await loadTablesFor([loaded.spec], { services: false }), run));
    problems.push(...sectionProblems);
    if (sectionProblems.length === 0) specs.push(loaded);
  }
  return { specs, problems };
}

export function printProblems(write: (text: string) => unknown, problems: SpecProblem[]): void {
  for (const problem of problems) write(`${formatProblem(problem)}\n`);
  const files = new Set(problems.map((problem) => problem.file)).size;
  write(`\n${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files} spec${files === 1 ? '' : 's'}\n`);
}

/** Warnings of loaded specs ("file:line:col path: warning: ..."); they never change the exit code. */
export function printWarnings(write: (text: string) => unknown, specs: LoadedSpec[]): void {
  for (const problem of specs.flatMap((spec) => spec.warnings)) write(`${formatProblem({ ...problem, message: `warning: ${problem.message}` })}\n`);
}

/** "--set a=1 --set b=2" → {a: "1", b: "2"}; a malformed entry is a usage error. */
export function parseSetOptions(values: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new PerfspecError('PS_USAGE', `--set expects NAME=VALUE, got "${value}"`);
    vars[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return vars;
}
