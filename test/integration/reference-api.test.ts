/**
 * The reference API against real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
 *
 * Both modes run in-process on port 0 over one dedicated database (dropped and re-created on every
 * run, so creation, its race and the seed are exercised each time) and one Redis DB index (9).
 *
 * Statement counts are checked twice, by two independent observers that must agree:
 *   - the app's `onQuery` hook (called at pg's client.query, i.e. what the pool sends), and
 *   - a PostgreSQL wire-protocol counter: a loopback TCP relay between the app and PostgreSQL that
 *     counts the frontend's Query ('Q') and Execute ('E') messages — what the server actually executes.
 * Redis traffic is checked with MONITOR, filtered to our DB index: exact command lists per request.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createApp, CACHE, SEED_PASSWORD, type QueryEvent, type ReferenceApi } from '../reference-api/index.js';

const PG = { host: '127.0.0.1', port: 5432 };
const DB_NAME = 'perfspec_ref_apitest';
const ADMIN_URL = `postgres://postgres@${PG.host}:${PG.port}/postgres`;
const DIRECT_URL = `postgres://postgres@${PG.host}:${PG.port}/${DB_NAME}`;
const REDIS_DB = 9;
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;
const DB_LATENCY_MS = 1;

type Mode = 'naive' | 'optimized';

/** Counts the statements a PostgreSQL frontend sends through it. */
interface WireCounter {
  port: number;
  statements: number;
  close(): Promise<void>;
}

function startWireCounter(): Promise<WireCounter> {
  const sockets = new Set<net.Socket>();
  const counter = { port: 0, statements: 0, close: async () => {} } as WireCounter;
  const server = net.createServer((client) => {
    const upstream = net.connect(PG.port, PG.host);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let startupPhase = true;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (startupPhase) {
          // Untyped messages: [int32 length][int32 code]...; SSL/GSS requests precede the real startup.
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          pending = pending.subarray(length);
          if (code !== 80877103 && code !== 80877104) startupPhase = false;
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        const type = String.fromCharCode(pending[0]);
        if (type === 'Q' || type === 'E') counter.statements++;
        pending = pending.subarray(1 + length);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      counter.port = (server.address() as net.AddressInfo).port;
      counter.close = () =>
        new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        });
      resolve(counter);
    });
  });
}

interface Started {
  mode: Mode;
  api: ReferenceApi;
  wire: WireCounter;
  queries: QueryEvent[];
}

interface Measured {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON payloads, checked by expect() shape assertions
  body: any;
  /** statement texts seen by the onQuery hook */
  queries: string[];
  /** statements seen on the wire */
  wire: number;
  /** Redis commands on our DB index, lower-cased command name first */
  redis: string[][];
  ms: number;
}

let admin: pg.Client; // maintenance connection (postgres db), direct
let direct: pg.Client; // ground-truth reads on the test db, direct (not counted)
let redis: Redis; // the test's own Redis client on REDIS_DB
let monitor: Redis;
const monitored: { args: string[]; db: string }[] = [];
const apps = {} as Record<Mode, Started>;
const logs: string[] = [];
let markers = 0;

async function startApp(mode: Mode): Promise<Started> {
  const wire = await startWireCounter();
  const queries: QueryEvent[] = [];
  const api = await createApp({
    mode,
    databaseUrl: `postgres://postgres@127.0.0.1:${wire.port}/${DB_NAME}`,
    redisUrl: REDIS_URL,
    dbLatencyMs: DB_LATENCY_MS,
    port: 0,
    onQuery: (q) => queries.push(q),
    log: (m) => logs.push(`[${mode}] ${m}`),
  });
  return { mode, api, wire, queries };
}

