/**
 * Schema migration and the deterministic seed.
 *
 * The seed is a fixed data set with fixed ids and fixed timestamps, inserted with
 * `ON CONFLICT DO NOTHING`: every start of every process converges on the same rows, so payloads and
 * per-endpoint query counts are reproducible run to run. Users registered through the API are added
 * on top (ids after the seed's) and are never touched by re-seeding.
 */
import { createHash } from 'node:crypto';
import { SCHEMA } from './schema.js';
import { hashPassword } from './auth.js';

/** The password of every seeded user, public on purpose: demo specs log in with it. */
export const SEED_PASSWORD = 'perfspec-demo';

/**
 * Serialises schema creation and seeding across processes (two servers, or both modes of the
 * integration test, starting at once): concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on
 * the catalog's unique indexes.
 */
const MIGRATION_LOCK_KEY = 727_274_001;

const ORGS = [
  { id: 1, name: 'Acme Corporation', domain: 'acme.example.test', timezone: 'UTC', locale: 'en-US', provider: 'saml' },
  { id: 2, name: 'Globex Industries', domain: 'globex.example.test', timezone: 'Europe/Berlin', locale: 'de-DE', provider: 'oidc' },
  { id: 3, name: 'Initech', domain: 'initech.example.test', timezone: 'America/Chicago', locale: 'en-US', provider: 'saml' },
  { id: 4, name: 'Umbrella Labs', domain: 'umbrella.example.test', timezone: 'Asia/Tokyo', locale: 'ja-JP', provider: 'oidc' },
  { id: 5, name: 'Hooli', domain: 'hooli.example.test', timezone: 'America/Los_Angeles', locale: 'en-US', provider: 'saml' },
];

/** Four users per organization; the first is its owner. Role names refer to ROLES. */
const MEMBER_TEMPLATES = [
  { local: 'owner', fullName: 'Owner', roles: ['owner', 'admin'] },
  { local: 'admin', fullName: 'Admin', roles: ['admin'] },
  { local: 'analyst', fullName: 'Analyst', roles: ['member', 'auditor'] },
  { local: 'member', fullName: 'Member', roles: ['member'] },
];

const ROLES = [
  { id: 1, name: 'owner', description: 'Full control of the organization' },
  { id: 2, name: 'admin', description: 'Manages users, SSO and settings' },
  { id: 3, name: 'auditor', description: 'Reads and exports audit logs' },
  { id: 4, name: 'member', description: 'Regular member' },
];

const PERMISSIONS = [
  'audit_logs:read',
  'audit_logs:export',
  'organization:read',
  'organization:update',
  'organization:delete',
  'sso:read',
  'sso:update',
  'users:read',
  'users:invite',
  'rbac:manage',
].map((name, i) => ({ id: i + 1, name }));

/** Role name → permission names. */
const GRANTS = {
  owner: PERMISSIONS.map((p) => p.name),
  admin: ['audit_logs:read', 'audit_logs:export', 'organization:read', 'organization:update', 'sso:read', 'sso:update', 'users:read', 'users:invite'],
  auditor: ['audit_logs:read', 'audit_logs:export', 'organization:read', 'users:read'],
  member: ['organization:read', 'sso:read', 'users:read'],
};

const ACTIONS = [
  ['user.login', 'session'],
  ['user.logout', 'session'],
  ['sso.config.read', 'sso_configuration'],
  ['organization.settings.update', 'organization_settings'],
  ['rbac.role.assign', 'user_role'],
  ['audit_logs.export', 'audit_log'],
  ['user.invite', 'user'],
  ['api_key.create', 'api_key'],
];

export const AUDIT_LOG_COUNT = 240;

const USERS = ORGS.flatMap((org, o) =>
  MEMBER_TEMPLATES.map((t, j) => ({
    id: o * MEMBER_TEMPLATES.length + j + 1,
    email: `${t.local}@${org.domain}`,
    fullName: `${org.name} ${t.fullName}`,
    organizationId: org.id,
    roles: t.roles,
  })),
);

/** What the seed contains, for the README and for tests that derive expected counts. */
export const SEED = Object.freeze({
  organizations: ORGS.map(({ id, name }) => ({ id, name, ownerId: USERS.find((u) => u.organizationId === id).id })),
  users: USERS.map(({ id, email, organizationId, roles }) => ({ id, email, organizationId, roles })),
  roles: ROLES.map((r) => r.name),
  permissions: PERMISSIONS.map((p) => p.name),
  auditLogCount: AUDIT_LOG_COUNT,
});

const DAY = 86_400_000;
const EPOCH = Date.UTC(2025, 0, 1);
const AUDIT_EPOCH = Date.UTC(2025, 10, 1);

