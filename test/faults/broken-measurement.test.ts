/**
 * No verdict from a broken measurement (issue #10): PostgreSQL dying inside a `queries` window and
 * a target dying mid-run are exit 3 with what failed and when — never a PASS judged on the part
 * that worked, never a budget failure (exit 1).
 *
 * "PostgreSQL dies" without touching the shared server: services.postgres.url points at a TCP relay
 * in front of the real PostgreSQL, and the test kills the relay after a known number of requests.
 * Ground truth: the app runs exactly 3 statements per request while the database is there, and
 * answers 500 once it is gone (as the audited run did).
 */
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/run-cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-faults-broken-'));
});

interface Relay {
  port: number;
  kill(): void;
}

/** A TCP relay to the real PostgreSQL; kill() drops every connection and refuses new ones. */
async function startRelay(): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(5432, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    kill() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

interface App {
  url: string;
  served: () => number;
  close(): Promise<void>;
}

/** An API whose /items runs 3 statements through `databaseUrl`, 500 when the database fails. */
async function startApp(databaseUrl: string, onRequest: (n: number) => void): Promise<App> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 1000 });
  pool.on('error', () => undefined);
  let served = 0;
  const server = http.createServer(async (req, res) => {
    if (req.url === '/health') return res.end('ok');
    onRequest(++served);
    try {
      for (const n of [1, 2, 3]) await pool.query(`SELECT ${n} AS n`);
      res.end('{"items":[]}');
    } catch {
      res.statusCode = 500;
      res.end('{"error":"database"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    served: () => served,
    async close() {
      server.closeAllConnections();
      server.close();
      await pool.end().catch(() => undefined);
    },
  };
}

describe('PostgreSQL killed during a queries check', () => {
  let relay: Relay;
  let app: App;
  let killedAt = 0;
  afterAll(async () => {
    relay?.kill();
    await app?.close();
  });

  it('is exit 3 within 5 s of the kill, naming the failed request, when, the address and a hint — not PASS', async () => {
    relay = await startRelay();
    const proxyPort = await freePort();
    // The app reaches the database through perfspec's proxy (fixed port), the proxy through the relay.
    app = await startApp(`postgres://postgres@127.0.0.1:${proxyPort}/postgres`, (n) => {
      if (n === 5) {
        relay.kill(); // after the warm-up and 3 measured requests
        killedAt = Date.now();
      }
    });
    const spec = path.join(work, 'pg-killed.yaml');
    await writeFile(
      spec,
      `perfspec: 1\nname: pg killed\ntarget:\n  baseUrl: ${app.url}\nservices:\n  postgres:\n    url: postgres://postgres@127.0.0.1:${relay.port}/postgres\n    proxyPort: ${proxyPort}\n` +
        'checks:\n  - name: Items\n    request: GET /items\n    samples: 1\n    warmup: 0\n    queries: { max: 5, requests: 200 }\n',
    );
    const outcome = await runCli(['run', spec, '-o', path.join(work, 'out-pg'), '-r', 'console,json']);
    const finishedAt = Date.now();
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stdout).not.toMatch(/queries\.max.*PASS/);
    expect(outcome.stdout).toMatch(/Items: measured request \d+ answered 500 [\d.]+s into the check/);
    expect(outcome.stdout).toContain(`PostgreSQL is not reachable at 127.0.0.1:${relay.port}: connection refused`);
    expect(outcome.stdout).toContain('hint:');
    expect(outcome.stdout + outcome.stderr).not.toContain('PS_PROBE_FAILED');
    expect(finishedAt - killedAt).toBeLessThan(5000);
    // It stopped at the first broken request instead of sending all 200.
    expect(app.served()).toBeLessThan(10);
  });
});

describe('a target that dies mid-run', () => {
  it('is exit 3 naming the check and the address, not a budget failure (exit 1)', async () => {
    let served = 0;
    const server = http.createServer((_req, res) => {
      served += 1;
      res.end('{}');
      if (served === 10) {
        server.close();
        server.closeAllConnections();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const spec = path.join(work, 'target-dies.yaml');
    await writeFile(
      spec,
      `perfspec: 1\nname: dies\ntarget:\n  baseUrl: ${url}\nchecks:\n  - name: Dies\n    request: GET /x\n    samples: 30\n    warmup: 0\n    latency: { p95: "< 5s" }\n`,
    );
    const outcome = await runCli(['run', spec, '-o', path.join(work, 'out-dies'), '-r', 'console']);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stdout).toContain(`the target stopped answering at ${url} during "Dies"`);
  });
});

describe('nothing on the wire but what the spec asks for', () => {
  it("a failed check is followed by no liveness request: the target sees only the check's own path, and a dead target is still exit 3 (above)", async () => {
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = 503; // every answer fails the check's status expectation
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const spec = path.join(work, 'no-ping.yaml');
      await writeFile(
        spec,
        `perfspec: 1\nname: no ping\ntarget:\n  baseUrl: ${url}\nchecks:\n  - name: Fails\n    request: GET /only-this\n    samples: 5\n    warmup: 0\n    latency: { p95: "< 5s" }\n`,
      );
      const outcome = await runCli(['run', spec, '-o', path.join(work, 'out-no-ping'), '-r', 'console']);
      expect(outcome.exitCode, outcome.stdout).toBe(1);
      expect(paths.length).toBeGreaterThan(0);
      // Before: a GET / before the run (reachability) and one after the failed check (liveness).
      expect(paths.filter((p) => p !== '/only-this')).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
