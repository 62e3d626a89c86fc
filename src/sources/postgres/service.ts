/**
 * The `postgres` service (`services.postgres`): the PostgreSQL the application uses, opened once per
 * spec run, with the query-window source the queries probe reads.
 *
 *   services:
 *     postgres:
 *       url: postgres://app:secret@127.0.0.1:5432/app   # what the app uses
 *       source: proxy             # proxy (default) | pg_stat_statements
 *       proxyPort: 6543           # proxy only: a fixed port, for an app that perfspec does not start
 *       env: DATABASE_URL         # proxy only: the variable that hands the proxy URL to target.start
 *       role: app                 # pg_stat_statements only: the app's role (default: the URL's user)
 *
 * With `proxy`, perfspec listens on loopback and the target must connect through it: a target started
 * by perfspec (target.start) gets `DATABASE_URL` (or `env`) pointing at the proxy, with the URL's
 * credentials and database. The database is checked once at open, so a wrong URL fails fast (exit 3).
 */
import { PerfspecError } from '../../errors.js';
import type { PostgresService } from '../../generated/spec-types.js';
import type { ServiceHandle, ServiceKind } from '../../probes/types.js';
import { isLocalHost, localProcess } from '../../metrics/local-server.js';
import { connectPostgres, describeAddress, parsePostgresUrl, redactUrl, toProxyUrl } from './connect.js';
import { measureProxyCost, type ProxyCost } from './proxy-cost.js';
import { StatStatementsSource } from './stat-statements.js';
import type { QueryWindowSource } from './types.js';
import { PgWireProxy } from './wire-proxy.js';
import { explainStatement, type ExplainMode, type ExplainPlan } from './explain.js';

export type PostgresSourceKind = NonNullable<PostgresService['source']>;

/** `services.postgres` with its defaults applied (the spec's shape is the generated PostgresService). */
export type PostgresServiceConfig = Required<Pick<PostgresService, 'url' | 'source' | 'env'>> & Pick<PostgresService, 'proxyPort' | 'role'>;

export interface PostgresServiceHandle extends ServiceHandle {
  readonly source: QueryWindowSource;
  /** The database as configured, password hidden (for reports). */
  readonly displayUrl: string;
  /** The proxy's URL (with the original credentials) when source is proxy. */
  readonly proxyUrl?: string;
  /**
   * Client connections the proxy has accepted so far (proxy only). Zero after the target has served
   * requests means the target does not use the proxy, so a count of zero would prove nothing.
   */
  proxyConnections(): number | undefined;
  /** Statements the proxy has seen so far, in or out of windows (proxy only). */
  proxyStatements(): number | undefined;
  /** Measure now what the proxy adds per statement (proxy only; undefined when it cannot be measured). */
  measureProxyCost(): Promise<ProxyCost | undefined>;
  /** Caveats of the last window (pg_stat_statements evictions, a proxy that lost step in the protocol). */
  windowNotes(): string[];
  /** The plan of a statement, on a connection of perfspec's own (explain.ts: never changes data). */
  explain?(sql: string, params: ReadonlyArray<string | null> | undefined, mode: ExplainMode): Promise<ExplainPlan>;
  /** "127.0.0.1:5432": where the database is, for messages. */
  readonly address: string;
  /**
   * Is the database still there? undefined when a fresh connection succeeds, else what failed
   * ("PostgreSQL is not reachable at 127.0.0.1:5432: connection refused (hint: ...)"). Bounded to 2 s.
   */
  checkServer(): Promise<string | undefined>;
}