/**
 * Creates the schema and inserts the seed, in one transaction under an advisory lock.
 * @param {import('./db.js').Db} db
 */
export async function migrateAndSeed(db) {
  // Hash before taking the lock: deterministic salts make re-seeding write identical rows.
  const hashes = await Promise.all(USERS.map((u) => hashPassword(SEED_PASSWORD, createHash('sha256').update(u.email).digest().subarray(0, 16))));

  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    for (const statement of SCHEMA) await tx.query(statement);

    const run = ([text, values]) => tx.query(text, values);
    await run(
      insertRows(
        'organizations',
        ['id', 'name', 'owner_id', 'created_at'],
        SEED.organizations.map((o, i) => [o.id, o.name, o.ownerId, new Date(EPOCH + i * DAY)]),
      ),
    );
    await run(
      insertRows(
        'users',
        ['id', 'email', 'full_name', 'password_hash', 'organization_id', 'created_at'],
        USERS.map((u, i) => [u.id, u.email, u.fullName, hashes[i], u.organizationId, new Date(EPOCH + DAY + i * 3_600_000)]),
      ),
    );
    await run(
      insertRows(
        'roles',
        ['id', 'name', 'description'],
        ROLES.map((r) => [r.id, r.name, r.description]),
      ),
    );
    await run(
      insertRows(
        'permissions',
        ['id', 'name'],
        PERMISSIONS.map((p) => [p.id, p.name]),
      ),
    );
    const roleId = (name) => ROLES.find((r) => r.name === name).id;
    const permissionId = (name) => PERMISSIONS.find((p) => p.name === name).id;
    await run(
      insertRows(
        'role_permissions',
        ['role_id', 'permission_id'],
        Object.entries(GRANTS).flatMap(([role, perms]) => perms.map((p) => [roleId(role), permissionId(p)])),
      ),
    );
    await run(
      insertRows(
        'user_roles',
        ['user_id', 'role_id'],
        USERS.flatMap((u) => u.roles.map((r) => [u.id, roleId(r)])),
      ),
    );
    await run(
      insertRows(
        'organization_settings',
        ['organization_id', 'timezone', 'locale', 'session_timeout_minutes', 'mfa_required', 'allowed_email_domains', 'data_retention_days', 'updated_at'],
        ORGS.map((o, i) => [o.id, o.timezone, o.locale, 30 + 15 * i, i % 2 === 0, [o.domain], 90 * (i + 1), new Date(EPOCH + 2 * DAY)]),
      ),
    );
    await run(
      insertRows(
        'sso_configurations',
        ['organization_id', 'provider', 'entity_id', 'sso_url', 'certificate_fingerprint', 'enabled', 'updated_at'],
        ORGS.map((o) => [
          o.id,
          o.provider,
          `https://idp.${o.domain}/metadata`,
          `https://idp.${o.domain}/sso`,
          createHash('sha256').update(o.domain).digest('hex'),
          o.id !== 5, // one disabled configuration, so payloads are not all alike
          new Date(EPOCH + 3 * DAY),
        ]),
      ),
    );
    await run(
      insertRows(
        'audit_logs',
        ['id', 'organization_id', 'user_id', 'action', 'resource_type', 'resource_id', 'ip_address', 'created_at'],
        Array.from({ length: AUDIT_LOG_COUNT }, (_, k) => {
          const i = k + 1;
          const user = USERS[k % USERS.length];
          const [action, resourceType] = ACTIONS[(i * 5) % ACTIONS.length];
          return [
            i,
            user.organizationId,
            user.id,
            action,
            resourceType,
            `${resourceType}-${i}`,
            `10.0.${user.organizationId}.${user.id}`,
            new Date(AUDIT_EPOCH + i * 37 * 60_000),
          ];
        }),
      ),
    );

    // Explicit ids do not advance the serial sequences; move them past the seed, but never
    // backwards (registered rows may already sit above the seed).
    for (const [table, max] of [
      ['organizations', ORGS.length],
      ['users', USERS.length],
      ['roles', ROLES.length],
      ['permissions', PERMISSIONS.length],
      ['audit_logs', AUDIT_LOG_COUNT],
    ]) {
      await tx.query(`SELECT setval('${table}_id_seq', $1) WHERE (SELECT last_value FROM ${table}_id_seq) < $1`, [max]);
    }
  });
}

/**
 * One multi-row INSERT ... ON CONFLICT DO NOTHING with numbered parameters.
 * @param {string} table trusted, from this file
 * @param {string[]} columns trusted, from this file
 * @param {unknown[][]} rows
 * @returns {[string, unknown[]]}
 */
function insertRows(table, columns, rows) {
  const values = [];
  const tuples = rows.map((row) => `(${row.map((v) => (values.push(v), `$${values.length}`)).join(', ')})`);
  return [`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, values];
}
