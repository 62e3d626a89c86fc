/**
 * Load one spec file: parse YAML with positions, resolve `${env.*}`, validate against the schema,
 * then check what a schema cannot (variables that are never defined). Every problem is collected;
 * nothing throws for bad input.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PerfspecSpec } from '../generated/spec-types.js';
import { findReferences, mapStrings, referenceProblem, replaceReferences, visitStrings, type TemplatePlace } from './interpolate.js';
import { coerceEnvironmentNumbers, validateAgainstSchema } from './validate-schema.js';
import { formatPath, parseYamlSource, type SpecProblem, type YamlSource } from './yaml-source.js';

export interface LoadOptions {
  env: Record<string, string | undefined>;
  /** Variables given on the command line (--set NAME=VALUE). */
  setVars?: Record<string, string>;
  /**
   * Checks beyond the schema (the probes' own sections), run only on a spec the schema accepted.
   * Passed in so the spec loader does not depend on the probe modules.
   */
  semanticChecks?: (spec: PerfspecSpec, specDir: string) => Array<{ path: Array<string | number>; message: string }>;
  /** Like semanticChecks, but what it finds only warns (the spec still runs). */
  semanticWarnings?: (spec: PerfspecSpec) => Array<{ path: Array<string | number>; message: string }>;
}

export interface LoadedSpec {
  file: string;
  dir: string;
  spec: PerfspecSpec;
  source: YamlSource;
  /** Things worth knowing before the run that do not stop it (printed by validate and run). */
  warnings: SpecProblem[];
}

export interface LoadOutcome {
  loaded?: LoadedSpec;
  problems: SpecProblem[];
}