/** explain() of a handle: one short-lived direct connection per call (not through the proxy, so not counted). */
function explainer(url: string): NonNullable<PostgresServiceHandle['explain']> {
  return async (sql, params, mode) => {
    const client = await connectPostgres(url, { applicationName: 'perfspec (explain)', where: 'services.postgres.url' });
    try {
      return await explainStatement(client, sql, params, mode);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/** Connect once, with a short timeout, to tell a dead database from an API that failed on its own. */
async function checkServerAt(url: string): Promise<string | undefined> {
  try {
    const client = await connectPostgres(url, { applicationName: 'perfspec (check)', timeoutMs: 2000, where: 'services.postgres.url' });
    await client.end().catch(() => undefined);
    return undefined;
  } catch (error) {
    if (error instanceof PerfspecError) {
      const cause = error.cause as { code?: string } | undefined;
      if (cause?.code === '3D000') return undefined;
      return `${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}`;
    }
    return String(error);
  }
}

/**
 * Default `services.postgres` (pure). The schema has checked the shapes; the two guards are for a
 * caller that opens the service without the schema (a library use, a test).
 */
export function readPostgresConfig(config: PostgresService): PostgresServiceConfig {
  if (typeof config.url !== 'string' || config.url === '') {
    throw new PerfspecError('PS_SPEC_INVALID', 'services.postgres.url is required', {
      hint: 'e.g. services: { postgres: { url: "postgres://postgres@127.0.0.1:5432/app" } }',
    });
  }
  const source: string = config.source ?? 'proxy';
  if (source !== 'proxy' && source !== 'pg_stat_statements') {
    throw new PerfspecError('PS_SPEC_INVALID', `services.postgres.source: ${JSON.stringify(source)} is not a query source`, {
      hint: 'Use "proxy" (needs nothing from the server) or "pg_stat_statements" (needs the extension).',
    });
  }
  const out: PostgresServiceConfig = { url: config.url, source, env: config.env ?? 'DATABASE_URL' };
  if (config.proxyPort !== undefined) out.proxyPort = config.proxyPort;
  if (config.role !== undefined) out.role = config.role;
  return out;
}

/**
 * Fail fast, before any target starts, when the server is down or refuses the URL's credentials. A
 * missing database is fine for the proxy: many apps (the reference API among them) create their
 * database at start-up, through the proxy, after perfspec has opened its services.
 */
async function checkReachable(url: string): Promise<void> {
  try {
    const client = await connectPostgres(url, { applicationName: 'perfspec (check)', where: 'services.postgres.url' });
    await client.end().catch(() => undefined);
  } catch (error) {
    const cause = error instanceof PerfspecError ? (error.cause as { code?: string } | undefined) : undefined;
    if (cause?.code === '3D000') return;
    throw error;
  }
}

/**
 * The postmaster of a PostgreSQL server on this machine: the parent of the backend that serves a
 * connection of ours. Every backend the API opens is its child, so the whole server is its tree.
 */
async function postmasterPids(url: string): Promise<number[]> {
  if (!isLocalHost(parsePostgresUrl(url).host)) return [];
  try {
    const client = await connectPostgres(url, { applicationName: 'perfspec (server pid)', where: 'services.postgres.url' });
    try {
      const backend = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
      const server = Number.isInteger(backend) ? localProcess(backend, 'postgres') : undefined;
      return server ? [server.ppid] : [];
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch {
    // The database may not exist yet (the API creates it): then the server is not identified.
    return [];
  }
}

export const postgresService: ServiceKind<PostgresService> = {
  name: 'postgres',
  open: (config) => openPostgresService(readPostgresConfig(config)),
};

export async function openPostgresService(config: PostgresServiceConfig): Promise<PostgresServiceHandle> {
  const target = parsePostgresUrl(config.url);
  const displayUrl = redactUrl(config.url);
  if (config.source === 'pg_stat_statements') {
    const source = await StatStatementsSource.open(config.url, config.role === undefined ? {} : { role: config.role });
    let closing: Promise<void> | undefined;
    return {
      source,
      displayUrl,
      address: describeAddress(target),
      checkServer: () => checkServerAt(config.url),
      proxyConnections: () => undefined,
      proxyStatements: () => undefined,
      measureProxyCost: async () => undefined,
      windowNotes: () => source.lastWindowNotes,
      explain: explainer(config.url),
      serverPids: () => postmasterPids(config.url),
      close: () => (closing ??= source.close()),
    };
  }

  await checkReachable(config.url);

  const upstream = target.host.startsWith('/')
    ? { host: target.host, port: target.port, path: `${target.host}/.s.PGSQL.${target.port}` }
    : { host: target.host, port: target.port };
  const proxy = new PgWireProxy({ upstream, listenPort: config.proxyPort ?? 0 });
  try {
    await proxy.listen();
  } catch (error) {
    throw new PerfspecError(
      'PS_PG_UNREACHABLE',
      `perfspec's PostgreSQL proxy could not listen on 127.0.0.1:${config.proxyPort ?? 0} (for ${describeAddress(target)})`,
      {
        hint: 'Pick a free services.postgres.proxyPort, or leave it out to let the system choose.',
        cause: error,
      },
    );
  }
  const proxyUrl = toProxyUrl(config.url, proxy.host, proxy.port);
  let closing: Promise<void> | undefined;
  return {
    source: proxy,
    displayUrl,
    address: describeAddress(target),
    checkServer: () => checkServerAt(config.url),
    proxyUrl,
    targetEnv: () => ({ [config.env]: proxyUrl }),
    proxyConnections: () => proxy.stats().connections,
    proxyStatements: () => proxy.stats().statements,
    measureProxyCost: () => measureProxyCost(config.url, proxyUrl),
    explain: explainer(config.url),
    serverPids: () => postmasterPids(config.url),
    windowNotes: () => {
      const { desyncs, broken, oversized } = proxy.stats();
      const notes: string[] = [];
      if (desyncs > 0 || broken > 0) {
        notes.push(
          `The proxy lost step in the PostgreSQL protocol (${desyncs} unmatched answers, ${broken} connections no longer followed): some statements may be missing or misattributed.`,
        );
      }
      if (oversized > 0)
        notes.push(
          `${oversized} message(s) were longer than the proxy reads (1 MiB): forwarded whole, but their statement text is cut and their parameters are not shown.`,
        );
      return notes;
    },
    close: () => (closing ??= proxy.close()),
  };
}
