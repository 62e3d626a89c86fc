/**
 * The optimized implementation: bulk fetches (`WHERE id = ANY($1)`) instead of per-row lookups, and
 * Redis cache-aside for the read-mostly lookups with the seed's TTLs.
 *
 * Payloads are identical to handlers-naive.js (same shaping functions in shared.js); only the
 * statement and Redis command counts differ. The counts below are asserted by the integration test.
 */
import { HttpError, limitParam, positiveInt } from './http.js';
import { cacheAside, CACHE } from './cache.js';
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
  byId,
  presentUser,
  presentSso,
  presentSettings,
  presentOrg,
  presentPermissions,
} from './shared.js';

/**
 * The users and organizations referenced by audit log rows, two statements whatever n is.
 * Skipped when there are no rows (cannot happen against the seed, which has 240).
 */
async function loadRefs(db, rows) {
  if (!rows.length) return { users: new Map(), orgs: new Map() };
  const users = await db.query('SELECT id, email FROM users WHERE id = ANY($1::int[])', [distinct(rows.map((r) => r.user_id))]);
  const orgs = await db.query('SELECT id, name FROM organizations WHERE id = ANY($1::int[])', [distinct(rows.map((r) => r.organization_id))]);
  return { users: byId(users.rows), orgs: byId(orgs.rows) };
}

/** Statements: 3 (rows, users in bulk, organizations in bulk); 1 if there are no rows. */
export async function auditLogs({ db, query }) {
  const { rows } = await db.query(AUDIT_ROWS_SQL, [limitParam(query)]);
  const { users, orgs } = await loadRefs(db, rows);
  const items = rows.map((r) => auditItem(r, users.get(r.user_id), orgs.get(r.organization_id)));
  return { status: 200, body: { items, count: items.length } };
}

/** Statements: 2 (counts, e-mails in bulk); 1 if there are no audit logs. */
export async function auditLogStats({ db }) {
  const { rows } = await db.query(AUDIT_STATS_SQL);
  const emailById = new Map();
  const ids = distinct(rows.map((r) => r.user_id));
  if (ids.length) {
    const users = await db.query('SELECT id, email FROM users WHERE id = ANY($1::int[])', [ids]);
    for (const u of users.rows) emailById.set(u.id, u.email);
  }
  return { status: 200, body: presentStats(rows, emailById) };
}

/** Statements: 3, as for the list. */
export async function auditLogExport({ db, query }) {
  const { rows } = await db.query(AUDIT_ROWS_SQL, [limitParam(query)]);
  const { users, orgs } = await loadRefs(db, rows);
  const out = rows.map((r) => exportRow(r, users.get(r.user_id), orgs.get(r.organization_id)));
  return { status: 200, body: { columns: EXPORT_COLUMNS, rows: out, count: out.length } };
}

/** Cache-aside `sso:config:<orgId>`, 900 s. Statements: 0 on a hit, 1 on a miss. */
export async function ssoConfig({ db, redis, user }) {
  const { key, ttl } = CACHE.ssoConfig;
  const value = await cacheAside(redis, key(user.org), ttl, async () => {
    const { rows } = await db.query(SSO_CONFIG_SQL, [user.org]);
    return rows.length ? presentSso(rows[0]) : null;
  });
  if (value === null) throw new HttpError(404, 'no SSO configuration for this organization');
  return { status: 200, body: value };
}

/** Cache-aside `org:data:<id>`, 600 s. Statements: 0 on a hit, 1 (a join) on a miss. */
export async function orgSettings({ db, redis, params, user }) {
  const id = positiveInt(params.id, 'organization id');
  if (id !== user.org) throw new HttpError(403, 'not a member of this organization');
  const { key, ttl } = CACHE.orgSettings;
  const value = await cacheAside(redis, key(id), ttl, async () => {
    const { rows } = await db.query(
      `SELECT o.id, o.name, ${SETTINGS_COLUMNS.split(', ')
        .map((c) => `s.${c}`)
        .join(', ')} ` + 'FROM organizations o JOIN organization_settings s ON s.organization_id = o.id WHERE o.id = $1',
      [id],
    );
    return rows.length ? presentSettings(rows[0], rows[0]) : null;
  });
  if (value === null) throw new HttpError(404, 'organization not found');
  return { status: 200, body: value };
}

/** Statements: 2 (organizations with member counts in one grouped join, owners in bulk); 1 if no owners. */
export async function orgList({ db }) {
  const { rows: orgs } = await db.query(
    'SELECT o.id, o.name, o.owner_id, o.created_at, count(u.id)::int AS member_count ' +
      'FROM organizations o LEFT JOIN users u ON u.organization_id = o.id GROUP BY o.id ORDER BY o.id',
  );
  const ownerIds = distinct(orgs.filter((o) => o.owner_id !== null).map((o) => o.owner_id));
  const owners = ownerIds.length ? byId((await db.query('SELECT id, email FROM users WHERE id = ANY($1::int[])', [ownerIds])).rows) : new Map();
  const items = orgs.map((o) => presentOrg(o, o.member_count, o.owner_id === null ? null : owners.get(o.owner_id)));
  return { status: 200, body: { items, count: items.length } };
}

/** Cache-aside `rbac:perms:<userId>`, 300 s. Statements: 0 on a hit, 1 (a join) on a miss. */
export async function rbacPermissions({ db, redis, user }) {
  const { key, ttl } = CACHE.rbacPermissions;
  const value = await cacheAside(redis, key(user.sub), ttl, async () => {
    const { rows } = await db.query(
      'SELECT r.name AS role, p.name AS permission FROM user_roles ur ' +
        'JOIN roles r ON r.id = ur.role_id ' +
        'LEFT JOIN role_permissions rp ON rp.role_id = r.id ' +
        'LEFT JOIN permissions p ON p.id = rp.permission_id ' +
        'WHERE ur.user_id = $1',
      [user.sub],
    );
    return presentPermissions(
      user.sub,
      rows.map((r) => r.role),
      rows.filter((r) => r.permission !== null).map((r) => r.permission),
    );
  });
  return { status: 200, body: value };
}

/** Cache-aside `user:<id>`, 300 s. Statements: 0 on a hit, 1 on a miss. */
export async function userById({ db, redis, params }) {
  const id = positiveInt(params.id, 'user id');
  const { key, ttl } = CACHE.user;
  const value = await cacheAside(redis, key(id), ttl, async () => {
    const { rows } = await db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows.length ? presentUser(rows[0]) : null;
  });
  if (value === null) throw new HttpError(404, 'user not found');
  return { status: 200, body: value };
}