/** Waits until MONITOR has delivered everything executed so far on our DB index. */
async function redisBarrier(): Promise<void> {
  const marker = `barrier-${++markers}`;
  await redis.echo(marker);
  const deadline = Date.now() + 5_000;
  while (!monitored.some((m) => m.args[0] === 'echo' && m.args[1] === marker)) {
    if (Date.now() > deadline) throw new Error('MONITOR did not deliver the barrier');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function send(app: Started, method: string, path: string, opts: { token?: string; json?: unknown; raw?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined || opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = opts.raw ?? JSON.stringify(opts.json);
  }
  return fetch(`${app.api.url}${path}`, { method, headers, body });
}

/** One request, with the statements and Redis commands it caused. Requests are never concurrent. */
async function measure(app: Started, method: string, path: string, opts: Parameters<typeof send>[3] = {}): Promise<Measured> {
  await redisBarrier();
  const redisFrom = monitored.length;
  app.queries.length = 0;
  const wireFrom = app.wire.statements;
  const t0 = performance.now();
  const res = await send(app, method, path, opts);
  const body = await res.json();
  const ms = performance.now() - t0;
  const queries = app.queries.map((q) => q.text);
  const wire = app.wire.statements - wireFrom;
  await redisBarrier();
  const redisCommands = monitored
    .slice(redisFrom)
    .filter((m) => m.args[0] !== 'echo')
    .map((m) => m.args);
  return { status: res.status, body, queries, wire, redis: redisCommands, ms };
}

async function login(app: Started, email: string, password: string): Promise<string> {
  const res = await send(app, 'POST', '/api/v1/auth/login', { json: { email, password } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function scalar<T = number>(sql: string, values: unknown[] = []): Promise<T> {
  const { rows } = await direct.query(sql, values);
  return Object.values(rows[0])[0] as T;
}

let ownerToken: string; // owner@acme.example.test: organization 1, roles owner + admin
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await redis.flushdb();
  monitor = await new Redis(REDIS_URL).monitor();
  monitor.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
    if (Number(database) === REDIS_DB) monitored.push({ args: [String(args[0]).toLowerCase(), ...args.slice(1)], db: database });
  });

  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);

  // Both at once: the database does not exist, so they race to create, migrate and seed it.
  const [naive, optimized] = await Promise.all([startApp('naive'), startApp('optimized')]);
  apps.naive = naive;
  apps.optimized = optimized;

  direct = new pg.Client({ connectionString: DIRECT_URL });
  direct.on('error', () => {}); // terminated on purpose by the resilience test
  await direct.connect();
  ownerToken = await login(apps.naive, 'owner@acme.example.test', SEED_PASSWORD);
});

afterAll(async () => {
  await Promise.all(Object.values(apps).map((a) => a.api.close()));
  await Promise.all(Object.values(apps).map((a) => a.wire.close()));
  await direct?.end();
  await admin?.end();
  monitor?.disconnect();
  await redis?.flushdb();
  redis?.disconnect();
});

describe('start-up', () => {
  it('creates the database, the schema and the deterministic seed, and re-seeding adds nothing', async () => {
    const counts = async () => ({
      organizations: await scalar('SELECT count(*)::int FROM organizations'),
      users: await scalar('SELECT count(*)::int FROM users'),
      auditLogs: await scalar('SELECT count(*)::int FROM audit_logs'),
      auditUsers: await scalar('SELECT count(DISTINCT user_id)::int FROM audit_logs'),
      auditOrgs: await scalar('SELECT count(DISTINCT organization_id)::int FROM audit_logs'),
      sso: await scalar('SELECT count(*)::int FROM sso_configurations'),
      settings: await scalar('SELECT count(*)::int FROM organization_settings'),
      roles: await scalar('SELECT count(*)::int FROM roles'),
      grants: await scalar('SELECT count(*)::int FROM role_permissions'),
      userRoles: await scalar('SELECT count(*)::int FROM user_roles'),
      perOrg: (await direct.query('SELECT count(*)::int AS n FROM users GROUP BY organization_id')).rows.map((r) => r.n),
    });
    const before = await counts();
    expect(before).toMatchObject({ organizations: 5, users: 20, auditUsers: 20, auditOrgs: 5, sso: 5, settings: 5, roles: 4 });
    expect(before.auditLogs).toBeGreaterThanOrEqual(200);
    expect(before.perOrg).toEqual([4, 4, 4, 4, 4]);

    // A third start on the existing database must converge on the same rows.
    const again = await createApp({ mode: 'naive', databaseUrl: DIRECT_URL, dbLatencyMs: 0, log: () => {} });
    await again.close();
    expect(await counts()).toEqual(before);
    // Sequences were moved past the seed: the next user id is 21, not a collision with a seeded id.
    expect(await scalar('SELECT last_value::int FROM users_id_seq')).toBeGreaterThanOrEqual(20);
  });
});

