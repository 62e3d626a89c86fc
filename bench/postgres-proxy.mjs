#!/usr/bin/env node
/**
 * The latency perfspec's PostgreSQL wire proxy adds per query on loopback: `SELECT 1` (simple
 * protocol) and a one-parameter SELECT (extended protocol) sent directly and through the proxy, in the
 * same run, interleaved query by query (alternating which goes first) so that background noise on a
 * shared machine hits both paths alike. The proxy runs in its own child process, as it does for a real
 * target (the app is another process than perfspec), with a query window open the whole time, so every
 * statement is recorded as in a probe. Goal (issue 3): under 0.2 ms added at p50. Also printed: the
 * proxy process's CPU time per statement, an upper bound of what it takes from perfspec's own process
 * (where, under load, socket events are batched and cost less).
 *
 * Env: PGBENCH_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_PG_QUERIES (5000 per path
 * and protocol), BENCH_PG_WARMUP (500).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const url = new URL(process.env.PGBENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const queries = Number(process.env.BENCH_PG_QUERIES ?? 5000);
const warmup = Number(process.env.BENCH_PG_WARMUP ?? 500);
const upstream = { host: url.hostname, port: Number(url.port || 5432) };

function proxyModule() {
  const dist = join(root, 'dist/sources/postgres/wire-proxy.js');
  if (existsSync(dist)) return { specifier: 'file://' + dist, nodeArgs: [] };
  return { specifier: 'file://' + join(root, 'src/sources/postgres/wire-proxy.ts'), nodeArgs: ['--import', 'tsx'] };
}

/** Start the proxy in a child process; resolves with its port and a stop function. */
function startProxy() {
  const { specifier, nodeArgs } = proxyModule();
  const code = `
    const { PgWireProxy } = await import(${JSON.stringify(specifier)});
    const proxy = new PgWireProxy({ upstream: ${JSON.stringify(upstream)} });
    const port = await proxy.listen();
    const window = proxy.beginWindowSync();
    const cpuBefore = process.cpuUsage();
    process.stdout.write(port + '\\n');
    process.stdin.on('data', () => {});
    process.stdin.on('end', async () => {
      const cpu = process.cpuUsage(cpuBefore);
      const statements = proxy.endWindowSync(window);
      process.stdout.write(JSON.stringify({ recorded: statements.length, stats: proxy.stats(), cpuUs: cpu.user + cpu.system }) + '\\n');
      await proxy.close();
      process.exit(0);
    });
  `;
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status) => {
      if (!output.includes('\n')) reject(new Error(`proxy child exited with ${status}`));
    });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const lines = output.split('\n');
      if (lines.length >= 2 && !child.port) {
        child.port = Number(lines[0]);
        resolve({
          port: child.port,
          stop: () =>
            new Promise((done) => {
              child.stdout.on('end', () => done(JSON.parse(output.trim().split('\n').pop())));
              child.stdin.end();
            }),
        });
      }
    });
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const ms = (value) => `${value.toFixed(3)} ms`;

async function main() {
  const proxy = await startProxy();
  const connect = async (port) => {
    const client = new pg.Client({
      host: upstream.host,
      port,
      user: decodeURIComponent(url.username) || 'postgres',
      password: url.password ? decodeURIComponent(url.password) : undefined,
      database: url.pathname.slice(1) || 'postgres',
      application_name: 'perfspec-bench',
    });
    await client.connect();
    return client;
  };
  const direct = await connect(upstream.port);
  const proxied = await connect(proxy.port);
  const kinds = {
    simple: (client) => client.query('SELECT 1'),
    extended: (client) => client.query('SELECT $1::int AS n', [1]),
  };
  const samples = { simple: { direct: [], proxy: [] }, extended: { direct: [], proxy: [] } };
  const time = async (fn) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup + queries; i++) {
    for (const [kind, run] of Object.entries(kinds)) {
      // Alternate which path goes first, so neither always follows the other's cache warm-up.
      const order = i % 2 === 0 ? ['direct', 'proxy'] : ['proxy', 'direct'];
      for (const path of order) {
        const took = await time(() => run(path === 'direct' ? direct : proxied));
        if (i >= warmup) samples[kind][path].push(took);
      }
    }
  }
  await direct.end();
  await proxied.end();
  const { recorded, stats, cpuUs } = await proxy.stop();

  console.log(`PostgreSQL wire proxy: added latency per query on loopback (${queries} queries per path, ${warmup} warm-up, interleaved)`);
  const rows = [['query', 'direct p50', 'proxy p50', 'added p50', 'direct p99', 'proxy p99', 'added p99', 'p50 ratio']];
  const verdicts = [];
  for (const kind of Object.keys(kinds)) {
    const d = summarize(samples[kind].direct);
    const p = summarize(samples[kind].proxy);
    const label = kind === 'simple' ? 'SELECT 1 (simple)' : 'SELECT $1 (extended)';
    rows.push([label, ms(d.p50), ms(p.p50), ms(p.p50 - d.p50), ms(d.p99), ms(p.p99), ms(p.p99 - d.p99), `${(p.p50 / d.p50).toFixed(2)}x`]);
    if (kind === 'simple') verdicts.push(`goal: < 0.200 ms added at p50 for SELECT 1: ${p.p50 - d.p50 < 0.2 ? 'met' : 'NOT met'} (${ms(p.p50 - d.p50)})`);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  for (const line of verdicts) console.log(line);
  const expected = 2 * (warmup + queries);
  console.log(
    `proxy recorded ${recorded} statements (expected ${expected}), desyncs ${stats.desyncs}; proxy CPU ${(cpuUs / recorded).toFixed(1)} µs per statement (its own process, one query at a time: every message is a wake-up, the costliest case)`,
  );
  if (recorded !== expected || stats.desyncs !== 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`bench/postgres-proxy: ${error.message}`);
  process.exitCode = 1;
});
