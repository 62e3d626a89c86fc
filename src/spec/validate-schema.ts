/**
 * Schema validation with errors rewritten for people (ESLint's style): the dotted path first,
 * unknown keys answered with the allowed ones, formats explained with an example, and every
 * problem reported at once.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { createSpecValidator } from '../generated/spec-validator.js';
import { FORMATS } from './formats.js';
import { formatPath } from './yaml-source.js';

export interface SchemaProblem {
  path: Array<string | number>;
  message: string;
  /** Point at the key rather than the value (unknown properties). */
  atKey?: boolean;
}

let compiled: ValidateFunction | undefined;

/** The composed schema: read only to list the keys an object allows through `$ref`/`allOf` (unknown-key messages). */
const SCHEMA_URL = new URL('../../schemas/perfspec.schema.json', import.meta.url);
let rootSchema: JsonSchema | undefined;

interface JsonSchema {
  $ref?: string;
  allOf?: JsonSchema[];
  properties?: Record<string, unknown>;
}

/**
 * The validator ajv compiled ahead of time (npm run gen:types writes src/generated/spec-validator.ts,
 * CI checks it against the schema): compiling the schema at start-up cost every command ~150 ms of CPU.
 */
function getValidator(): ValidateFunction {
  if (compiled) return compiled;
  const formats = Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, { type: 'string', validate: format.validate }]));
  compiled = createSpecValidator(formats) as ValidateFunction;
  return compiled;
}

/** All schema problems of a spec, in document order of their paths. */
export function validateAgainstSchema(data: unknown): SchemaProblem[] {
  const validate = getValidator();
  if (validate(data)) return [];
  return rewriteErrors(validate.errors ?? []);
}

const NUMBER_TEXT = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i;

/**
 * Numbers that came from the environment (`users: ${env.USERS:-10}`): YAML saw a string, the
 * schema wants a number. Where the schema wants one and the text is one, it becomes a number in
 * place, so the schema then range-checks it like a literal (with the string's position). Only the
 * strings `fromEnvironment` names are touched: a quoted "10" written in the spec stays an error.
 */
export function coerceEnvironmentNumbers(data: unknown, fromEnvironment: (path: Array<string | number>) => boolean): void {
  const validate = getValidator();
  if (validate(data)) return;
  for (const error of validate.errors ?? []) {
    if (error.keyword !== 'type') continue;
    const wanted = ([] as string[]).concat(error.params.type as string | string[]);
    if (!wanted.includes('integer') && !wanted.includes('number')) continue;
    const path = toSegments(error.instancePath);
    if (path.length === 0 || !fromEnvironment(path)) continue;
    const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], data) as
      Record<string | number, unknown> | undefined;
    const key = path[path.length - 1];
    const value = parent?.[key];
    if (typeof value === 'string' && NUMBER_TEXT.test(value)) parent![key] = Number(value);
  }
}

