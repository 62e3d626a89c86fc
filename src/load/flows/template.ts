/**
 * `${...}` templates in flow requests, compiled once into literal and variable parts so that the
 * hot path only concatenates. Namespaces: `vars.NAME` (captured by this virtual user, else from
 * setup / --set), `vu.id`, `vu.iteration`, `data.SOURCE[.FIELD]`, `run.id`. `${x:-default}`
 * gives a default. Unknown namespaces are a spec error at compile time, never an empty string at
 * run time.
 */

export type Row = unknown;

export interface TemplateScope {
  /** This virtual user's captures (checked first). */
  own: Record<string, string>;
  globals: Record<string, string>;
  vuId: number;
  iteration: number;
  rows: Record<string, Row>;
  runId: string;
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

// `$${` writes a literal `${` (the spec language's escape).
const VARIABLE = /\$\$\{|\$\{([^}]*)\}/g;
const NAMESPACES = ['vars', 'vu', 'data', 'run'];

export class TemplateError extends Error {}

export function compileTemplate(text: string): CompiledTemplate {
  const parts: Part[] = [];
  const dataSources: string[] = [];
  const variables: string[] = [];
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[0] === '$${') {
      parts.push('${');
      continue;
    }
    const [expression, fallback] = splitFallback(match[1].trim());
    const [namespace, key, ...rest] = expression.split('.');
    if (!NAMESPACES.includes(namespace) || !key) {
      throw new TemplateError(`"${match[0]}" is not a known variable: use vars.NAME, vu.id, vu.iteration, data.SOURCE.FIELD or run.id`);
    }
    if (namespace === 'vu' && key !== 'id' && key !== 'iteration') throw new TemplateError(`"${match[0]}": vu has only id and iteration`);
    if (namespace === 'run' && key !== 'id') throw new TemplateError(`"${match[0]}": run has only id`);
    const part: VariablePart = { namespace: namespace as VariablePart['namespace'], key, field: rest.length ? rest.join('.') : undefined, fallback, text: match[0] };
    if (part.namespace === 'data') dataSources.push(key);
    if (part.namespace === 'vars') variables.push(key);
    parts.push(part);
  }
  if (last < text.length) parts.push(text.slice(last));
  const constant = parts.every((part) => typeof part === 'string') ? parts.join('') : undefined;
  return { constant, parts, dataSources, variables };
}

function splitFallback(expression: string): [string, string | undefined] {
  const at = expression.indexOf(':-');
  return at < 0 ? [expression, undefined] : [expression.slice(0, at), expression.slice(at + 2)];
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
    case 'vars':
      value = scope.own[part.key] ?? scope.globals[part.key];
      break;
    case 'vu':
      value = String(part.key === 'id' ? scope.vuId : scope.iteration);
      break;
    case 'run':
      value = scope.runId;
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
      if (template.constant !== undefined) return () => node;
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
    const constant = JSON.stringify(value);
    return { constant, render: () => constant, dataSources, variables };
  }
  return { render: (scope) => JSON.stringify(renderValue(scope)), dataSources, variables };
}
