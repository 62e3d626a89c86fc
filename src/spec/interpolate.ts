/**
 * The spec's one request language: `${namespace.name}` and `${namespace.name:-default}` in the
 * strings of setup/teardown steps, checks and load flows alike (one grammar, one table of what is
 * allowed where, one set of messages).
 *
 * Two moments, on purpose:
 * - `env` is resolved when the spec is loaded, before validation, so a duration or URL taken from
 *   the environment is validated like a literal one;
 * - `vars`, `run`, `params`, `data` and `vu` are resolved when a request is sent, because they are
 *   only known then (setup captures, per-user data). Load flows compile their templates once
 *   (`compileTemplate`) so the hot path only concatenates.
 * `$${` writes a literal `${`.
 */

export const NAMESPACES = ['env', 'vars', 'run', 'params', 'data', 'vu'] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** Where a request template stands in a spec. */
export type TemplatePlace = 'spec' | 'check' | 'check-with-params' | 'load';

/**
 * Which namespaces a reference may use where. `params` exists only for a check that cycles
 * `params` (cache checks); `data` and `vu` only inside the load section, whose virtual users pick
 * rows and count iterations. Anything else would be sent with its literal text, so it is a spec error.
 */
export const NAMESPACES_BY_PLACE: Record<TemplatePlace, readonly Namespace[]> = {
  spec: ['env', 'vars', 'run'],
  check: ['env', 'vars', 'run'],
  'check-with-params': ['env', 'vars', 'run', 'params'],
  load: ['env', 'vars', 'run', 'data', 'vu'],
};

/** The fields of the namespaces whose names are fixed. */
export const FIXED_FIELDS: Partial<Record<Namespace, readonly string[]>> = {
  run: ['id', 'startedAt'],
  vu: ['id', 'iteration'],
};

const PLACE_NAMES: Record<TemplatePlace, string> = {
  spec: 'setup, teardown, target and defaults',
  check: 'a check',
  'check-with-params': 'a check',
  load: 'load flows',
};

/**
 * Why a reference cannot resolve where it stands, or undefined when it can. Does not know which
 * variables exist (see checkVariables in load-spec.ts); it knows the grammar and the table above.
 */
export function referenceProblem(ref: Reference, place: TemplatePlace): string | undefined {
  if (!ref.namespace || !ref.name) return `${ref.raw} is not a valid reference; write \${env.NAME}, \${vars.NAME} or \${run.id}`;
  if (!(NAMESPACES as readonly string[]).includes(ref.namespace)) {
    return `unknown variable namespace "${ref.namespace}" in ${ref.raw}; use one of: ${NAMESPACES_BY_PLACE[place].join(', ')}`;
  }
  const allowed = NAMESPACES_BY_PLACE[place];
  if (!allowed.includes(ref.namespace as Namespace)) {
    const why =
      ref.namespace === 'params'
        ? place === 'check'
          ? ' (${params.*} exists only in a check whose cache section cycles params)'
          : ' (${params.*} exists only in checks with cache params)'
        : ' (${data.*} and ${vu.*} exist only in load flows)';
    return `${ref.raw} cannot be resolved in ${PLACE_NAMES[place]}${why}; use one of: ${allowed.map((ns) => `\${${ns}.…}`).join(', ')}`;
  }
  const fields = FIXED_FIELDS[ref.namespace as Namespace];
  if (fields && !fields.includes(ref.name)) {
    return `unknown ${ref.namespace} field "${ref.name}" in ${ref.raw}; use one of: ${fields.map((f) => `\${${ref.namespace}.${f}}`).join(', ')}`;
  }
  return undefined;
}

export interface Reference {
  namespace: string;
  name: string;
  fallback?: string;
  /** The whole `${...}` text. */
  raw: string;
}

const REFERENCE = /\$\$\{|\$\{\s*([A-Za-z_][\w-]*)\.([A-Za-z_][\w.-]*)\s*(?::-([^}]*))?\}|\$\{[^}]*\}?/g;

/** Every `${...}` in a string, malformed ones with an empty namespace. */
export function findReferences(text: string): Reference[] {
  const found: Reference[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    if (match[0] === '$${') continue;
    found.push({ namespace: match[1] ?? '', name: match[2] ?? '', fallback: match[3], raw: match[0] });
  }
  return found;
}

/**
 * Replace references with values from `lookup`; a reference whose lookup returns undefined keeps
 * its default, or stays as written when it has none (the caller decides whether that is an error).
 * `keepEscapes` leaves `$${` as written, for a pass that resolves only some namespaces (env at
 * load time) so that the escape still means a literal `${` when the rest is resolved.
 */
export function replaceReferences(text: string, lookup: (ref: Reference) => string | undefined, keepEscapes = false): string {
  return text.replace(REFERENCE, (whole, namespace: string | undefined, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$${') return keepEscapes ? whole : '${';
    if (!namespace || !name) return whole;
    const value = lookup({ namespace, name, fallback, raw: whole });
    if (value !== undefined) return value;
    return fallback ?? whole;
  });
}

/** A variable scope for resolving requests: namespace → name → value. */
export type Scope = Partial<Record<string, Record<string, string>>>;

/** Resolve every reference from the scope; unknown ones keep their default or stay as written. */
export function resolveString(text: string, scope: Scope): string {
  if (!text.includes('${')) return text;
  return replaceReferences(text, (ref) => scope[ref.namespace]?.[ref.name]);
}

/** Names of references that `resolveString` would leave unresolved. */
export function unresolvedReferences(text: string, scope: Scope): Reference[] {
  return findReferences(text).filter((ref) => ref.fallback === undefined && scope[ref.namespace]?.[ref.name] === undefined);
}

/** Resolve references in every string of a JSON-like value. */
export function resolveDeep<T>(value: T, scope: Scope): T {
  if (typeof value === 'string') return resolveString(value, scope) as T;
  if (Array.isArray(value)) return value.map((item) => resolveDeep(item, scope)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveDeep(item, scope)])) as T;
  }
  return value;
}

