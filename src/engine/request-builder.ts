/**
 * Turn a request template into a concrete request: variables resolved, URL joined onto the base
 * URL, headers layered (target < defaults < request), JSON encoded once.
 */
import type { HttpRequest } from '../sources/http/types.js';
import { resolveDeep, resolveString, unresolvedReferences, type Scope } from '../spec/interpolate.js';
import type { RequestTemplate } from '../probes/types.js';
import { assertSafeRequest } from '../sources/http/header-safety.js';

export interface RequestBuilderOptions {
  baseUrl: string;
  /** Headers from target.headers and defaults.headers, in that order. */
  defaultHeaders: Record<string, string>;
}

/** Join a path onto a base URL, keeping the base's own path prefix ("http://h/api" + "/x" → "http://h/api/x"). */
export function joinUrl(baseUrl: string, target: string): URL {
  if (/^https?:\/\//i.test(target)) return new URL(target);
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const [path, search] = target.split('?', 2);
  base.pathname = `${prefix}${path.startsWith('/') ? path : `/${path}`}`;
  base.search = search ? `?${search}` : '';
  return base;
}

export function buildRequest(template: RequestTemplate, scope: Scope, options: RequestBuilderOptions): HttpRequest {
  const url = joinUrl(options.baseUrl, resolveString(template.url, scope));
  for (const [key, value] of Object.entries(template.query)) url.searchParams.set(key, resolveString(value, scope));

  const headers: Record<string, string> = {};
  // A default header that refers to a variable not captured yet (the login step's own request)
  // is left out rather than sent with a literal "${vars.token}".
  for (const [name, value] of Object.entries(options.defaultHeaders)) {
    if (unresolvedReferences(value, scope).length === 0) headers[name.toLowerCase()] = resolveString(value, scope);
  }
  for (const [name, value] of Object.entries(template.headers)) headers[name.toLowerCase()] = resolveString(value, scope);

  let body: string | undefined;
  if (template.json !== undefined) {
    body = JSON.stringify(resolveDeep(template.json, scope));
    headers['content-type'] ??= 'application/json';
  } else if (template.body !== undefined) {
    body = resolveString(template.body, scope);
  }
  // A value that became unsafe once interpolated (a captured token with a line break) fails this
  // request instead of going on the wire.
  assertSafeRequest(template.method, url.pathname + url.search, Object.entries(headers));
  return { method: template.method, url: url.toString(), headers, body };
}
