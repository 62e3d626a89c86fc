/**
 * createApp(): the reference API as a value, so tests start it in-process on port 0 and server.js is
 * only an env-reading shell around it.
 *
 * Start-up order: create the database if missing → migrate and seed (one transaction under an
 * advisory lock) → connect Redis (optimized mode only) → listen. Any failure closes what was opened.
 */
import http from 'node:http';
import { Redis } from 'ioredis';
import { DEFAULTS, MODES } from './config.js';
import { ensureDatabase, createDb, requestTrace } from './db.js';
import { migrateAndSeed } from './seed.js';
import { matchRoute } from './routes.js';
import { HttpError, readJson, sendJson } from './http.js';
import { verifyAuthorization, DEFAULT_TOKEN_SECRET } from './auth.js';
import * as common from './handlers-common.js';
import * as naive from './handlers-naive.js';
import * as optimized from './handlers-optimized.js';

/**
 * @param {{
 *   mode?: 'naive' | 'optimized',
 *   databaseUrl?: string,
 *   redisUrl?: string,
 *   dbLatencyMs?: number,
 *   port?: number,
 *   host?: string,
 *   tokenSecret?: string,
 *   onQuery?: (event: {text: string, values: unknown[] | undefined}) => void,
 *   log?: (message: string) => void,
 * }} [options]
 */
export async function createApp(options = {}) {
  const {
    mode = DEFAULTS.mode,
    databaseUrl = DEFAULTS.databaseUrl,
    redisUrl = DEFAULTS.redisUrl,
    dbLatencyMs = DEFAULTS.dbLatencyMs,
    port = 0,
    host = DEFAULTS.host,
    tokenSecret = DEFAULT_TOKEN_SECRET,
    onQuery,
    log = (message) => console.error(`[reference-api:${mode}] ${message}`),
  } = options;
  if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(', ')} (got "${mode}")`);

  try {
    await ensureDatabase(databaseUrl);
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL at ${redact(databaseUrl)}: ${err?.message ?? err}`, { cause: err });
  }
  const db = createDb({ databaseUrl, latencyMs: dbLatencyMs, applicationName: `perfspec-ref-api:${mode}`, onQuery, log });
  /** @type {Redis | null} naive mode never opens a Redis connection: "no cache" means no Redis at all. */
  let redis = null;
  const server = http.createServer();
  try {
    await migrateAndSeed(db);
    if (mode === 'optimized') {
      redis = new Redis(redisUrl, {
        lazyConnect: true,
        // Fail a command after one reconnect attempt instead of queueing for ~20: a Redis outage
        // shows up as 500s at once rather than as mysteriously slow requests.
        maxRetriesPerRequest: 1,
        connectionName: 'perfspec-ref-api',
      });
      let lastRedisError = '';
      redis.on('error', (err) => {
        // ioredis emits on every reconnect attempt; log each distinct message once per streak.
        if (err.message !== lastRedisError) log(`redis error: ${err.message}`);
        lastRedisError = err.message;
      });
      redis.on('ready', () => (lastRedisError = ''));
      await redis.connect().catch((err) => {
        throw new Error(`cannot reach Redis at ${redact(redisUrl)}: ${lastRedisError || err.message}`, { cause: err });
      });
    }

    const handlers = { ...common, ...(mode === 'naive' ? naive : optimized) };
    const context = { db, redis, mode, tokenSecret };
    server.on('request', (req, res) => {
      dispatch(req, res, handlers, context).catch((err) => {
        if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
        log(`${req.method} ${req.url} failed: ${err?.stack ?? err}`);
        if (res.headersSent) return res.destroy();
        sendJson(res, 500, { error: err?.message || 'internal error' });
      });
    });
    // A malformed request line must not take the process down; answer 400 and drop the socket.
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await closeAll(server, db, redis);
    throw err;
  }

  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing = null;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    mode,
    /** Stops accepting connections, lets in-flight requests finish (5 s at most), then closes the pools. */
    close: () => (closing ??= closeAll(server, db, redis)),
  };
}

async function dispatch(req, res, handlers, context) {
  const url = new URL(req.url ?? '/', 'http://reference-api.invalid');
  const match = matchRoute(req.method ?? 'GET', url.pathname);
  if (!match) return sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
  if (!('route' in match)) {
    return sendJson(res, 405, { error: `${req.method} is not allowed here` }, { allow: match.allowed.join(', ') });
  }
  const { route, params } = match;
  let user = null;
  if (route.auth) {
    user = verifyAuthorization(req.headers.authorization, context.tokenSecret);
    if (!user) return sendJson(res, 401, { error: 'missing or invalid bearer token' }, { 'www-authenticate': 'Bearer' });
  }
  const body = route.method === 'POST' ? await readJson(req) : undefined;
  // Statements of this request carry its traceparent (db.js withTraceComment).
  const traceparent = req.headers.traceparent;
  const result = await requestTrace.run(typeof traceparent === 'string' ? traceparent.trim().toLowerCase() : undefined, () =>
    handlers[route.handler]({ ...context, params, query: url.searchParams, body, user }),
  );
  sendJson(res, result.status, result.body, { 'x-reference-api-mode': context.mode });
}

/** Connection URLs in error messages, without their password. */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

async function closeAll(server, db, redis) {
  if (server.listening) {
    await new Promise((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
  }
  await db.end().catch(() => {});
  if (redis) {
    // quit() waits for pending replies; when Redis is unreachable there are none to wait for and
    // disconnect() also stops ioredis's reconnect loop.
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  }
}