describe('health', () => {
  it.each(['naive', 'optimized'] as const)('%s: 200 {status, mode}, touching neither PostgreSQL nor Redis', async (mode) => {
    const m = await measure(apps[mode], 'GET', '/health');
    expect(m.status).toBe(200);
    expect(m.body).toEqual({ status: 'ok', mode });
    expect(m.queries).toEqual([]);
    expect(m.wire).toBe(0);
    expect(m.redis).toEqual([]);
  });
});

describe('auth', () => {
  const email = `qa-${run}@example.test`;
  const password = 'change-me';

  it('registers, refuses a duplicate and bad bodies, logs in, and serves /users/me from the token', async () => {
    const app = apps.naive;
    const created = await measure(app, 'POST', '/api/v1/auth/register', { json: { email, password } });
    expect(created.status).toBe(201);
    // BEGIN, INSERT user, INSERT role, COMMIT
    expect([created.queries.length, created.wire]).toEqual([4, 4]);
    const user = created.body as { id: number; email: string; organization_id: number };
    expect(user).toEqual({ id: expect.any(Number), email, organization_id: 1 });
    expect(user.id).toBeGreaterThan(20);

    const dup = await send(apps.optimized, 'POST', '/api/v1/auth/register', { json: { email: email.toUpperCase(), password } });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toHaveProperty('error');

    for (const bad of [
      { raw: '{not json' },
      { json: [] },
      { json: { email } },
      { json: { email, password: 'short' } },
      { json: { email: 'nope', password } },
    ]) {
      const res = await send(app, 'POST', '/api/v1/auth/register', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await res.json()).toHaveProperty('error');
    }

    const loggedIn = await measure(app, 'POST', '/api/v1/auth/login', { json: { email, password } });
    expect(loggedIn.status).toBe(200);
    expect([loggedIn.queries.length, loggedIn.wire]).toEqual([1, 1]);
    const tokenBody = loggedIn.body as { access_token: string; token_type: string };
    expect(tokenBody.token_type).toBe('bearer');
    expect(tokenBody.access_token).toMatch(/^[\w-]+\.[\w-]+$/);

    for (const creds of [
      { email, password: 'wrong-password' },
      { email: `nobody-${run}@example.test`, password },
    ]) {
      const res = await send(app, 'POST', '/api/v1/auth/login', { json: creds });
      expect(res.status).toBe(401);
    }

    // A token from one mode works on the other: validation is stateless and costs no statement.
    for (const mode of ['naive', 'optimized'] as const) {
      const meRes = await measure(apps[mode], 'GET', '/api/v1/users/me', { token: tokenBody.access_token });
      expect(meRes.status).toBe(200);
      expect(meRes.body).toMatchObject({ id: user.id, email, organization_id: 1 });
      expect(meRes.body).not.toHaveProperty('password_hash');
      expect(meRes.queries).toHaveLength(1);
      expect(meRes.wire).toBe(1);
      expect(meRes.redis).toEqual([]);
    }

    const [payload, signature] = tokenBody.access_token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 1 })).toString('base64url');
    for (const token of [undefined, 'garbage', `${forged}.${signature}`]) {
      const res = await measure(app, 'GET', '/api/v1/users/me', { token });
      expect(res.status).toBe(401);
      expect(res.wire).toBe(0);
    }
  });

  it('creates a named organization with its owner, and lets the next registrant join it', async () => {
    const organization = `QA Org ${run}`;
    const first = await measure(apps.optimized, 'POST', '/api/v1/auth/register', {
      json: { email: `founder-${run}@example.test`, password, organization },
    });
    expect(first.status).toBe(201);
    // BEGIN, SELECT org, INSERT org, INSERT user, INSERT role, UPDATE owner, INSERT settings, INSERT sso, COMMIT
    expect([first.queries.length, first.wire]).toEqual([9, 9]);
    const founder = first.body as { id: number; organization_id: number };
    expect(founder.organization_id).toBeGreaterThan(5);
    const second = await measure(apps.naive, 'POST', '/api/v1/auth/register', {
      json: { email: `joiner-${run}@example.test`, password, organization },
    });
    expect(second.status).toBe(201);
    expect([second.queries.length, second.wire]).toEqual([5, 5]); // BEGIN, SELECT org, INSERT user, INSERT role, COMMIT
    expect(second.body.organization_id).toBe(founder.organization_id);

    const token = await login(apps.naive, `founder-${run}@example.test`, password);
    const perms = await measure(apps.naive, 'GET', '/api/v1/rbac/permissions', { token });
    expect(perms.body.roles).toEqual(['owner']);
    expect(perms.body.permissions).toContain('organization:delete');
    const settings = await measure(apps.naive, 'GET', `/api/v1/organizations/${founder.organization_id}/settings`, { token });
    expect(settings.status).toBe(200);
    expect(settings.body.organization).toEqual({ id: founder.organization_id, name: organization });
    const sso = await measure(apps.naive, 'GET', '/api/v1/sso/config', { token });
    expect(sso.status).toBe(200);
    expect(sso.body).toMatchObject({ organization_id: founder.organization_id, enabled: false });
    expect(await scalar('SELECT owner_id FROM organizations WHERE id = $1', [founder.organization_id])).toBe(founder.id);
  });
});