function toSegments(instancePath: string): Array<string | number> {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function rewriteErrors(errors: ErrorObject[]): SchemaProblem[] {
  // Errors inside an anyOf branch are noise on their own; the anyOf error is rewritten using the
  // most specific branch error (a format failure says more than "must be number").
  const branchErrors = errors.filter((error) => error.schemaPath.includes('/anyOf/'));
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    if (error.schemaPath.includes('/anyOf/')) continue;
    // "property name must be valid" repeats the format error that already names the key.
    if (error.keyword === 'propertyNames' && errors.some((other) => other.keyword === 'format' && other.instancePath === error.instancePath)) continue;
    const path = toSegments(error.instancePath);
    if (error.keyword === 'anyOf') {
      const siblings = branchErrors.filter((branch) => branch.instancePath === error.instancePath);
      const format = siblings.find((branch) => branch.keyword === 'format');
      // The branch of the value's own type said what is wrong with it ("must be at most 599"):
      // that says more than "must be a string" from a branch of another type.
      const ownType = siblings.find((branch) => branch.keyword !== 'type' && branch.keyword !== 'format' && branch.instancePath === error.instancePath);
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      problems.push({
        path,
        message: format
          ? explainFormat(format)
          : ownType
            ? `${rewriteOne(ownType, path).message}${description ? `: ${description}` : ''}`
            : explainAnyOf(error, siblings),
      });
      continue;
    }
    problems.push(rewriteOne(error, path));
  }
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${formatPath(problem.path)}|${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function rewriteOne(error: ErrorObject, path: Array<string | number>): SchemaProblem {
  switch (error.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      // unevaluatedProperties: an object whose keys are listed once elsewhere and taken through allOf (load scenarios).
      const params = error.params as { additionalProperty?: string; unevaluatedProperty?: string };
      const property = (params.additionalProperty ?? params.unevaluatedProperty)!;
      const allowed = declaredProperties(error.parentSchema as JsonSchema | undefined).filter((key) => key !== '$schema');
      const suggestion = closest(property, allowed);
      return {
        path: [...path, property],
        atKey: true,
        message: `unknown property "${property}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} Allowed: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const property = (error.params as { missingProperty: string }).missingProperty;
      return { path, message: `missing required property "${property}"` };
    }
    case 'type': {
      const expected = (error.params as { type: string | string[] }).type;
      return { path, message: `must be ${article(expected)}, got ${describeType(error.data)}` };
    }
    case 'format':
      return { path, message: explainFormat(error) };
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return { path, message: `must be one of: ${allowed.map((value) => JSON.stringify(value)).join(', ')} (got ${JSON.stringify(error.data)})` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)} (got ${JSON.stringify(error.data)})` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = (error.params as { limit: number }).limit;
      const words = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'above', exclusiveMaximum: 'below' }[error.keyword];
      const why =
        error.keyword === 'maximum' && limit >= 1000 ? '; perfspec bounds every size and duration so a typo cannot exhaust the machine (limits: README)' : '';
      return { path, message: `must be ${words} ${limit} (got ${JSON.stringify(error.data)})${why}` };
    }
    case 'propertyNames':
      return { path, message: `has an invalid key: ${error.message ?? ''}` };
    default:
      return { path, message: error.message ?? `is invalid (${error.keyword})` };
  }
}

/** The keys a schema declares: those of the schemas it takes through `$ref` and `allOf` first, then its own. */
function declaredProperties(schema: JsonSchema | undefined, seen = new Set<JsonSchema>()): string[] {
  if (!schema || seen.has(schema)) return [];
  seen.add(schema);
  const taken = [...(schema.$ref ? [resolveRef(schema.$ref)] : []), ...(schema.allOf ?? [])];
  const keys = [...taken.flatMap((part) => declaredProperties(part, seen)), ...Object.keys(schema.properties ?? {})];
  return [...new Set(keys)];
}

/** A local reference ("#/$defs/loadScenarioKeys") in the composed schema. */
function resolveRef(ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  rootSchema ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as JsonSchema;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], rootSchema) as JsonSchema | undefined;
}

function explainFormat(error: ErrorObject): string {
  const name = (error.params as { format: string }).format;
  const data = typeof error.data === 'string' ? error.data : String(error.data);
  return FORMATS[name]?.explain(data) ?? `must be a valid ${name}`;
}

function explainAnyOf(error: ErrorObject, branches: ErrorObject[]): string {
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  const types = branches.filter((branch) => branch.keyword === 'type').map((branch) => (branch.params as { type: string }).type);
  const shape = types.length > 0 ? `must be ${article(types)} (got ${describeType(error.data)})` : `${JSON.stringify(error.data)} is not valid here`;
  return description ? `${shape}: ${description}` : shape;
}

function article(type: string | string[]): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((name) => (name === 'integer' ? 'an integer' : name === 'object' ? 'an object' : name === 'array' ? 'a list' : `a ${name}`)).join(' or ');
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number too large to hold';
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return 'a value of an unknown YAML tag';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The allowed key closest to a typo (Levenshtein distance ≤ 2), for "Did you mean". */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
