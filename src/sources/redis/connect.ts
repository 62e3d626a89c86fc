/**
 * Connections to the Redis beside the target. Every connection perfspec opens is bounded: a
 * connect timeout, no reconnect loop, no offline queue. A failure becomes one PerfspecError
 * (PS_REDIS_UNREACHABLE, exit 3) whose message names the address with credentials redacted and
 * whose hint says what to do.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { PerfspecError, describeError } from '../../errors.js';
import { redactUrl } from '../../report/redact.js';

export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** The database the application uses (the URL's path, 0 when absent). */
  db: number;
  tls: boolean;
  /** The URL for people: `redis://user:***@host:port/db`. */
  display: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

/** Parse `redis://[user[:password]@]host[:port][/db]` (or `rediss://` for TLS). */
export function parseRedisUrl(url: string): RedisEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl(url, 'it is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalidUrl(url, `the scheme is ${parsed.protocol}`);
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw invalidUrl(url, `the path "/${path}" is not a database index`);
  const username = decodeURIComponent(parsed.username) || undefined;
  const password = decodeURIComponent(parsed.password) || undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 6379;
  const db = path === '' ? 0 : Number(path);
  const tls = parsed.protocol === 'rediss:';
  return { host, port, username, password, db, tls, display: displayEndpoint({ host, port, username, password, db, tls }) };
}

/** `redis://user:***@host:port/db`: the password is never shown. */
export function displayEndpoint(endpoint: Omit<RedisEndpoint, 'display'>): string {
  const credentials = endpoint.username || endpoint.password ? `${endpoint.username ?? ''}${endpoint.password ? ':***' : ''}@` : '';
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${credentials}${host}:${endpoint.port}/${endpoint.db}`;
}

function invalidUrl(url: string, why: string): PerfspecError {
  const shown = redactUrl(url);
  return new PerfspecError('PS_SPEC_INVALID', `services.redis.url "${shown}" is not a Redis URL: ${why}`, {
    hint: 'Write it as redis://[user:password@]host:port/db, e.g. redis://127.0.0.1:6379/0',
  });
}

/**
 * Turn a connection failure into the message people see. Pure; the cause text is what ioredis
 * or the server said (ECONNREFUSED, WRONGPASS, NOAUTH, "ERR DB index is out of range", ...).
 */
export function describeRedisFailure(endpoint: RedisEndpoint, cause: string): { message: string; hint: string } {
  const at = `Redis at ${endpoint.display}`;
  const startHint =
    `Start Redis (e.g. redis-server --daemonize yes --bind 127.0.0.1 --port ${endpoint.port}) ` +
    'or point services.redis.url (REDIS_URL) at a running server.';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(cause)) {
    return {
      message: `${at} rejected the credentials: ${firstLine(cause)}`,
      hint: 'Check the user and password in services.redis.url (redis://user:password@host:port/db).',
    };
  }
  if (/NOAUTH|Authentication required/i.test(cause)) {
    return {
      message: `${at} requires a password: ${firstLine(cause)}`,
      hint: 'Put the password in services.redis.url: redis://:password@host:port/db (or redis://user:password@...).',
    };
  }
  if (/DB index is out of range|invalid DB index/i.test(cause)) {
    return {
      message: `${at} has no database ${endpoint.db}: ${firstLine(cause)}`,
      hint: "Use a database index below the server's `databases` setting (16 by default), e.g. redis://host:port/0.",
    };
  }
  if (/ECONNREFUSED/.test(cause)) {
    return { message: `${at} refused the connection (nothing listens there)`, hint: startHint };
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(cause)) {
    return { message: `${at} is unreachable: host ${endpoint.host} not found`, hint: 'Check the host name in services.redis.url (REDIS_URL).' };
  }
  if (/ETIMEDOUT|timed? ?out/i.test(cause)) {
    return { message: `${at} did not answer in time: ${firstLine(cause)}`, hint: startHint };
  }
  return { message: `${at} is unreachable: ${firstLine(cause)}`, hint: startHint };
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

export interface ConnectOptions {
  connectTimeoutMs?: number;
  /** SELECT the endpoint's db after connecting (true for command connections). */
  select?: boolean;
  /** CLIENT SETNAME, so perfspec's connections are recognisable in CLIENT LIST. */
  name?: string;
}

/** ioredis options for one bounded connection: no reconnect, no offline queue, no retries. */
export function buildRedisOptions(endpoint: RedisEndpoint, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): RedisOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.username,
    password: endpoint.password,
    tls: endpoint.tls ? {} : undefined,
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // A reconnect loop would hide a server that went away mid-measurement; fail instead.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: true,
  };
}

/** Open one connection or throw PS_REDIS_UNREACHABLE with the reason. */
export async function connectRedis(endpoint: RedisEndpoint, options: ConnectOptions = {}): Promise<Redis> {
  // ioredis is imported by the first connection: specs without a redis service never load it.
  const { Redis } = await import('ioredis');
  const client = new Redis(buildRedisOptions(endpoint, options.connectTimeoutMs));
  // ioredis rejects connect() with a bare "Connection is closed."; the reason arrives as an event.
  let lastError: unknown;
  const remember = (error: unknown) => {
    lastError = error;
  };
  client.on('error', remember);
  try {
    await client.connect();
    if (options.select !== false && endpoint.db !== 0) await client.select(endpoint.db);
  } catch (error) {
    client.disconnect();
    const cause = describeError(lastError ?? error);
    const { message, hint } = describeRedisFailure(endpoint, cause);
    throw new PerfspecError('PS_REDIS_UNREACHABLE', message, { hint, cause: lastError ?? error });
  }
  if (options.name) await client.client('SETNAME', options.name).catch(() => undefined);
  return client;
}

/**
 * The address Redis shows for this connection in MONITOR (`ip:port`). CLIENT INFO says exactly
 * what the server sees; where CLIENT is blocked (managed Redis) the socket's local address is the
 * same thing unless a proxy sits in between.
 */
export async function readClientAddress(client: Redis): Promise<string | undefined> {
  try {
    const info = String(await client.call('CLIENT', 'INFO'));
    const match = /(?:^| )addr=(\S+)/.exec(info);
    if (match) return match[1];
  } catch {
    // fall through to the socket
  }
  const stream = (client as unknown as { stream?: { localAddress?: string; localPort?: number } }).stream;
  if (!stream?.localAddress || !stream.localPort) return undefined;
  const host = stream.localAddress.replace(/^::ffff:/, '');
  return host.includes(':') ? `[${host}]:${stream.localPort}` : `${host}:${stream.localPort}`;
}

/** Close a connection without waiting on a server that may be gone. */
export async function closeRedis(client: Redis | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  } catch {
    // already closing
  }
  client.disconnect();
}
