/**
 * Password hashing and bearer tokens, using node:crypto only.
 *
 * Tokens are stateless and HMAC-signed so that validating one costs no database query and no Redis
 * command: the query and cache counts perfspec measures for an endpoint are then exactly what that
 * endpoint's handler does, never an artefact of authentication.
 */
import { createHmac, scrypt, timingSafeEqual, randomBytes } from 'node:crypto';

/**
 * scrypt with a deliberately low cost (N=2^10, ~1 ms): this is a test service whose login flow runs
 * inside load tests on a 2-core machine; production would use N>=2^15.
 */
const SCRYPT = Object.freeze({ N: 1024, r: 8, p: 1, keylen: 32 });

/** A fixed, public secret: the service only ever runs on loopback against throwaway data. */
export const DEFAULT_TOKEN_SECRET = 'perfspec-reference-api-not-a-secret';

/** One hour is longer than any test run and short enough that a leaked demo token dies quickly. */
const TOKEN_TTL_SECONDS = 3600;

function scryptAsync(password, salt) {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * @param {string} password
 * @param {Buffer} [salt] fixed only for seed users, so that re-seeding writes byte-identical rows
 * @returns {Promise<string>} `scrypt$N$r$p$saltB64$hashB64`
 */
export async function hashPassword(password, salt = randomBytes(16)) {
  const key = await scryptAsync(password, salt);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * @param {string} password
 * @param {string} stored the output of hashPassword
 */
export async function verifyPassword(password, stored) {
  const parts = String(stored).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts;
  const expected = Buffer.from(hashB64, 'base64');
  const key = await new Promise((resolve, reject) => {
    scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N: +n, r: +r, p: +p }, (err, k) => (err ? reject(err) : resolve(k)));
  });
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, compared against when the e-mail is unknown, so that "no such user"
 * and "wrong password" take the same time and answer the same 401.
 */
export const DUMMY_HASH_PROMISE = hashPassword(randomBytes(12).toString('hex'));

/**
 * @param {{id: number, organization_id: number, email: string}} user
 * @param {string} secret
 * @param {number} [nowSeconds]
 */
export function signToken(user, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  const payload = { sub: user.id, org: user.organization_id, email: user.email, iat: nowSeconds, exp: nowSeconds + TOKEN_TTL_SECONDS };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(body, secret)}`;
}

/**
 * @param {string | undefined} header the raw Authorization header
 * @param {string} secret
 * @returns {{sub: number, org: number, email: string, iat: number, exp: number} | null} null when the
 *   header is missing, malformed, badly signed or expired — the caller answers 401 in every case.
 */
export function verifyAuthorization(header, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(header.trim());
  if (!match) return null;
  const [, body, signature] = match;
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let claims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!claims || !Number.isInteger(claims.sub) || !Number.isInteger(claims.org)) return null;
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return null;
  return claims;
}

function sign(body, secret) {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
