/**
 * The route table: method, path pattern, handler name, whether a bearer token is required.
 *
 * Handler names are looked up in the mode's handler set (handlers-common.js plus handlers-naive.js or
 * handlers-optimized.js), so both modes expose exactly the same routes. First match wins, which is why
 * `/users/me` precedes `/users/:id`.
 */
export const ROUTES = [
  { method: 'GET', path: '/health', handler: 'health', auth: false },
  { method: 'POST', path: '/api/v1/auth/register', handler: 'register', auth: false },
  { method: 'POST', path: '/api/v1/auth/login', handler: 'login', auth: false },
  { method: 'GET', path: '/api/v1/users/me', handler: 'me', auth: true },
  { method: 'GET', path: '/api/v1/users/:id', handler: 'userById', auth: true },
  { method: 'GET', path: '/api/v1/audit-logs', handler: 'auditLogs', auth: true },
  { method: 'GET', path: '/api/v1/audit-logs/stats', handler: 'auditLogStats', auth: true },
  { method: 'GET', path: '/api/v1/audit-logs/export', handler: 'auditLogExport', auth: true },
  { method: 'GET', path: '/api/v1/sso/config', handler: 'ssoConfig', auth: true },
  { method: 'GET', path: '/api/v1/organizations', handler: 'orgList', auth: true },
  { method: 'GET', path: '/api/v1/organizations/:id/settings', handler: 'orgSettings', auth: true },
  { method: 'GET', path: '/api/v1/rbac/permissions', handler: 'rbacPermissions', auth: true },
].map((route) => ({ ...route, ...compile(route.path) }));

function compile(path) {
  const names = [];
  const source = path.replace(/:([a-z]+)/g, (_, name) => (names.push(name), '([^/]+)'));
  return { regex: new RegExp(`^${source}$`), names };
}

/**
 * @param {string} method
 * @param {string} pathname
 * @returns {{route: (typeof ROUTES)[number], params: Record<string, string>} | {allowed: string[]} | null}
 *   a match; or the methods the path does accept (→ 405); or null (→ 404)
 */
export function matchRoute(method, pathname) {
  const allowed = [];
  for (const route of ROUTES) {
    const m = route.regex.exec(pathname);
    if (!m) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params = {};
    route.names.forEach((name, i) => (params[name] = safeDecode(m[i + 1])));
    return { route, params };
  }
  return allowed.length ? { allowed: [...new Set(allowed)] } : null;
}

/** A malformed escape stays as written, so the handler's validation answers 400 rather than a 500. */
function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