/** Visit every string in a JSON-like value with its path. */
export function visitStrings(value: unknown, visit: (text: string, path: Array<string | number>) => void, path: Array<string | number> = []): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, index) => visitStrings(item, visit, [...path, index]));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) visitStrings(item, visit, [...path, key]);
  }
}

/** Replace strings in a JSON-like value through a function that also gets the path. */
export function mapStrings(value: unknown, map: (text: string, path: Array<string | number>) => string, path: Array<string | number> = []): unknown {
  if (typeof value === 'string') return map(value, path);
  if (Array.isArray(value)) return value.map((item, index) => mapStrings(item, map, [...path, index]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map, [...path, key])]));
  }
  return value;
}

// ---- Compiled templates (load flows: compiled once, rendered per request) ----

export type Row = unknown;

/** What a load-flow template reads when it is rendered. */
export interface TemplateScope {
  /** This virtual user's captures (checked first). */
  own: Record<string, string>;
  globals: Record<string, string>;
  vuId: number;
  iteration: number;
  rows: Record<string, Row>;
  runId: string;
  runStartedAt: string;
}

interface VariablePart {
  namespace: 'vars' | 'vu' | 'data' | 'run';
  key: string;
  field?: string;
  fallback?: string;
  text: string;
}

type Part = string | VariablePart;

export interface CompiledTemplate {
  /** The text when it has no variables. */
  constant?: string;
  parts: Part[];
  /** Data sources this template reads. */
  dataSources: string[];
  /** Variables (`vars.*`) this template reads. */
  variables: string[];
}

/** A template the table above does not allow where it stands. */
export class TemplateError extends Error {}

/**
 * Compile a load-flow string; a reference that cannot resolve in load flows is a spec error here,
 * never an empty string at run time. (`env` is gone already: resolved when the spec was loaded.)
 */
export function compileTemplate(text: string): CompiledTemplate {
  const parts: Part[] = [];
  const dataSources: string[] = [];
  const variables: string[] = [];
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[0] === '$${') {
      parts.push('${');
      continue;
    }
    const ref: Reference = { namespace: match[1] ?? '', name: match[2] ?? '', fallback: match[3], raw: match[0] };
    const problem = ref.namespace === 'env' ? `${ref.raw}: environment variables are resolved when the spec is loaded` : referenceProblem(ref, 'load');
    if (problem) throw new TemplateError(problem);
    const [key, ...rest] = ref.name.split('.');
    const part: VariablePart = {
      namespace: ref.namespace as VariablePart['namespace'],
      key,
      field: rest.length ? rest.join('.') : undefined,
      fallback: ref.fallback,
      text: ref.raw,
    };
    if (part.namespace === 'data') dataSources.push(key);
    if (part.namespace === 'vars') variables.push(part.field === undefined ? key : ref.name);
    parts.push(part);
  }
  if (last < text.length) parts.push(text.slice(last));
  const constant = parts.every((part) => typeof part === 'string') ? parts.join('') : undefined;
  return { constant, parts, dataSources, variables };
}

export function renderTemplate(template: CompiledTemplate, scope: TemplateScope): string {
  if (template.constant !== undefined) return template.constant;
  let out = '';
  for (const part of template.parts) out += typeof part === 'string' ? part : resolvePart(part, scope);
  return out;
}

function resolvePart(part: VariablePart, scope: TemplateScope): string {
  let value: string | undefined;
  switch (part.namespace) {
    case 'vars': {
      const name = part.field === undefined ? part.key : `${part.key}.${part.field}`;
      value = scope.own[name] ?? scope.globals[name];
      break;
    }
    case 'vu':
      value = String(part.key === 'id' ? scope.vuId : scope.iteration);
      break;
    case 'run':
      value = part.key === 'id' ? scope.runId : scope.runStartedAt;
      break;
    case 'data': {
      const row = scope.rows[part.key];
      const picked = part.field === undefined ? row : row !== null && typeof row === 'object' ? (row as Record<string, unknown>)[part.field] : undefined;
      value = picked === undefined || picked === null ? undefined : typeof picked === 'object' ? JSON.stringify(picked) : String(picked);
      break;
    }
  }
  return value ?? part.fallback ?? '';
}

/** A JSON body with templates in its strings; constant bodies are serialised once. */
export interface CompiledJson {
  constant?: string;
  render(scope: TemplateScope): string;
  dataSources: string[];
  variables: string[];
}

export function compileJson(value: unknown): CompiledJson {
  const dataSources: string[] = [];
  const variables: string[] = [];
  let dynamic = false;
  const build = (node: unknown): ((scope: TemplateScope) => unknown) => {
    if (typeof node === 'string') {
      const template = compileTemplate(node);
      dataSources.push(...template.dataSources);
      variables.push(...template.variables);
      if (template.constant !== undefined) return () => template.constant;
      dynamic = true;
      return (scope) => renderTemplate(template, scope);
    }
    if (Array.isArray(node)) {
      const items = node.map(build);
      return (scope) => items.map((item) => item(scope));
    }
    if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node).map(([k, v]) => [k, build(v)] as const);
      return (scope) => Object.fromEntries(entries.map(([k, item]) => [k, item(scope)]));
    }
    return () => node;
  };
  const renderValue = build(value);
  if (!dynamic) {
    const constant = JSON.stringify(renderValue({} as TemplateScope));
    return { constant, render: () => constant, dataSources, variables };
  }
  return { render: (scope) => JSON.stringify(renderValue(scope)), dataSources, variables };
}