describe('routing and errors', () => {
  it('answers JSON 404 for an unknown route, 405 for a wrong method, 400 for a bad id or limit', async () => {
    for (const mode of ['naive', 'optimized'] as const) {
      const notFound = await measure(apps[mode], 'GET', '/api/v1/nope', { token: ownerToken });
      expect(notFound.status).toBe(404);
      expect(notFound.body.error).toMatch(/no route/);
      const wrongMethod = await send(apps[mode], 'DELETE', '/api/v1/audit-logs');
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('GET');
      for (const path of ['/api/v1/users/abc', '/api/v1/audit-logs?limit=0', '/api/v1/audit-logs?limit=x']) {
        const res = await measure(apps[mode], 'GET', path, { token: ownerToken });
        expect(res.status, path).toBe(400);
        expect(res.wire).toBe(0);
      }
    }
  });
});

describe('audit logs: N+1 in naive, bulk fetches in optimized', () => {
  it('list limit=100: naive sends exactly 201 statements, optimized exactly 3, with identical payloads', async () => {
    const naive = await measure(apps.naive, 'GET', '/api/v1/audit-logs?limit=100', { token: ownerToken });
    const optimized = await measure(apps.optimized, 'GET', '/api/v1/audit-logs?limit=100', { token: ownerToken });
    for (const m of [naive, optimized]) {
      expect(m.status).toBe(200);
      expect(m.body.count).toBe(100);
      expect(m.body.items).toHaveLength(100);
      expect(m.redis).toEqual([]);
    }
    expect(naive.queries).toHaveLength(201);
    expect(naive.wire).toBe(201);
    expect(optimized.queries).toHaveLength(3);
    expect(optimized.wire).toBe(3);

    // The N+1 shape: one list statement, then the same two lookups 100 times each.
    const shapes = new Map<string, number>();
    for (const q of naive.queries) shapes.set(q, (shapes.get(q) ?? 0) + 1);
    expect([...shapes.values()].sort((a, b) => a - b)).toEqual([1, 100, 100]);
    expect(optimized.queries.filter((q) => /= ANY\(\$1/.test(q))).toHaveLength(2);

    expect(optimized.body).toEqual(naive.body);
    const truth = new Map(
      (await direct.query('SELECT u.id, u.email, o.id AS org_id, o.name FROM users u JOIN organizations o ON o.id = u.organization_id')).rows.map((r) => [
        r.id,
        r,
      ]),
    );
    for (const item of naive.body.items) {
      expect(item).toEqual({
        id: expect.any(Number),
        action: expect.any(String),
        created_at: expect.any(String),
        user: expect.any(Object),
        organization: expect.any(Object),
      });
      const t = truth.get(item.user.id);
      expect(item.user.email).toBe(t.email);
      expect(item.organization).toEqual({ id: t.org_id, name: t.name });
    }
    const times = naive.body.items.map((i: { created_at: string }) => i.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('list: naive follows 1 + 2n for other limits (n = rows returned), optimized stays at 3', async () => {
    const total = await scalar('SELECT count(*)::int FROM audit_logs');
    for (const [query, n] of [
      ['?limit=7', 7],
      ['', 50],
      ['?limit=100000', Math.min(500, total)],
    ] as const) {
      const naive = await measure(apps.naive, 'GET', `/api/v1/audit-logs${query}`, { token: ownerToken });
      const optimized = await measure(apps.optimized, 'GET', `/api/v1/audit-logs${query}`, { token: ownerToken });
      expect(naive.body.count, query).toBe(n);
      expect([naive.queries.length, naive.wire], query).toEqual([1 + 2 * n, 1 + 2 * n]);
      expect([optimized.queries.length, optimized.wire], query).toEqual([3, 3]);
    }
  });

  it('stats: naive 1 + one statement per user, optimized 2, identical payloads', async () => {
    const users = await scalar('SELECT count(DISTINCT user_id)::int FROM audit_logs');
    const naive = await measure(apps.naive, 'GET', '/api/v1/audit-logs/stats', { token: ownerToken });
    const optimized = await measure(apps.optimized, 'GET', '/api/v1/audit-logs/stats', { token: ownerToken });
    expect([naive.queries.length, naive.wire]).toEqual([1 + users, 1 + users]);
    expect([optimized.queries.length, optimized.wire]).toEqual([2, 2]);
    expect(optimized.body).toEqual(naive.body);
    expect(naive.body.total).toBe(await scalar('SELECT count(*)::int FROM audit_logs'));
    expect(naive.body.by_user).toHaveLength(users);
    expect(naive.body.by_user[0]).toEqual({ user_id: expect.any(Number), email: expect.stringContaining('@'), count: expect.any(Number) });
    const perAction = await direct.query('SELECT action, count(*)::int AS count FROM audit_logs GROUP BY action');
    expect(Object.fromEntries(naive.body.by_action.map((a: { action: string; count: number }) => [a.action, a.count]))).toEqual(
      Object.fromEntries(perAction.rows.map((r) => [r.action, r.count])),
    );
  });

  it('export limit=60: naive 121 statements, optimized 3, identical payloads', async () => {
    const naive = await measure(apps.naive, 'GET', '/api/v1/audit-logs/export?limit=60', { token: ownerToken });
    const optimized = await measure(apps.optimized, 'GET', '/api/v1/audit-logs/export?limit=60', { token: ownerToken });
    expect([naive.queries.length, naive.wire]).toEqual([121, 121]);
    expect([optimized.queries.length, optimized.wire]).toEqual([3, 3]);
    expect(optimized.body).toEqual(naive.body);
    expect(naive.body.count).toBe(60);
    expect(naive.body.columns).toContain('user_email');
    expect(naive.body.rows[0]).toHaveLength(naive.body.columns.length);
    expect(naive.body.rows.every((r: unknown[]) => typeof r[7] === 'string' && typeof r[9] === 'string')).toBe(true);
  });
});

describe('simulated database round trip', () => {
  it('is paid before every statement in both modes, so N+1 is slow because of round trips', async () => {
    // A latency large enough to dwarf a local statement (~0.3 ms): without the sleep, 21 statements
    // finish in a few ms and the lower bounds below fail.
    const latency = 10;
    const slow = await Promise.all(
      (['naive', 'optimized'] as const).map((mode) => createApp({ mode, databaseUrl: DIRECT_URL, redisUrl: REDIS_URL, dbLatencyMs: latency, log: () => {} })),
    );
    try {
      const timed = async (url: string) => {
        const t0 = performance.now();
        const res = await fetch(`${url}/api/v1/audit-logs?limit=10`, { headers: { authorization: `Bearer ${ownerToken}` } });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        return performance.now() - t0;
      };
      const [naiveMs, optimizedMs] = [await timed(slow[0].url), await timed(slow[1].url)];
      expect(naiveMs).toBeGreaterThanOrEqual(21 * latency); // 1 + 2·10 statements
      expect(optimizedMs).toBeGreaterThanOrEqual(3 * latency);
      expect(optimizedMs).toBeLessThan(naiveMs);
    } finally {
      await Promise.all(slow.map((a) => a.close()));
    }
  });
});

describe('organization list', () => {
  it('naive 1 + o + w statements (o organizations, w with an owner), optimized 2, identical payloads', async () => {
    const o = await scalar('SELECT count(*)::int FROM organizations');
    const w = await scalar('SELECT count(*)::int FROM organizations WHERE owner_id IS NOT NULL');
    const naive = await measure(apps.naive, 'GET', '/api/v1/organizations', { token: ownerToken });
    const optimized = await measure(apps.optimized, 'GET', '/api/v1/organizations', { token: ownerToken });
    expect([naive.queries.length, naive.wire]).toEqual([1 + o + w, 1 + o + w]);
    expect([optimized.queries.length, optimized.wire]).toEqual([2, 2]);
    expect(optimized.body).toEqual(naive.body);
    expect(naive.body.count).toBe(o);
    expect(naive.body.items[0]).toMatchObject({ id: 1, name: 'Acme Corporation', owner: { id: 1, email: 'owner@acme.example.test' } });
    const members = await scalar('SELECT count(*)::int FROM users WHERE organization_id = 1');
    expect(naive.body.items[0].member_count).toBe(members);
  });
});

describe('cached lookups', () => {
  const cases = [
    { name: 'SSO configuration', path: '/api/v1/sso/config', key: 'sso:config:1', ttl: 900, naiveStatements: 1 },
    { name: 'organization settings', path: '/api/v1/organizations/1/settings', key: 'org:data:1', ttl: 600, naiveStatements: 2 },
    // owner@acme has two roles: one statement for the roles, one per role for its permissions
    { name: 'RBAC permissions', path: '/api/v1/rbac/permissions', key: 'rbac:perms:1', ttl: 300, naiveStatements: 3 },
    { name: 'user lookup', path: '/api/v1/users/7', key: 'user:7', ttl: 300, naiveStatements: 1 },
  ];

  it("exports the same keys and TTLs it uses (the seed's: 15, 10, 5 and 5 minutes)", () => {
    expect(cases.map((c) => c.key)).toEqual([CACHE.ssoConfig.key(1), CACHE.orgSettings.key(1), CACHE.rbacPermissions.key(1), CACHE.user.key(7)]);
    expect(cases.map((c) => c.ttl)).toEqual([CACHE.ssoConfig.ttl, CACHE.orgSettings.ttl, CACHE.rbacPermissions.ttl, CACHE.user.ttl]);
  });

  it('naive: the database on every request and not a single Redis command', async () => {
    await redis.flushdb();
    expect(await scalar('SELECT count(*)::int FROM user_roles WHERE user_id = 1')).toBe(2);
    for (const c of cases) {
      for (let i = 0; i < 3; i++) {
        const m = await measure(apps.naive, 'GET', c.path, { token: ownerToken });
        expect(m.status, c.name).toBe(200);
        expect([m.queries.length, m.wire], c.name).toEqual([c.naiveStatements, c.naiveStatements]);
        expect(m.redis, c.name).toEqual([]);
      }
    }
    expect(await redis.dbsize()).toBe(0);
  });

  it.each(cases)('optimized $name: miss = GET + 1 statement + SET EX $ttl, hit = GET only, same payload as naive', async (c) => {
    await redis.del(c.key);
    const miss = await measure(apps.optimized, 'GET', c.path, { token: ownerToken });
    expect(miss.status).toBe(200);
    expect([miss.queries.length, miss.wire]).toEqual([1, 1]);
    expect(miss.redis).toEqual([
      ['get', c.key],
      ['set', c.key, expect.any(String), 'EX', String(c.ttl)],
    ]);
    const ttl = await redis.ttl(c.key);
    expect(ttl).toBeGreaterThan(c.ttl - 5);
    expect(ttl).toBeLessThanOrEqual(c.ttl);
    expect(JSON.parse((await redis.get(c.key))!)).toEqual(miss.body);

    for (let i = 0; i < 3; i++) {
      const hit = await measure(apps.optimized, 'GET', c.path, { token: ownerToken });
      expect(hit.status).toBe(200);
      expect([hit.queries.length, hit.wire]).toEqual([0, 0]);
      expect(hit.redis).toEqual([['get', c.key]]);
      expect(hit.body).toEqual(miss.body);
    }
    const naive = await measure(apps.naive, 'GET', c.path, { token: ownerToken });
    expect(naive.body).toEqual(miss.body);
  });

  it('refuses another organization’s settings (403) and does not cache 404s', async () => {
    for (const mode of ['naive', 'optimized'] as const) {
      const forbidden = await measure(apps[mode], 'GET', '/api/v1/organizations/2/settings', { token: ownerToken });
      expect(forbidden.status).toBe(403);
      expect(forbidden.wire).toBe(0);
    }
    const missing = await measure(apps.optimized, 'GET', '/api/v1/users/999999', { token: ownerToken });
    expect(missing.status).toBe(404);
    expect(missing.redis).toEqual([['get', 'user:999999']]);
    expect(await redis.exists('user:999999')).toBe(0);
  });
});

describe('resilience', () => {
  it('answers 500 JSON while PostgreSQL refuses connections, keeps serving /health, and recovers', async () => {
    try {
      await admin.query(`ALTER DATABASE ${DB_NAME} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [DB_NAME]);
      const failed = await send(apps.naive, 'GET', '/api/v1/audit-logs?limit=5', { token: ownerToken });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toMatch(/application\/json/);
      expect(await failed.json()).toEqual({ error: expect.any(String) });
      const health = await send(apps.naive, 'GET', '/health');
      expect(health.status).toBe(200);
    } finally {
      await admin.query(`ALTER DATABASE ${DB_NAME} ALLOW_CONNECTIONS true`);
    }
    // Dead pooled connections are discarded; a request after the outage is served again.
    let status = 0;
    for (let attempt = 0; attempt < 3 && status !== 200; attempt++) {
      status = (await send(apps.naive, 'GET', '/api/v1/audit-logs?limit=5', { token: ownerToken })).status;
    }
    expect(status).toBe(200);
    await direct.end().catch(() => {});
    direct = new pg.Client({ connectionString: DIRECT_URL });
    direct.on('error', () => {});
    await direct.connect();
  });
});