export async function loadSpecFile(file: string, options: LoadOptions): Promise<LoadOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? 'unknown error'})`;
    return { problems: [{ file, path: '', message: reason }] };
  }
  return loadSpecText(file, text, options);
}

export function loadSpecText(file: string, text: string, options: LoadOptions): LoadOutcome {
  const source = parseYamlSource(file, text);
  if (source.problems.length > 0 || source.data === undefined) return { problems: source.problems };
  if (source.data === null || typeof source.data !== 'object' || Array.isArray(source.data)) {
    return { problems: [{ file, position: { line: 1, col: 1 }, path: '', message: 'a spec must be a YAML mapping (perfspec: 1, name: ..., target: ...)' }] };
  }

  const problems: SpecProblem[] = [];
  const at = (segments: Array<string | number>, message: string, key = false): SpecProblem => ({
    file,
    position: source.locate(segments, { key }),
    path: formatPath(segments),
    message,
  });

  const fromEnvironment = new Set<string>();
  const data = resolveEnvironment(source.data, options.env, (segments, message) => problems.push(at(segments, message)), fromEnvironment);
  coerceEnvironmentNumbers(data, (segments) => fromEnvironment.has(formatPath(segments)));
  for (const problem of validateAgainstSchema(data)) problems.push(at(problem.path, problem.message, problem.atKey));
  for (const problem of checkVariables(data as PerfspecSpec, options.setVars ?? {})) problems.push(at(problem.path, problem.message));
  if (problems.length === 0 && options.semanticChecks) {
    for (const problem of options.semanticChecks(data as PerfspecSpec, path.dirname(path.resolve(file)))) problems.push(at(problem.path, problem.message));
  }

  problems.sort((a, b) => (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.col ?? 0) - (b.position?.col ?? 0));
  if (problems.length > 0) return { problems };
  const warnings = (options.semanticWarnings?.(data as PerfspecSpec) ?? []).map((problem) => at(problem.path, problem.message));
  return { loaded: { file, dir: path.dirname(path.resolve(file)), spec: data as PerfspecSpec, source, warnings }, problems };
}

/**
 * Replace `${env.NAME}` everywhere; report every reference that cannot resolve where it stands
 * (the table in interpolate.ts) and unset variables without default.
 */
function resolveEnvironment(
  data: unknown,
  env: Record<string, string | undefined>,
  report: (path: Array<string | number>, message: string) => void,
  /** Filled with the paths of strings that took a value from the environment. */
  fromEnvironment: Set<string>,
): unknown {
  return mapStrings(data, (text, segments) => {
    if (!text.includes('${')) return text;
    if (findReferences(text).some((ref) => ref.namespace === 'env')) fromEnvironment.add(formatPath(segments));
    const place = placeOf(data, segments);
    for (const ref of findReferences(text)) {
      const problem = referenceProblem(ref, place);
      if (problem) report(segments, problem);
      else if (ref.namespace === 'env' && env[ref.name] === undefined && ref.fallback === undefined) {
        report(segments, `environment variable ${ref.name} is not set and ${ref.raw} has no default; set it or write \${env.${ref.name}:-default}`);
      } else if (ref.namespace === 'params' && ref.fallback === undefined) {
        const missing = checkParams(data, segments).findIndex((entry) => !Object.hasOwn(entry, ref.name));
        if (missing >= 0)
          report(segments, `${ref.raw}: params entry ${missing} has no "${ref.name}"; add it to every entry or write \${params.${ref.name}:-default}`);
      }
    }
    // Only env now: every other reference (and a `$${` escape) is resolved when a request is sent.
    // A later namespace keeps its text as written, default included (`${vars.x:-d}` is not `d` yet).
    return replaceReferences(text, (ref) => (ref.namespace === 'env' ? env[ref.name] : ref.raw), true);
  });
}

/** Where a string stands, for the table of namespaces: the load section, a check (with or without params), or elsewhere. */
function placeOf(data: unknown, segments: Array<string | number>): TemplatePlace {
  if (segments[0] === 'load') return 'load';
  if (segments[0] !== 'checks' || typeof segments[1] !== 'number') return 'spec';
  return checkParams(data, segments).length > 0 ? 'check-with-params' : 'check';
}

/** The `cache.params` entries of the check a path is in (the only check feature that fills `${params.*}`). */
function checkParams(data: unknown, segments: Array<string | number>): Array<Record<string, unknown>> {
  const checks = (data as { checks?: unknown }).checks;
  const check = Array.isArray(checks) ? (checks[segments[1] as number] as { cache?: { params?: unknown } } | undefined) : undefined;
  const params = check?.cache?.params;
  return Array.isArray(params) ? params.filter((entry): entry is Record<string, unknown> => Boolean(entry) && typeof entry === 'object') : [];
}

interface VariableProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * `${vars.NAME}` must be defined before it is used: by `vars`, by --set, or by a capture of an
 * earlier setup step. Default headers may refer to a capture that comes later (they are left out
 * of requests sent before it exists), and the load section may use its own flows' captures.
 */
export function checkVariables(spec: PerfspecSpec, setVars: Record<string, string>): VariableProblem[] {
  const problems: VariableProblem[] = [];
  // Runs even when the schema found problems (all problems at once), so every access is defensive.
  const objectKeys = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : []);
  const setup = Array.isArray(spec.setup) ? spec.setup : [];
  const known = new Set([...objectKeys(spec.vars), ...Object.keys(setVars)]);
  const allCaptures = new Set(known);
  for (const step of setup) for (const name of objectKeys(step?.capture)) allCaptures.add(name);

  const verify = (value: unknown, base: Array<string | number>, defined: Set<string>, hint: string) => {
    visitStrings(value, (text, segments) => {
      for (const ref of findReferences(text)) {
        if (ref.namespace !== 'vars' || ref.fallback !== undefined || defined.has(ref.name)) continue;
        problems.push({ path: [...base, ...segments], message: `\${vars.${ref.name}} is not defined; ${hint}` });
      }
    });
  };
  const hint = (available: Set<string>) =>
    `define it under vars, pass --set ${'NAME'}=VALUE, or capture it in setup${available.size ? ` (defined: ${[...available].join(', ')})` : ''}`;

  const sofar = new Set(known);
  setup.forEach((step, index) => {
    const { capture, ...rest } = (step ?? {}) as typeof step;
    verify(rest, ['setup', index], sofar, hint(sofar));
    for (const name of objectKeys(capture)) sofar.add(name);
  });
  verify((spec.target as { headers?: unknown } | undefined)?.headers, ['target', 'headers'], allCaptures, hint(allCaptures));
  verify(spec.defaults, ['defaults'], allCaptures, hint(allCaptures));
  verify(spec.checks, ['checks'], allCaptures, hint(allCaptures));
  verify(spec.teardown, ['teardown'], allCaptures, hint(allCaptures));
  if (spec.load !== undefined) {
    const loadCaptures = new Set(allCaptures);
    collectCaptureNames(spec.load, loadCaptures);
    verify(spec.load, ['load'], loadCaptures, hint(loadCaptures));
  }
  return problems;
}

/** Names under any `capture:` mapping inside a value (load flows capture per virtual user). */
function collectCaptureNames(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) value.forEach((item) => collectCaptureNames(item, into));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'capture' && item && typeof item === 'object' && !Array.isArray(item)) for (const name of Object.keys(item)) into.add(name);
      collectCaptureNames(item, into);
    }
  }
}

/**
 * Place problems found after loading (the probes' own sections, whose modules are imported only
 * once the spec says which it uses) at their YAML positions, in file order.
 */
export function locateProblems(loaded: LoadedSpec, found: Array<{ path: Array<string | number>; message: string }>): SpecProblem[] {
  return found
    .map((problem): SpecProblem => ({
      file: loaded.file,
      position: loaded.source.locate(problem.path, { key: false }),
      path: formatPath(problem.path),
      message: problem.message,
    }))
    .sort((a, b) => (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.col ?? 0) - (b.position?.col ?? 0));
}
