/** Discover and load every spec named on the command line, collecting all problems of all files. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PerfspecSpec } from '../../generated/spec-types.js';
import { discoverSpecFiles } from '../../spec/discover.js';
import { loadSpecFile, locateProblems, type LoadedSpec } from '../../spec/load-spec.js';
import { formatProblem, type SpecProblem } from '../../spec/yaml-source.js';
import { PerfspecError } from '../../errors.js';
import { loadTablesFor, type LoadedTables } from '../../probes/registry.js';
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
    const outcome = await loadSpecFile(file, { env, setVars, semanticChecks: checkStartDirectory, semanticWarnings: warnAboutSections });
    problems.push(...outcome.problems);
    if (!outcome.loaded) continue;
    // The probes' own sections, checked once the schema accepted the spec; only the probes this
    // spec uses are imported for it.
    const loaded = outcome.loaded;
    const sectionProblems = locateProblems(
      loaded,
      validateProbeSections(loaded.spec, loaded.dir, await loadTablesFor([loaded.spec], { services: false }), run),
    );
    problems.push(...sectionProblems);
    if (sectionProblems.length === 0) specs.push(loaded);
  }
  return { specs, problems };
}

/**
 * Everything `perfspec validate` checks beyond the schema, given the probes' tables (loadAllSpecs
 * loads only the probes a spec uses; the spec fuzzer passes every probe and runs exactly this).
 */
export function cliSemanticChecks(
  tables: Pick<LoadedTables, 'checkProbes' | 'specProbes'>,
): (spec: PerfspecSpec, specDir: string) => Array<{ path: Array<string | number>; message: string }> {
  return (spec, specDir) => [...validateProbeSections(spec, specDir, tables), ...checkStartDirectory(spec, specDir)];
}

/** target.start.cwd must exist (relative to the spec file): knowable before anything runs. */
export function checkStartDirectory(spec: PerfspecSpec, specDir: string): Array<{ path: Array<string | number>; message: string }> {
  const cwd = spec.target.start?.cwd;
  if (cwd === undefined || existsSync(path.resolve(specDir, cwd))) return [];
  return [{ path: ['target', 'start', 'cwd'], message: `the directory ${path.resolve(specDir, cwd)} does not exist (cwd is relative to the spec file)` }];
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
