/**
 * The naive implementation: the code an ORM with lazy loading writes for you.
 *
 * Related rows are fetched one statement at a time inside loops (N+1), sequentially — each await is
 * a round trip — and nothing is cached: Redis is never touched in this mode. The statement counts
 * below are exact and are asserted by test/integration/reference-api.test.ts.
 */
import { HttpError, limitParam, positiveInt } from './http.js';
import {
  AUDIT_ROWS_SQL,
  AUDIT_STATS_SQL,
  USER_COLUMNS,
  SSO_CONFIG_SQL,
  SETTINGS_COLUMNS,
  auditItem,
  exportRow,
  EXPORT_COLUMNS,
  presentStats,
  distinct,
  presentUser,
  presentSso,
  presentSettings,
  presentOrg,
  presentPermissions,
} from './shared.js';

const USER_REF_SQL = 'SELECT id, email FROM users WHERE id = $1';
const ORG_REF_SQL = 'SELECT id, name FROM organizations WHERE id = $1';

/** Statements: 1 + 2n (n = rows returned): the rows, then each row's user and organization. */
export async function auditLogs({ db, query }) {
  const { rows } = await db.query(AUDIT_ROWS_SQL, [limitParam(query)]);
  const items = [];
  for (const row of rows) {
    const user = (await db.query(USER_REF_SQL, [row.user_id])).rows[0];
    const org = (await db.query(ORG_REF_SQL, [row.organization_id])).rows[0];
    items.push(auditItem(row, user, org));
  }
  return { status: 200, body: { items, count: items.length } };
}

/** Statements: 1 + u (u = distinct users with audit log rows): the counts, then each user's e-mail. */
export async function auditLogStats({ db }) {
  const { rows } = await db.query(AUDIT_STATS_SQL);
  const emailById = new Map();
  for (const userId of distinct(rows.map((r) => r.user_id))) {
    emailById.set(userId, (await db.query(USER_REF_SQL, [userId])).rows[0]?.email ?? null);
  }
  return { status: 200, body: presentStats(rows, emailById) };
}

/** Statements: 1 + 2n, as for the list. */
export async function auditLogExport({ db, query }) {
  const { rows } = await db.query(AUDIT_ROWS_SQL, [limitParam(query)]);
  const out = [];
  for (const row of rows) {
    const user = (await db.query(USER_REF_SQL, [row.user_id])).rows[0];
    const org = (await db.query(ORG_REF_SQL, [row.organization_id])).rows[0];
    out.push(exportRow(row, user, org));
  }
  return { status: 200, body: { columns: EXPORT_COLUMNS, rows: out, count: out.length } };
}

/** Statements: 1, on every request (no cache). */
export async function ssoConfig({ db, user }) {
  const { rows } = await db.query(SSO_CONFIG_SQL, [user.org]);
  if (!rows.length) throw new HttpError(404, 'no SSO configuration for this organization');
  return { status: 200, body: presentSso(rows[0]) };
}

/** Statements: 2 on every request — the organization, then (lazily) its settings. */
export async function orgSettings({ db, params, user }) {
  const id = positiveInt(params.id, 'organization id');
  if (id !== user.org) throw new HttpError(403, 'not a member of this organization');
  const org = (await db.query(ORG_REF_SQL, [id])).rows[0];
  if (!org) throw new HttpError(404, 'organization not found');
  const settings = (await db.query(`SELECT ${SETTINGS_COLUMNS} FROM organization_settings WHERE organization_id = $1`, [id])).rows[0];
  if (!settings) throw new HttpError(404, 'organization has no settings');
  return { status: 200, body: presentSettings(org, settings) };
}

/**
 * Statements: 1 + o + w (o = organizations, w = organizations with an owner): the list, then each
 * organization's member count and each owner.
 */
export async function orgList({ db }) {
  const { rows: orgs } = await db.query('SELECT id, name, owner_id, created_at FROM organizations ORDER BY id');
  const items = [];
  for (const org of orgs) {
    const members = (await db.query('SELECT count(*)::int AS count FROM users WHERE organization_id = $1', [org.id])).rows[0].count;
    const owner = org.owner_id === null ? null : (await db.query(USER_REF_SQL, [org.owner_id])).rows[0];
    items.push(presentOrg(org, members, owner));
  }
  return { status: 200, body: { items, count: items.length } };
}

/** Statements: 1 + r (r = the caller's roles): the roles, then each role's permissions. */
export async function rbacPermissions({ db, user }) {
  const { rows: roles } = await db.query('SELECT r.id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.id', [
    user.sub,
  ]);
  const permissions = [];
  for (const role of roles) {
    const { rows } = await db.query('SELECT p.name FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id WHERE rp.role_id = $1', [role.id]);
    permissions.push(...rows.map((r) => r.name));
  }
  return {
    status: 200,
    body: presentPermissions(
      user.sub,
      roles.map((r) => r.name),
      permissions,
    ),
  };
}

/** Statements: 1, on every request (no cache). */
export async function userById({ db, params }) {
  const id = positiveInt(params.id, 'user id');
  const { rows } = await db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  if (!rows.length) throw new HttpError(404, 'user not found');
  return { status: 200, body: presentUser(rows[0]) };
}
