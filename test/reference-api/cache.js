/**
 * Cache-aside over Redis, used by the optimized handlers only.
 *
 * Exactly one GET per request, plus one `SET key value EX ttl` on a miss — no EXISTS, TTL or
 * pipelines — so a Redis observer (MONITOR, keyspace `m` miss notifications, INFO keyspace_hits /
 * keyspace_misses deltas) sees precisely one hit or one miss per request.
 */

/** Key prefixes and TTLs (seconds), the seed's values. */
export const CACHE = Object.freeze({
  ssoConfig: { key: (orgId) => `sso:config:${orgId}`, ttl: 900 }, // 15 min
  orgSettings: { key: (orgId) => `org:data:${orgId}`, ttl: 600 }, // 10 min
  rbacPermissions: { key: (userId) => `rbac:perms:${userId}`, ttl: 300 }, // 5 min
  user: { key: (userId) => `user:${userId}`, ttl: 300 }, // 5 min
});

/**
 * @template T
 * @param {import('ioredis').Redis} redis
 * @param {string} key
 * @param {number} ttlSeconds
 * @param {() => Promise<T | null>} load reads the value from PostgreSQL; null means "not found" and is
 *   not cached, so a later insert is visible at once and 404s do not fill Redis.
 * @returns {Promise<T | null>}
 */
export async function cacheAside(redis, key, ttlSeconds, load) {
  const cached = await redis.get(key);
  if (cached !== null) return JSON.parse(cached);
  const value = await load();
  if (value !== null) await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds);
  return value;
}
