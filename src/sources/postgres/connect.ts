/**
 * Connecting to PostgreSQL, and saying clearly why it failed: every failure becomes a
 * PerfspecError('PS_PG_UNREACHABLE') whose message names the address (never the password) and whose
 * hint says what to do. The mapping is a pure function so each case is unit-tested.
 */
import type pg from 'pg';
import { PerfspecError, describeError } from '../../errors.js';
import { redactUrl } from '../../report/redact.js';

export interface PgTarget {
  /** Host name, IP, or a Unix socket directory (starts with "/"). */
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** Query parameters of the URL other than host/port (sslmode, application_name...). */
  params: Record<string, string>;
}

const DEFAULT_PORT = 5432;

/**
 * Read a postgres:// URL the way libpq does for the parts perfspec needs. Missing user and database
 * default to "postgres" (libpq would use the OS user; the spec's URL should say it).
 */
export function parsePostgresUrl(url: string): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PerfspecError('PS_PG_UNREACHABLE', `services.postgres.url is not a URL: ${redactUrl(url)}`, {
      hint: 'Write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://postgres@127.0.0.1:5432/app',
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PerfspecError('PS_PG_UNREACHABLE', `services.postgres.url must start with postgres:// (got ${parsed.protocol}//)`, {
      hint: 'Write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    });
  }
  const params: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) params[key] = value;
  const host = params.host ?? (decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || '127.0.0.1');
  const port = Number(params.port ?? (parsed.port || DEFAULT_PORT));
  delete params.host;
  delete params.port;
  const target: PgTarget = {
    host,
    port,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(parsed.username) || params.user || 'postgres',
    params,
  };
  delete params.user;
  if (parsed.password) target.password = decodeURIComponent(parsed.password);
  else if (params.password !== undefined) target.password = params.password;
  delete params.password;
  return target;
}

/** The URL with any password replaced by ***: the one implementation, shared with every output. */
export { redactUrl };

/** "127.0.0.1:5432" or "/var/run/postgresql (port 5432)". */
export function describeAddress(target: Pick<PgTarget, 'host' | 'port'>): string {
  if (target.host.startsWith('/')) return `${target.host} (Unix socket, port ${target.port})`;
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** The URL of the same database reached through the proxy: same credentials, database and parameters. */
export function toProxyUrl(url: string, proxyHost: string, proxyPort: number): string {
  const parsed = new URL(url);
  parsed.hostname = proxyHost;
  parsed.port = String(proxyPort);
  parsed.searchParams.delete('host');
  parsed.searchParams.delete('port');
  // The proxy speaks plain TCP to the client (it answers SSLRequest with 'N'); on loopback that is fine.
  if (parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', 'disable');
  parsed.searchParams.delete('ssl');
  return parsed.toString();
}

interface ErrorLike {
  code?: string;
  message?: string;
}

/**
 * Why a connection to `target` failed, for people. Pure: the error and the target in, a PerfspecError out.
 * `where` names the spec setting the URL came from ("services.postgres.url").
 */
export function mapConnectError(error: unknown, target: PgTarget, where = 'services.postgres.url'): PerfspecError {
  const first = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const { code, message = describeError(error) } = (first ?? {}) as ErrorLike;
  const address = describeAddress(target);
  const scrub = (text: string) => (target.password ? text.split(target.password).join('***') : text);
  const fail = (text: string, hint: string) => new PerfspecError('PS_PG_UNREACHABLE', scrub(text), { hint: scrub(hint), cause: error });
  const psql = `psql -h ${target.host} -p ${target.port} -U ${target.user}`;
  const fixUrl = `or correct ${where} (or the DATABASE_URL it reads)`;

  switch (code) {
    case 'ECONNREFUSED':
      return fail(
        `PostgreSQL is not reachable at ${address}: connection refused`,
        `Start PostgreSQL there (Debian: pg_ctlcluster --skip-systemctl-redirect <version> main start) ${fixUrl}.`,
      );
    case 'ENOENT':
      return fail(`PostgreSQL is not reachable at ${address}: no socket there`, `Start PostgreSQL ${fixUrl}.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`PostgreSQL host "${target.host}" could not be resolved`, `Check the host name ${fixUrl}.`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`PostgreSQL at ${address} did not answer (${code})`, `Check that the host is up and the port is open ${fixUrl}.`);
    case '3D000':
      return fail(
        `PostgreSQL at ${address} has no database "${target.database}"`,
        `Create it (createdb -h ${target.host} -p ${target.port} -U ${target.user} ${target.database}) ${fixUrl} to name an existing database (list them: ${psql} -l).`,
      );
    case '28P01':
      return fail(
        `PostgreSQL at ${address} rejected the password of user "${target.user}"`,
        `Put the right password in ${where} (postgres://USER:PASSWORD@HOST/DB, URL-encoded) or in PGPASSWORD.`,
      );
    case '28000':
      if (/role .* does not exist/i.test(message)) {
        return fail(
          `PostgreSQL at ${address} has no role "${target.user}"`,
          `Create it (createuser -h ${target.host} -p ${target.port} -U postgres ${target.user}) ${fixUrl} to use an existing role.`,
        );
      }
      return fail(`PostgreSQL at ${address} refused user "${target.user}": ${message}`, `Allow this client in pg_hba.conf (then reload PostgreSQL) ${fixUrl}.`);
    case '57P03':
      return fail(`PostgreSQL at ${address} is starting up or shutting down`, 'Wait until it accepts connections and run again.');
    case '53300':
      return fail(`PostgreSQL at ${address} has no free connection slots`, 'Close idle clients or raise max_connections, then run again.');
  }
  if (/does not support SSL/i.test(message)) {
    return fail(
      `PostgreSQL at ${address} does not accept SSL, but ${where} asks for it`,
      `Remove ssl=true / sslmode=require from ${where}, or use sslmode=prefer.`,
    );
  }
  if (/timeout/i.test(message)) {
    return fail(`PostgreSQL at ${address} did not answer in time`, `Check that it is up and not overloaded ${fixUrl}.`);
  }
  if (/password must be a string|no password/i.test(message)) {
    return fail(`PostgreSQL at ${address} asks user "${target.user}" for a password, and none was given`, `Add it to ${where} or set PGPASSWORD.`);
  }
  return fail(`PostgreSQL at ${address} could not be used: ${message}`, `Check that PostgreSQL is running ${fixUrl}.`);
}

/** The pg client settings for a target (TLS only when the URL asks for it). */
export function toClientConfig(target: PgTarget, applicationName: string, timeoutMs: number): pg.ClientConfig {
  const sslmode = target.params.sslmode;
  const config: pg.ClientConfig = {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    application_name: applicationName,
    connectionTimeoutMillis: timeoutMs,
  };
  if (target.password !== undefined) config.password = target.password;
  if (sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full' || target.params.ssl === 'true') {
    config.ssl = sslmode === 'require' ? { rejectUnauthorized: false } : true;
  }
  return config;
}

/**
 * Open one connection for perfspec's own use (snapshots, checks). Resolves with a connected client;
 * rejects with a PerfspecError that says what to fix.
 */
export async function connectPostgres(url: string, options: { applicationName?: string; timeoutMs?: number; where?: string } = {}): Promise<pg.Client> {
  const target = parsePostgresUrl(url);
  // pg is imported by the first connection: specs without a postgres service never load it.
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client(toClientConfig(target, options.applicationName ?? 'perfspec', options.timeoutMs ?? 5000));
  // An idle connection killed later (server restart) emits 'error'; without a listener that would crash the run.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw mapConnectError(error, target, options.where);
  }
  return client;
}
