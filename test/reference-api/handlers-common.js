/**
 * Handlers that are the same in both modes: health, registration, login and "who am I".
 *
 * Every handler takes a context `{db, redis, mode, params, query, body, user, tokenSecret}` and
 * returns `{status, body}`; it throws HttpError for an expected failure.
 */
import { HttpError } from './http.js';
import { hashPassword, verifyPassword, signToken, DUMMY_HASH_PROMISE } from './auth.js';
import { USER_COLUMNS, presentUser } from './shared.js';

/** Registered users without an organization join the first seeded one. */
const DEFAULT_ORGANIZATION_ID = 1;

/** No database, no Redis: a liveness answer that costs nothing to probe. */
export function health({ mode }) {
  return { status: 200, body: { status: 'ok', mode } };
}

/**
 * Creates a user (and its organization when it is named and missing) in one transaction, so a
 * duplicate e-mail never leaves an orphan organization behind.
 */
export async function register({ db, body }) {
  const { email, password, organization } = parseRegistration(body);
  // Hash before taking a pooled connection: scrypt runs on the libuv pool, not on PostgreSQL.
  const passwordHash = await hashPassword(password);

  const user = await db.transaction(async (tx) => {
    let organizationId = DEFAULT_ORGANIZATION_ID;
    let createdOrganization = false;
    if (organization !== null) {
      const found = await tx.query('SELECT id FROM organizations WHERE name = $1', [organization]);
      if (found.rows.length) {
        organizationId = found.rows[0].id;
      } else {
        // ON CONFLICT: a concurrent registration may create the same organization; then join it.
        const inserted = await tx.query('INSERT INTO organizations (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [organization]);
        if (inserted.rows.length) {
          organizationId = inserted.rows[0].id;
          createdOrganization = true;
        } else {
          organizationId = (await tx.query('SELECT id FROM organizations WHERE name = $1', [organization])).rows[0].id;
        }
      }
    }

    const inserted = await tx.query(
      'INSERT INTO users (email, password_hash, organization_id) VALUES ($1, $2, $3) ' + 'ON CONFLICT (email) DO NOTHING RETURNING id, email, organization_id',
      [email, passwordHash, organizationId],
    );
    if (!inserted.rows.length) throw new HttpError(409, 'a user with this email already exists');
    const row = inserted.rows[0];

    await tx.query('INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2', [row.id, createdOrganization ? 'owner' : 'member']);
    if (createdOrganization) {
      // A new organization gets an owner and the same kinds of rows the seed gives every
      // organization, so every endpoint works for its users.
      await tx.query('UPDATE organizations SET owner_id = $1 WHERE id = $2', [row.id, organizationId]);
      await tx.query(
        'INSERT INTO organization_settings (organization_id, timezone, locale, session_timeout_minutes, ' +
          "mfa_required, allowed_email_domains, data_retention_days) VALUES ($1, 'UTC', 'en-US', 60, false, '{}', 90)",
        [organizationId],
      );
      await tx.query(
        'INSERT INTO sso_configurations (organization_id, provider, entity_id, sso_url, certificate_fingerprint, enabled) ' +
          "VALUES ($1, 'saml', '', '', '', false)",
        [organizationId],
      );
    }
    return row;
  });
  return { status: 201, body: { id: user.id, email: user.email, organization_id: user.organization_id } };
}

/** One statement; the same 401 for an unknown e-mail and a wrong password. */
export async function login({ db, body, tokenSecret }) {
  if (!isObject(body) || typeof body.email !== 'string' || typeof body.password !== 'string') {
    throw new HttpError(400, 'email and password are required strings');
  }
  const { rows } = await db.query('SELECT id, email, organization_id, password_hash FROM users WHERE email = $1 AND is_active', [
    body.email.trim().toLowerCase(),
  ]);
  const user = rows[0];
  const ok = await verifyPassword(body.password, user ? user.password_hash : await DUMMY_HASH_PROMISE);
  if (!user || !ok) throw new HttpError(401, 'invalid email or password');
  return { status: 200, body: { access_token: signToken(user, tokenSecret), token_type: 'bearer', expires_in: 3600 } };
}

/** The caller, fresh from the database: one statement in both modes, never cached. */
export async function me({ db, user }) {
  const { rows } = await db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [user.sub]);
  if (!rows.length) throw new HttpError(401, 'the user of this token no longer exists');
  return { status: 200, body: presentUser(rows[0]) };
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function parseRegistration(body) {
  if (!isObject(body)) throw new HttpError(400, 'the body must be a JSON object');
  const { email, password, organization } = body;
  if (typeof email !== 'string' || email.length > 254 || !EMAIL_RE.test(email.trim())) {
    throw new HttpError(400, 'email must be a valid e-mail address');
  }
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) {
    throw new HttpError(400, 'password must be a string of 8 to 256 characters');
  }
  let org = null;
  if (organization !== undefined && organization !== null) {
    if (typeof organization !== 'string' || !organization.trim() || organization.trim().length > 100) {
      throw new HttpError(400, 'organization must be a non-empty string of at most 100 characters');
    }
    org = organization.trim();
  }
  return { email: email.trim().toLowerCase(), password, organization: org };
}

function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
