/** Discover and load every spec named on the command line, collecting all problems of all files. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PerfspecSpec } from '../../generated/spec-types.js';
import { discoverSpecFiles } from '../../spec/discover.js';
import { loadSpecFile, type LoadedSpec } from '../../spec/load-spec.js';
import { formatProblem, type SpecProblem } from '../../spec/yaml-source.js';
import { PerfspecError } from '../../errors.js';
import { CHECK_PROBES, SPEC_PROBES } from '../../probes/registry.js';
import { validateProbeSections } from '../../probes/validate-sections.js';

export async function loadAllSpecs(
  inputs: string[],
  env: Record<string, string | undefined>,
  setVars: Record<string, string>,
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
    const outcome = await loadSpecFile(file, { env, setVars, semanticChecks: cliSemanticChecks });
    problems.push(...outcome.problems);
    if (outcome.loaded) specs.push(outcome.loaded);
  }
  return { specs, problems };
}

/** Everything `perfspec validate` checks beyond the schema (exported so the spec fuzzer runs exactly this). */
export function cliSemanticChecks(spec: PerfspecSpec, specDir: string): Array<{ path: Array<string | number>; message: string }> {
  return [...validateProbeSections(spec, specDir, { checkProbes: CHECK_PROBES, specProbes: SPEC_PROBES }), ...checkStartDirectory(spec, specDir)];
}

/** target.start.cwd must exist (relative to the spec file): knowable before anything runs. */
function checkStartDirectory(spec: PerfspecSpec, specDir: string): Array<{ path: Array<string | number>; message: string }> {
  const cwd = spec.target.start?.cwd;
  if (cwd === undefined || existsSync(path.resolve(specDir, cwd))) return [];
  return [{ path: ['target', 'start', 'cwd'], message: `the directory ${path.resolve(specDir, cwd)} does not exist (cwd is relative to the spec file)` }];
}

export function printProblems(write: (text: string) => unknown, problems: SpecProblem[]): void {
  for (const problem of problems) write(`${formatProblem(problem)}\n`);
  const files = new Set(problems.map((problem) => problem.file)).size;
  write(`\n${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files} spec${files === 1 ? '' : 's'}\n`);
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
