/**
 * SQL and response shapes shared by the naive and optimized handlers.
 *
 * Both modes build their payloads with these functions from the same columns, so the two modes
 * answer byte-identical JSON and differ only in how many statements (and Redis commands) they take —
 * which is exactly the difference perfspec is meant to see.
 */

/** The newest audit log rows; both modes start every audit log endpoint with this one statement. */
export const AUDIT_ROWS_SQL =
  'SELECT id, organization_id, user_id, action, resource_type, resource_id, ip_address, created_at ' +
  'FROM audit_logs ORDER BY created_at DESC, id DESC LIMIT $1';

/** Counts per (user, action); the per-action and per-user totals are summed from it in JS. */
export const AUDIT_STATS_SQL = 'SELECT user_id, action, count(*)::int AS count FROM audit_logs GROUP BY user_id, action';

export const USER_COLUMNS = 'id, email, full_name, organization_id, created_at';

export const SSO_CONFIG_SQL =
  'SELECT organization_id, provider, entity_id, sso_url, certificate_fingerprint, enabled, updated_at ' + 'FROM sso_configurations WHERE organization_id = $1';

export const SETTINGS_COLUMNS = 'timezone, locale, session_timeout_minutes, mfa_required, allowed_email_domains, data_retention_days, updated_at';

/** @param {{id: number, email: string} | undefined | null} u */
export const userRef = (u) => (u ? { id: u.id, email: u.email } : null);
/** @param {{id: number, name: string} | undefined | null} o */
export const orgRef = (o) => (o ? { id: o.id, name: o.name } : null);

/** @param {any} row from AUDIT_ROWS_SQL */
export function auditItem(row, user, org) {
  return { id: row.id, action: row.action, created_at: row.created_at, user: userRef(user), organization: orgRef(org) };
}

export const EXPORT_COLUMNS = Object.freeze([
  'id',
  'created_at',
  'action',
  'resource_type',
  'resource_id',
  'ip_address',
  'user_id',
  'user_email',
  'organization_id',
  'organization_name',
]);

/** One export row, in EXPORT_COLUMNS order: "CSV-ish" — a header plus arrays of cells. */
export function exportRow(row, user, org) {
  return [
    row.id,
    row.created_at,
    row.action,
    row.resource_type,
    row.resource_id,
    row.ip_address,
    row.user_id,
    user?.email ?? null,
    row.organization_id,
    org?.name ?? null,
  ];
}

/**
 * @param {{user_id: number, action: string, count: number}[]} rows from AUDIT_STATS_SQL
 * @param {Map<number, string | null>} emailById
 */
export function presentStats(rows, emailById) {
  const byAction = new Map();
  const byUser = new Map();
  let total = 0;
  for (const r of rows) {
    total += r.count;
    byAction.set(r.action, (byAction.get(r.action) ?? 0) + r.count);
    byUser.set(r.user_id, (byUser.get(r.user_id) ?? 0) + r.count);
  }
  const desc = (a, b) => b.count - a.count;
  return {
    total,
    by_action: [...byAction].map(([action, count]) => ({ action, count })).sort((a, b) => desc(a, b) || (a.action < b.action ? -1 : 1)),
    by_user: [...byUser]
      .map(([user_id, count]) => ({ user_id, email: emailById.get(user_id) ?? null, count }))
      .sort((a, b) => desc(a, b) || a.user_id - b.user_id),
  };
}

/** Distinct ids in first-seen order. */
export const distinct = (ids) => [...new Set(ids)];

/** @param {{id: number}[]} rows */
export const byId = (rows) => new Map(rows.map((r) => [r.id, r]));

export function presentUser(row) {
  return {
    id: row.id,
    email: row.email,
    full_name: row.full_name,
    organization_id: row.organization_id,
    created_at: row.created_at,
  };
}

export function presentSso(row) {
  return {
    organization_id: row.organization_id,
    provider: row.provider,
    entity_id: row.entity_id,
    sso_url: row.sso_url,
    certificate_fingerprint: row.certificate_fingerprint,
    enabled: row.enabled,
    updated_at: row.updated_at,
  };
}

export function presentSettings(org, s) {
  return {
    organization: orgRef(org),
    settings: {
      timezone: s.timezone,
      locale: s.locale,
      session_timeout_minutes: s.session_timeout_minutes,
      mfa_required: s.mfa_required,
      allowed_email_domains: s.allowed_email_domains,
      data_retention_days: s.data_retention_days,
    },
    updated_at: s.updated_at,
  };
}

export function presentOrg(org, memberCount, owner) {
  return { id: org.id, name: org.name, created_at: org.created_at, member_count: memberCount, owner: userRef(owner) };
}

/** @param {number} userId @param {string[]} roles @param {Iterable<string>} permissions */
export function presentPermissions(userId, roles, permissions) {
  return { user_id: userId, roles: [...new Set(roles)].sort(), permissions: [...new Set(permissions)].sort() };
}
