/**
 * `${namespace.name}` and `${namespace.name:-default}` in spec strings.
 *
 * Two moments, on purpose:
 * - `env` is resolved when the spec is loaded, before validation, so a duration or URL taken from
 *   the environment is validated like a literal one;
 * - `vars`, `run`, `params`, `data` and `vu` are resolved when a request is sent, because they are
 *   only known then (setup captures, per-user data).
 * `$${` writes a literal `${`.
 */

export const NAMESPACES = ['env', 'vars', 'run', 'params', 'data', 'vu'] as const;
export type Namespace = (typeof NAMESPACES)[number];

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
 */
export function replaceReferences(text: string, lookup: (ref: Reference) => string | undefined): string {
  return text.replace(REFERENCE, (whole, namespace: string | undefined, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$${') return '${';
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
