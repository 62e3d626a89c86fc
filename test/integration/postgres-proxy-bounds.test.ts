/**
 * The proxy's bounds against the real PostgreSQL: a message over the cap is forwarded whole (the
 * server runs it and logs its whole text) while the proxy reads only its start and says so; a client
 * that never starts up and a connection left half-open are closed after the timeout; statements
 * outside windows are counted per shape (checked against a known sequence) and nothing is kept.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgWireProxy } from '../../src/sources/postgres/wire-proxy.js';

const HOST = '127.0.0.1';
const PORT = 5432;
const DATABASE = 'perfspec_proxy_bounds';

let admin: pg.Client;
let proxy: PgWireProxy;

beforeAll(async () => {
  admin = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: 'postgres', application_name: 'perfspec-test-admin' });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.rowCount === 0) {
    await admin.query(`CREATE DATABASE ${DATABASE}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error;
    });
  }
  proxy = new PgWireProxy({ upstream: { host: HOST, port: PORT }, maxMessageBytes: 4096, idleTimeoutMs: 300 });
  await proxy.listen();
});

afterAll(async () => {
  await proxy?.close();
  await admin?.end();
});

const connect = async () => {
  const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: DATABASE });
  await client.connect();
  return client;
};

const closed = (socket: net.Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

describe('PgWireProxy bounds', () => {
  it('forwards a message over the cap whole, reads only its start, and says so', async () => {
    const client = await connect();
    const before = proxy.stats().oversized;
    const window = proxy.beginWindowSync();
    const padding = 'x'.repeat(100_000);
    const result = await client.query(`SELECT length('${padding}') AS n`);
    const params = await client.query('SELECT length($1::text) AS n', [padding]);
    const statements = proxy.endWindowSync(window);
    await client.end();
    // The server got every byte: it measured the whole literal and the whole parameter.
    expect(result.rows[0].n).toBe(100_000);
    expect(params.rows[0].n).toBe(100_000);
    expect(statements).toHaveLength(2);
    expect(statements[0].sql).toMatch(/^SELECT length\('x+… \(message of \d+ bytes; the proxy read only its first bytes\)$/);
    expect(statements[0].sql.length).toBeLessThan(4200);
    expect(statements[1].sql).toBe('SELECT length($1::text) AS n');
    expect(statements[1].params).toBeUndefined();
    expect(proxy.stats().oversized - before).toBe(2);
    expect(proxy.stats().desyncs).toBe(0);
  });

  it('forwards large results byte for byte to a slow reader, and large uploads to the server (reused read buffers)', async () => {
    // md5 of every row, computed by the server from what it holds, against what the client received.
    const sql = 'SELECT g, repeat(md5(g::text), 40) AS payload FROM generate_series(1, 20000) g';
    const direct = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: DATABASE });
    await direct.connect();
    const expected = (await direct.query(sql)).rows;
    const client = await connect();
    // A slow reader: the socket stops reading for a while, so the proxy's writes to it queue up.
    const stream = (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
    const pending = client.query(sql);
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.resume();
    const received = (await pending).rows;
    expect(received.length).toBe(expected.length);
    expect(received).toEqual(expected);
    // The other way: 200 parameters of 50 KB each, checked by the server.
    const values = Array.from({ length: 20 }, (_, k) => String.fromCharCode(97 + k).repeat(50_000));
    const lengths = await client.query(`SELECT ${values.map((_, k) => `md5($${k + 1}::text) AS h${k}`).join(', ')}`, values);
    const checks = await direct.query(`SELECT ${values.map((v, k) => `md5(repeat('${v[0]}', 50000)) AS h${k}`).join(', ')}`);
    expect(lengths.rows[0]).toEqual(checks.rows[0]);
    await client.end();
    await direct.end();
    expect(proxy.stats()).toMatchObject({ desyncs: 0, broken: 0 });
  });

  it('closes a client that never sends its startup message', async () => {
    const before = proxy.stats().timedOut;
    const socket = net.connect(proxy.port, HOST);
    socket.on('error', () => undefined);
    const started = Date.now();
    await closed(socket);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(proxy.stats().timedOut - before).toBe(1);
  });

  it('closes a connection left half-open after the server went away', async () => {
    // A raw client that starts up, then never reads its end of the stream nor closes.
    const socket = net.connect(proxy.port, HOST);
    socket.on('error', () => undefined);
    const params = Buffer.from(`user\0postgres\0database\0${DATABASE}\0application_name\0perfspec-half-open\0\0`);
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    params.copy(startup, 8);
    socket.allowHalfOpen = true;
    socket.write(startup);
    let received = Buffer.alloc(0);
    await new Promise<void>((resolve) =>
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) resolve(); // ReadyForQuery
      }),
    );
    const before = proxy.stats().timedOut;
    const openBefore = proxy.stats().open;
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'perfspec-half-open'");
    // The proxy passes the server's end on, waits for the client to close its side, then gives up.
    const deadline = Date.now() + 10_000;
    while (proxy.stats().timedOut === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(proxy.stats().timedOut - before).toBe(1);
    while (proxy.stats().open > openBefore - 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(proxy.stats().open).toBe(openBefore - 1);
    socket.destroy();
  });

  it('counts statements outside windows per shape, exactly, and keeps none of them', async () => {
    const client = await connect();
    const base = new Map(proxy.aggregateSummary().shapes.map((s) => [s.text, s.count]));
    for (let k = 0; k < 150; k++) await client.query(`SELECT ${k} + 1 AS n`);
    for (let k = 0; k < 70; k++) await client.query('SELECT $1::int AS n', [k]);
    for (let k = 0; k < 5; k++) await client.query('SELECT 1/0').catch(() => undefined);
    await client.end();
    const shapes = proxy.aggregateSummary().shapes;
    const delta = (text: RegExp) => {
      const group = shapes.find((s) => text.test(s.text));
      return group
        ? { count: group.count - (base.get(group.text) ?? 0), errors: group.errors, histogram: group.histogram.reduce((a, b) => a + b, 0) }
        : undefined;
    };
    expect(delta(/^SELECT \d+ \+ 1 AS n$/)).toMatchObject({ count: 150 });
    expect(delta(/^SELECT \$1::int AS n$/)).toMatchObject({ count: 70 });
    expect(delta(/^SELECT 1\/0$/)).toMatchObject({ count: 5, errors: 5 });
    for (const group of shapes) expect(group.histogram.reduce((a, b) => a + b, 0)).toBe(group.count);
    // Nothing was kept for a window: a window opened now starts empty.
    const window = proxy.beginWindowSync();
    expect(proxy.endWindowSync(window)).toEqual([]);
  });
});
