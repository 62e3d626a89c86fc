import { describe, expect, expectTypeOf, it } from 'vitest';
import type { PostgresService } from '../../src/generated/spec-types.js';
import type { ServiceKind } from '../../src/probes/types.js';
import { ExitCode } from '../../src/errors.js';
import { describeAddress, mapConnectError, parsePostgresUrl, redactUrl, toClientConfig, toProxyUrl } from '../../src/sources/postgres/connect.js';

const target = parsePostgresUrl('postgres://app:s3cret@127.0.0.1:5432/phase3');

function pgError(code: string, message: string) {
  return Object.assign(new Error(message), { code });
}

describe('parsePostgresUrl', () => {
  it('reads user, password, host, port, database and parameters', () => {
    expect(parsePostgresUrl('postgres://app:p%40ss@db.local:6543/my%20db?sslmode=require&application_name=x')).toEqual({
      host: 'db.local',
      port: 6543,
      database: 'my db',
      user: 'app',
      password: 'p@ss',
      params: { sslmode: 'require', application_name: 'x' },
    });
  });

  it('defaults port, user and database, and accepts a socket directory as ?host=', () => {
    expect(parsePostgresUrl('postgresql://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    expect(parsePostgresUrl('postgres:///app?host=/var/run/postgresql')).toMatchObject({ host: '/var/run/postgresql', database: 'app' });
  });

  it('rejects what is not a postgres URL, without echoing a password', () => {
    expect(() => parsePostgresUrl('mysql://u:pw@h/db')).toThrow(/must start with postgres:\/\//);
    try {
      parsePostgresUrl('not a url with password=hunter2');
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
  });
});

describe('redactUrl', () => {
  it('hides the password and only the password', () => {
    expect(redactUrl('postgres://app:s3cret@127.0.0.1:5432/db')).toBe('postgres://app:***@127.0.0.1:5432/db');
    expect(redactUrl('postgres://app@127.0.0.1/db')).toBe('postgres://app@127.0.0.1/db');
    expect(redactUrl('postgres://h/db?password=s3cret')).not.toContain('s3cret');
    expect(redactUrl('junk //app:s3cret@h password=s3cret')).not.toContain('s3cret');
  });
});

describe('toProxyUrl', () => {
  it('keeps credentials, database and parameters, and points at the proxy', () => {
    expect(toProxyUrl('postgres://app:s3cret@db.local:5432/phase3?application_name=api', '127.0.0.1', 40123)).toBe(
      'postgres://app:s3cret@127.0.0.1:40123/phase3?application_name=api',
    );
  });

  it('turns TLS off (the proxy answers SSLRequest with N) and drops host/port parameters', () => {
    expect(toProxyUrl('postgres://app@h/db?sslmode=require&ssl=true&host=/tmp&port=1', '127.0.0.1', 1234)).toBe(
      'postgres://app@127.0.0.1:1234/db?sslmode=disable',
    );
  });
});

describe('describeAddress', () => {
  it('names TCP, IPv6 and socket addresses', () => {
    expect(describeAddress({ host: '127.0.0.1', port: 5432 })).toBe('127.0.0.1:5432');
    expect(describeAddress({ host: '::1', port: 5432 })).toBe('[::1]:5432');
    expect(describeAddress({ host: '/var/run/postgresql', port: 5432 })).toBe('/var/run/postgresql (Unix socket, port 5432)');
  });
});

describe('mapConnectError', () => {
  it.each([
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      'PostgreSQL is not reachable at 127.0.0.1:5432: connection refused',
      /pg_ctlcluster/,
    ],
    [
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''),
      'PostgreSQL is not reachable at 127.0.0.1:5432: connection refused',
      /start/i,
    ],
    [Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'PostgreSQL host "127.0.0.1" could not be resolved', /host name/],
    [
      pgError('3D000', 'database "phase3" does not exist'),
      'PostgreSQL at 127.0.0.1:5432 has no database "phase3"',
      /createdb -h 127\.0\.0\.1 -p 5432 -U app phase3/,
    ],
    [pgError('28P01', 'password authentication failed for user "app"'), 'PostgreSQL at 127.0.0.1:5432 rejected the password of user "app"', /PGPASSWORD/],
    [pgError('28000', 'role "app" does not exist'), 'PostgreSQL at 127.0.0.1:5432 has no role "app"', /createuser/],
    [
      pgError('28000', 'no pg_hba.conf entry for host "10.0.0.1"'),
      'PostgreSQL at 127.0.0.1:5432 refused user "app": no pg_hba.conf entry for host "10.0.0.1"',
      /pg_hba\.conf/,
    ],
    [pgError('57P03', 'the database system is starting up'), 'PostgreSQL at 127.0.0.1:5432 is starting up or shutting down', /Wait/],
    [pgError('53300', 'sorry, too many clients already'), 'PostgreSQL at 127.0.0.1:5432 has no free connection slots', /max_connections/],
    [
      new Error('The server does not support SSL connections'),
      'PostgreSQL at 127.0.0.1:5432 does not accept SSL, but services.postgres.url asks for it',
      /sslmode/,
    ],
    [new Error('Connection terminated due to connection timeout'), 'PostgreSQL at 127.0.0.1:5432 did not answer in time', /up/],
    [
      new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
      'PostgreSQL at 127.0.0.1:5432 asks user "app" for a password, and none was given',
      /PGPASSWORD/,
    ],
  ])('%s', (error, message, hint) => {
    const mapped = mapConnectError(error, target);
    expect(mapped.code).toBe('PS_PG_UNREACHABLE');
    expect(mapped.exitCode).toBe(ExitCode.Infrastructure);
    expect(mapped.message).toBe(message);
    expect(mapped.hint).toMatch(hint);
  });

  it('never prints the password, even when the driver echoes it', () => {
    const mapped = mapConnectError(new Error('weird failure for s3cret'), target);
    expect(`${mapped.message} ${mapped.hint}`).not.toContain('s3cret');
    expect(mapped.message).toBe('PostgreSQL at 127.0.0.1:5432 could not be used: weird failure for ***');
  });

  it('names the setting the URL came from', () => {
    expect(mapConnectError(pgError('3D000', 'x'), target, 'services.postgres.url').hint).toContain('services.postgres.url');
  });
});

describe('toClientConfig', () => {
  it('asks for TLS only when the URL does', () => {
    expect(toClientConfig(target, 'perfspec', 5000).ssl).toBeUndefined();
    expect(toClientConfig(parsePostgresUrl('postgres://h/db?sslmode=require'), 'perfspec', 5000).ssl).toEqual({ rejectUnauthorized: false });
    expect(toClientConfig(parsePostgresUrl('postgres://h/db?sslmode=verify-full'), 'perfspec', 5000).ssl).toBe(true);
  });
});

describe('readPostgresConfig (services.postgres)', () => {
  it('defaults to the proxy and DATABASE_URL', async () => {
    const { readPostgresConfig } = await import('../../src/sources/postgres/service.js');
    expect(readPostgresConfig({ url: 'postgres://h/db' })).toEqual({ url: 'postgres://h/db', source: 'proxy', env: 'DATABASE_URL' });
    expect(readPostgresConfig({ url: 'postgres://h/db', source: 'pg_stat_statements', role: 'app', proxyPort: 6543, env: 'PG_URL' })).toEqual({
      url: 'postgres://h/db',
      source: 'pg_stat_statements',
      role: 'app',
      proxyPort: 6543,
      env: 'PG_URL',
    });
  });

  it("takes the generated PostgresService type, the schema fragment's shape (checked by npm run typecheck)", async () => {
    const { readPostgresConfig, postgresService } = await import('../../src/sources/postgres/service.js');
    expectTypeOf(readPostgresConfig).parameter(0).toEqualTypeOf<PostgresService>();
    expectTypeOf(postgresService).toEqualTypeOf<ServiceKind<PostgresService>>();
  });

  it('rejects a missing URL and an unknown source from a caller that skipped the schema', async () => {
    const { readPostgresConfig } = await import('../../src/sources/postgres/service.js');
    const unchecked = (config: object) => config as PostgresService;
    expect(() => readPostgresConfig(unchecked({}))).toThrow('services.postgres.url is required');
    expect(() => readPostgresConfig(unchecked({ url: 'postgres://h/db', source: 'logs' }))).toThrow('services.postgres.source: "logs" is not a query source');
  });
});
