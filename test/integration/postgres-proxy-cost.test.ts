/**
 * The proxy's measured cost against a known one. The proxy's upstream here is a relay this test owns
 * that holds every chunk for a known delay in each direction, so going through the proxy costs at
 * least 2 × DELAY_MS more per statement than going direct: the calibration must find that (and not
 * much more), and must not count its own statements anywhere.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureProxyCost } from '../../src/sources/postgres/proxy-cost.js';
import { PgWireProxy } from '../../src/sources/postgres/wire-proxy.js';

const HOST = '127.0.0.1';
const PORT = 5432;
const DELAY_MS = 3;

let relay: net.Server;
const relaySockets = new Set<net.Socket>();
let proxy: PgWireProxy;

beforeAll(async () => {
  relay = net.createServer((socket) => {
    const upstream = net.connect(PORT, HOST);
    relaySockets.add(socket).add(upstream);
    const delayed = (from: net.Socket, to: net.Socket) => from.on('data', (chunk) => setTimeout(() => to.write(chunk), DELAY_MS));
    delayed(socket, upstream);
    delayed(upstream, socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => relay.listen(0, HOST, resolve));
  proxy = new PgWireProxy({ upstream: { host: HOST, port: (relay.address() as net.AddressInfo).port } });
  await proxy.listen();
});

afterAll(async () => {
  await proxy?.close();
  for (const socket of relaySockets) socket.destroy();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

describe('measureProxyCost', () => {
  it('finds the known added time per statement, and counts none of its own statements', async () => {
    const statementsBefore = proxy.stats().statements;
    const window = proxy.beginWindowSync();
    const cost = await measureProxyCost(`postgres://postgres@${HOST}:${PORT}/postgres`, `postgres://postgres@${HOST}:${proxy.port}/postgres`, 30);
    expect(proxy.endWindowSync(window)).toEqual([]);
    expect(proxy.stats().statements).toBe(statementsBefore);
    expect(proxy.aggregateSummary().statements).toBe(0);
    expect(cost).toBeDefined();
    // The relay holds each direction at least DELAY_MS (timers never fire early); a loaded machine only adds.
    expect(cost?.addedMsPerStatement).toBeGreaterThanOrEqual(2 * DELAY_MS * 0.95);
    expect(cost?.addedMsPerStatement).toBeLessThan(2 * DELAY_MS + 25);
    expect(cost?.pairs).toBe(30);

    // An ordinary client through the same proxy is counted as always.
    const client = new pg.Client({ host: HOST, port: proxy.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    expect(proxy.stats().statements).toBe(statementsBefore + 1);
  });

  it('gives up quietly when it cannot connect', async () => {
    expect(await measureProxyCost(`postgres://postgres@${HOST}:1/postgres`, `postgres://postgres@${HOST}:${proxy.port}/postgres`, 3)).toBeUndefined();
  });
});
