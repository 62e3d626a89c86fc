/**
 * The wire proxy against the real PostgreSQL. Ground truth is the server's own statement log
 * (log_statement = 'all' on a dedicated database): for the same traffic, the proxy's statements must
 * equal the log's, per server process, in order, with the same SQL text and parameters.
 *
 * The "server restart" case runs through a relay that this test owns (proxy → relay → PostgreSQL):
 * killing and restarting the relay looks to the proxy exactly like a server going down and coming
 * back, without restarting the PostgreSQL that other test files share. The "terminated backend" case
 * uses pg_terminate_backend on the real server.
 */
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatementLog, type LoggedStatement } from '../../src/sources/postgres/statement-log.js';
import { PgWireProxy, type ProxyStatement } from '../../src/sources/postgres/wire-proxy.js';

const HOST = '127.0.0.1';
const PORT = 5432;
const DATABASE = 'perfspec_pgtest';

let admin: pg.Client;
let proxy: PgWireProxy;
let logFile: string | undefined;

async function ensureDatabase(client: pg.Client): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.rowCount === 0) {
    await client.query(`CREATE DATABASE ${DATABASE}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // created concurrently by another file: fine
    });
  }
  await client.query(`ALTER DATABASE ${DATABASE} SET log_statement = 'all'`);
  await client.query(`ALTER DATABASE ${DATABASE} SET log_min_error_statement = 'error'`);
}

/** Where this cluster writes its log: the collector's file, or Debian's stderr file. */
async function locateLog(client: pg.Client): Promise<string | undefined> {
  const { rows } = await client.query<{ file: string | null; dir: string; version: string }>(
    "SELECT pg_current_logfile() AS file, current_setting('data_directory') AS dir, current_setting('server_version_num') AS version",
  );
  const candidates = [
    rows[0].file && (rows[0].file.startsWith('/') ? rows[0].file : `${rows[0].dir}/${rows[0].file}`),
    `/var/log/postgresql/postgresql-${Math.floor(Number(rows[0].version) / 10000)}-main.log`,
  ].filter((file): file is string => Boolean(file));
  for (const file of candidates) {
    try {
      await readFile(file, { encoding: 'utf8', flag: 'r' }).then((text) => text.length);
      return file;
    } catch {
      // not this one
    }
  }
  return undefined;
}

async function logSize(): Promise<number> {
  return logFile ? (await stat(logFile)).size : 0;
}

/** The log written since `offset`, once the server has flushed what it logged for our traffic. */
async function readLogSince(offset: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const buffer = await readFile(logFile as string);
  return buffer.subarray(offset).toString('utf8');
}

function pool(port: number, application: string, max = 20): pg.Pool {
  const p = new pg.Pool({ host: HOST, port, user: 'postgres', database: DATABASE, application_name: application, max });
  p.on('error', () => undefined); // idle clients killed on purpose in some tests
  return p;
}

/** A comparable view of one statement: the SQL text, the parameters when known, failed or not. */
const view = (s: { sql: string; params?: Array<string | null>; error?: string }, withParams: boolean) => ({
  sql: s.sql,
  ...(withParams && s.params ? { params: s.params } : {}),
  failed: s.error !== undefined,
});

function byPid<T extends { pid?: number; backendPid?: number }>(items: T[]): Map<number, T[]> {
  const map = new Map<number, T[]>();
  for (const item of items) {
    const pid = (item.pid ?? item.backendPid) as number;
    map.set(pid, [...(map.get(pid) ?? []), item]);
  }
  return map;
}

/** Assert the proxy's statements equal the log's, per server process, in order. */
function expectSameAsLog(proxied: ProxyStatement[], logged: LoggedStatement[]): void {
  const proxyByPid = byPid(proxied);
  const logByPid = byPid(logged);
  expect([...proxyByPid.keys()].sort()).toEqual([...logByPid.keys()].sort());
  for (const [pid, fromLog] of logByPid) {
    const fromProxy = proxyByPid.get(pid) ?? [];
    // Parameters are compared where the log shows them (it does not for statements that failed at Bind).
    expect(fromProxy.map((s, k) => view(s, fromLog[k]?.params !== undefined))).toEqual(fromLog.map((s) => view(s, true)));
  }
}

beforeAll(async () => {
  admin = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: 'postgres', application_name: 'perfspec-test-admin' });
  await admin.connect();
  await ensureDatabase(admin);
  logFile = await locateLog(admin);
  const setup = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: DATABASE });
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text NOT NULL)');
  await setup.query("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g ON CONFLICT DO NOTHING");
  await setup.query('CREATE TABLE IF NOT EXISTS events (id serial PRIMARY KEY, worker int, note text)');
  await setup.end();
  proxy = new PgWireProxy({ upstream: { host: HOST, port: PORT } });
  await proxy.listen();
});

afterAll(async () => {
  await proxy?.close();
  await admin?.end();
});

/** One worker's script: every kind of statement a real app sends, including failures. */
async function runScript(client: pg.PoolClient, worker: number): Promise<number> {
  let expected = 0;
  const q = async (text: string | pg.QueryConfig, values?: unknown[], statements = 1) => {
    expected += statements;
    await client.query(text as string, values).catch(() => undefined);
  };
  await q(`SELECT name FROM items WHERE id = ${worker + 1}`);
  await q('SELECT name FROM items WHERE id = $1', [worker + 2]);
  for (let k = 0; k < 3; k++) await q({ name: 'item_by_id', text: 'SELECT id, name FROM items WHERE id = $1', values: [k + 1] });
  await q('BEGIN');
  await q('INSERT INTO events (worker, note) VALUES ($1, $2) RETURNING id', [worker, "it's; fine"]);
  await q(`UPDATE events SET note = 'a;b' WHERE worker = ${worker}`);
  await q('COMMIT');
  await q('SELECT 1; SELECT 2; SELECT 3', undefined, 3);
  await q('SELECT id\n  FROM items\n WHERE name LIKE $1\n ORDER BY id\n LIMIT 3', ['item 1%']);
  await q('SELEC broken'); // syntax error, simple protocol
  await q('SELECT id FROM items WHERE id = $1::int', ['not a number']); // fails at Bind
  await q('SELECT (SELECT name FROM items WHERE id = $1)::int', [worker + 1]); // fails during execution
  await q('SELECT $1::text AS nothing', [null]);
  await q("SET application_name = 'still-perfspec-test'");
  return expected;
}

describe('PgWireProxy against PostgreSQL', () => {
  it('lists exactly the statements the server logs, across 20 pooled connections at once', async () => {
    expect(logFile, 'the server log must be readable to compare against it').toBeDefined();
    const p = pool(proxy.port, 'perfspec-test-pool');
    const offset = await logSize();
    const window = proxy.beginWindowSync();
    const clients = await Promise.all(Array.from({ length: 20 }, () => p.connect()));
    expect(proxy.stats().open).toBeGreaterThanOrEqual(20);
    const expected = (await Promise.all(clients.map((client, worker) => runScript(client, worker)))).reduce((a, b) => a + b, 0);
    const statements = proxy.endWindowSync(window);
    for (const client of clients) client.release();
    await p.end();

    // 20 workers × 18 statements: a known total, on both sides.
    expect(expected).toBe(20 * 18);
    expect(statements).toHaveLength(expected);
    expect(new Set(statements.map((s) => s.backendPid)).size).toBe(20);
    const pids = new Set(statements.map((s) => s.backendPid as number));
    const logged = readStatementLog(await readLogSince(offset), pids);
    expect(logged).toHaveLength(expected);
    expectSameAsLog(statements, logged);

    // What the proxy adds beyond the log: tags, error codes and the utility flag.
    const first = statements.filter((s) => s.backendPid === statements[0].backendPid);
    expect(first.filter((s) => s.utility).map((s) => s.sql)).toEqual(['BEGIN', 'COMMIT', "SET application_name = 'still-perfspec-test'"]);
    expect(first.filter((s) => s.error).map((s) => s.error?.slice(0, 5))).toEqual(['42601', '22P02', '22P02']);
    expect(first.find((s) => s.sql.startsWith('INSERT'))?.tag).toBe('INSERT 0 1');
    expect(proxy.stats()).toMatchObject({ desyncs: 0, broken: 0 });
  });

  it('counts each execution of a named prepared statement parsed once', async () => {
    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    await client.connect();
    const offset = await logSize();
    const window = proxy.beginWindowSync();
    for (let k = 1; k <= 100; k++) await client.query({ name: 'lookup', text: 'SELECT name FROM items WHERE id = $1', values: [(k % 50) + 1] });
    const statements = proxy.endWindowSync(window);
    await client.end();
    expect(statements).toHaveLength(100);
    expect(statements.every((s) => s.sql === 'SELECT name FROM items WHERE id = $1')).toBe(true);
    expect(statements[0].params).toEqual(['2']);
    const logged = readStatementLog(await readLogSince(offset), new Set([statements[0].backendPid as number]));
    expect(logged).toHaveLength(100);
    expectSameAsLog(statements, logged);
  });

  it('counts a multi-statement simple query per statement, up to the one that fails', async () => {
    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    await client.connect();
    const offset = await logSize();
    const window = proxy.beginWindowSync();
    await client.query('SELECT 1; SELECT 2').catch(() => undefined);
    await client.query('SELECT 1; SELECT 1/0; SELECT 3').catch(() => undefined);
    await client.query('SELECT 1; SELEC 2').catch(() => undefined);
    const statements = proxy.endWindowSync(window);
    await client.end();
    expect(statements.map((s) => [s.sql, s.error?.slice(0, 5) ?? s.tag])).toEqual([
      ['SELECT 1', 'SELECT 1'],
      ['SELECT 2', 'SELECT 1'],
      ['SELECT 1', 'SELECT 1'],
      ['SELECT 1/0', '22012'],
      // A syntax error fails the whole text before any statement of it runs: one failure, the whole text.
      ['SELECT 1; SELEC 2', '42601'],
    ]);
    // The log shows the second text whole plus an ERROR, without saying which statement failed:
    // here the proxy knows more than the log (it saw one CommandComplete, then the ErrorResponse).
    const logged = readStatementLog(await readLogSince(offset), new Set([statements[0].backendPid as number]));
    expect(logged.map((s) => [s.sql, Boolean(s.ambiguous)])).toEqual([
      ['SELECT 1', false],
      ['SELECT 2', false],
      ['SELECT 1', true],
      ['SELECT 1/0', true],
      ['SELECT 3', true],
      ['SELECT 1; SELEC 2', false],
    ]);
    expect(logged.at(-1)?.error).toMatch(/^syntax error/);
  });

  it('answers SSLRequest and GSSENCRequest with N, then serves the session; refuses a TLS ClientHello', async () => {
    const exchange = (bytes: Buffer[], expectBytes: number) =>
      new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(proxy.port, HOST);
        let received = Buffer.alloc(0);
        socket.on('data', (chunk) => {
          received = Buffer.concat([received, chunk]);
          if (received.length >= expectBytes) {
            socket.destroy();
            resolve(received);
          }
        });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
        for (const b of bytes) socket.write(b);
      });
    const request = (code: number) => {
      const b = Buffer.alloc(8);
      b.writeInt32BE(8, 0);
      b.writeInt32BE(code, 4);
      return b;
    };
    const params = Buffer.from('user\0postgres\0database\0perfspec_pgtest\0\0');
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    params.copy(startup, 8);
    const answer = await exchange([request(80877104), request(80877103), startup], 3);
    expect(answer.subarray(0, 2).toString()).toBe('NN');
    expect(String.fromCharCode(answer[2])).toBe('R'); // the server's authentication message
    const refused = await exchange([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])], 1);
    expect(refused.length).toBe(0);

    // A client that would accept plain text after asking (psql's default sslmode=prefer) just works.
    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    // One that insists on TLS fails with its own clear message.
    const insists = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE, ssl: true });
    await expect(insists.connect()).rejects.toThrow(/does not support SSL/);
  });

  it('forwards a CancelRequest on its own connection', async () => {
    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    await client.connect();
    const window = proxy.beginWindowSync();
    const sleeping = client.query('SELECT pg_sleep(10)').then(
      () => 'finished',
      (error: { code?: string }) => error.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    cancel.writeInt32BE(processID, 8);
    cancel.writeInt32BE(secretKey, 12);
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const socket = net.connect(proxy.port, HOST, () => socket.end(cancel));
      socket.on('close', () => resolve());
    });
    expect(await sleeping).toBe('57014');
    expect(Date.now() - started).toBeLessThan(5000);
    const statements = proxy.endWindowSync(window);
    expect(statements.map((s) => [s.sql, s.error?.slice(0, 5)])).toEqual([['SELECT pg_sleep(10)', '57014']]);
    await client.end();
  });

  it('survives a client that disconnects mid-query, and keeps counting exactly', async () => {
    const openBefore = proxy.stats().open;
    const victim = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    victim.on('error', () => undefined);
    await victim.connect();
    const window = proxy.beginWindowSync();
    void victim.query('SELECT pg_sleep(1)').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    (victim as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(proxy.stats().open).toBe(openBefore);

    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    await client.connect();
    await client.query('SELECT 1');
    await client.query('SELECT name FROM items WHERE id = $1', [3]);
    const statements = proxy.endWindowSync(window);
    await client.end();
    // The abandoned pg_sleep never completed on this connection, so it is not a statement of the window.
    expect(statements.map((s) => s.sql)).toEqual(['SELECT 1', 'SELECT name FROM items WHERE id = $1']);
  });

  it('survives terminated server processes: the clients see the error, new connections work and count exactly', async () => {
    const p = pool(proxy.port, 'perfspec-test-terminate', 5);
    const clients = await Promise.all(Array.from({ length: 5 }, () => p.connect()));
    for (const client of clients) client.on('error', () => undefined);
    const pids = (clients as unknown as Array<{ processID: number }>).map((c) => c.processID);
    const window = proxy.beginWindowSync();
    const running = clients[0].query('SELECT pg_sleep(10)').then(
      () => 'finished',
      (error: { code?: string }) => error.code ?? 'terminated',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [pids]);
    expect(['57P01', 'terminated']).toContain(await running);
    for (const client of clients) client.release(true);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const fresh = await p.connect();
    await fresh.query('SELECT 1');
    await fresh.query('SELECT name FROM items WHERE id = $1', [4]);
    fresh.release();
    const statements = proxy.endWindowSync(window);
    await p.end();
    // The running query ended in an ErrorResponse (57P01) and counts as a failed statement; the idle
    // connections' FATAL messages answer no statement and do not count.
    expect(statements.map((s) => [s.sql, s.error?.slice(0, 5)])).toEqual([
      ['SELECT pg_sleep(10)', '57P01'],
      ['SELECT 1', undefined],
      ['SELECT name FROM items WHERE id = $1', undefined],
    ]);
  });

  it('survives the server going down and coming back (through a relay this test restarts)', async () => {
    const relaySockets = new Set<net.Socket>();
    const startRelay = (port: number) =>
      new Promise<net.Server>((resolve) => {
        const server = net.createServer((socket) => {
          const upstream = net.connect(PORT, HOST);
          relaySockets.add(socket).add(upstream);
          socket.pipe(upstream).pipe(socket);
          socket.on('error', () => upstream.destroy());
          upstream.on('error', () => socket.destroy());
        });
        server.listen(port, HOST, () => resolve(server));
      });
    let relay = await startRelay(0);
    const relayPort = (relay.address() as net.AddressInfo).port;
    const viaRelay = new PgWireProxy({ upstream: { host: HOST, port: relayPort } });
    await viaRelay.listen();
    const p = pool(viaRelay.port, 'perfspec-test-restart', 3);
    try {
      await p.query('SELECT 1');
      // "Restart": every connection dropped, then nobody listening.
      for (const socket of relaySockets) socket.destroy();
      relaySockets.clear();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const down = new pg.Client({ host: HOST, port: viaRelay.port, user: 'postgres', database: DATABASE });
      await expect(down.connect()).rejects.toThrow(`perfspec proxy could not reach PostgreSQL at ${HOST}:${relayPort}: ECONNREFUSED`);

      relay = await startRelay(relayPort);
      const window = viaRelay.beginWindowSync();
      await p.query('SELECT 2');
      await p.query('SELECT name FROM items WHERE id = $1', [5]);
      expect(viaRelay.endWindowSync(window).map((s) => s.sql)).toEqual(['SELECT 2', 'SELECT name FROM items WHERE id = $1']);
    } finally {
      await p.end().catch(() => undefined);
      await viaRelay.close();
      for (const socket of relaySockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it('lets windows overlap, each seeing everything from its start', async () => {
    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
    await client.connect();
    const outer = proxy.beginWindowSync();
    await client.query('SELECT 1');
    const inner = proxy.beginWindowSync();
    await client.query('SELECT 2');
    expect(proxy.endWindowSync(inner).map((s) => s.sql)).toEqual(['SELECT 2']);
    await client.query('SELECT 3');
    expect(proxy.endWindowSync(outer).map((s) => s.sql)).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
    expect(() => proxy.endWindowSync(outer)).toThrow(/no open query window/);
    await client.end();
  });
});
