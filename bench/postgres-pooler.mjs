#!/usr/bin/env node
/**
 * perfspec's PostgreSQL proxy beside a real pooler, under pgbench -S (one primary-key SELECT per
 * transaction): the same server reached directly, through pgbouncer (session pooling: a program that
 * forwards the same bytes) and through the proxy with recording on (a query window open, every
 * statement kept) and off (outside windows: per-fingerprint counters only). Paths are interleaved
 * (the order rotates every round) and repeated, so background load on a shared machine hits them
 * alike; figures are printed as ratios to pgbouncer, with the median of the per-round ratios.
 *
 * CPU per statement is each forwarder's own process CPU time (/proc/PID/stat utime+stime) over the
 * statements pgbench ran through it. RSS is sampled from /proc/PID/status.
 *
 * pgbouncer is the Debian package (installed with apt-get when missing), run as a process of this
 * bench with its own config on a free port; the system's pgbouncer config and service are not touched.
 *
 * Env: PGBENCH_URL (postgres://postgres@127.0.0.1:5432; the bench creates and fills its own database
 * perfspec_pgbench), BENCH_PGBENCH_SECONDS (5 per run), BENCH_PGBENCH_REPEATS (5),
 * BENCH_PGBENCH_CLIENTS (1,8,32), BENCH_PGBENCH_SOAK_SECONDS (60; 0: off; 600 for 10 minutes) for the RSS
 * flatness check through the proxy (8 clients, RSS every 10 s), BENCH_PGBENCH_DATABASE (perfspec_pgbench),
 * BENCH_PGBENCH_DIRECT (0: leave the direct path out), BENCH_PROXY_BASELINE (a built checkout whose
 * proxy runs beside this one, not recording), BENCH_BARE_VARIANTS (with --floor: data,onread,generic,handle).
 * Flags: --soak (only the RSS run, 600 s), --floor (bare Node forwarders too), --drop (drop the database after).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const url = new URL(process.env.PGBENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const HOST = url.hostname;
const PORT = Number(url.port || 5432);
const USER = decodeURIComponent(url.username) || 'postgres';
const DATABASE = process.env.BENCH_PGBENCH_DATABASE ?? 'perfspec_pgbench';
/** `--soak`: only the RSS flatness run (10 minutes unless BENCH_PGBENCH_SOAK_SECONDS says otherwise). */
const soakOnly = process.argv.includes('--soak');
/** `--floor`: bare Node forwarders (bench/bare-forwarder.mjs) beside pgbouncer and the proxy, to show Node's own floor. */
const floor = process.argv.includes('--floor');
/** `--drop`: drop the database at the end (for a database made for this one run). */
const dropAfter = process.argv.includes('--drop');
const seconds = Number(process.env.BENCH_PGBENCH_SECONDS ?? 5);
const repeats = Number(process.env.BENCH_PGBENCH_REPEATS ?? 5);
const clientCounts = (process.env.BENCH_PGBENCH_CLIENTS ?? '1,8,32').split(',').map(Number);
const soakSeconds = Number(process.env.BENCH_PGBENCH_SOAK_SECONDS ?? (soakOnly ? 600 : 60));
const CLOCK_TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** CPU seconds a process has used so far in user space (its own code: for Node, JS and V8) and in the kernel (syscalls, TCP). */
function cpuSplit(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICK, system: Number(fields[12]) / CLOCK_TICK };
}

function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on port ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function psql(sql, database = 'postgres') {
  return execFileSync('psql', ['-h', HOST, '-p', String(PORT), '-U', USER, '-d', database, '-Atqc', sql], { encoding: 'utf8' }).trim();
}

function prepareDatabase() {
  if (psql(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`) !== '1') psql(`CREATE DATABASE ${DATABASE}`);
  if (psql("SELECT to_regclass('pgbench_accounts') IS NOT NULL", DATABASE) !== 't') {
    execFileSync('pgbench', ['-i', '-q', '-s', '1', '-h', HOST, '-p', String(PORT), '-U', USER, DATABASE], { stdio: 'ignore' });
  }
}

function pgbouncerBinary() {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(candidate)) return candidate;
  console.log('pgbouncer is missing: installing the Debian package (apt-get install -y pgbouncer)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'pgbouncer'], { stdio: 'ignore', env });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    install();
  }
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(candidate)) return candidate;
  throw new Error('could not install pgbouncer (apt-get install pgbouncer failed)');
}

/** pgbouncer with a config of its own in a temporary directory, on a free port, session pooling. */
async function startPgbouncer() {
  const binary = pgbouncerBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'perfspec-pgbouncer-'));
  writeFileSync(join(dir, 'users.txt'), `"${USER}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${DATABASE} = host=${HOST} port=${PORT} dbname=${DATABASE}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir =`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = session',
      'max_client_conn = 200',
      'default_pool_size = 64',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o777);
  // pgbouncer refuses to run as root; as root, drop to the postgres user (the Debian package's).
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')];
  const child = spawn(binary, args, { stdio: 'ignore' });
  await waitForPort(port);
  return {
    name: 'pgbouncer',
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function proxyModule(from = root) {
  const dist = join(from, 'dist/sources/postgres/wire-proxy.js');
  if (existsSync(dist)) return { specifier: 'file://' + dist, nodeArgs: [] };
  return { specifier: 'file://' + join(from, 'src/sources/postgres/wire-proxy.ts'), nodeArgs: ['--import', 'tsx'] };
}

/**
 * The proxy in a child process of its own (as for a real target, the app is another process). With
 * `recording`, a query window stays open the whole time, so every statement is kept, as in a probe.
 * stdin "stats\n" prints a JSON line: statements seen, recorded, desyncs.
 */
async function startProxy(recording, from = root) {
  const { specifier, nodeArgs } = proxyModule(from);
  const code = `
    const { PgWireProxy } = await import(${JSON.stringify(specifier)});
    const proxy = new PgWireProxy({ upstream: ${JSON.stringify({ host: HOST, port: PORT })} });
    const port = await proxy.listen();
    let window = ${recording} ? proxy.beginWindowSync() : undefined;
    process.stdout.write(port + '\\n');
    let input = '';
    process.stdin.on('data', (chunk) => {
      input += chunk;
      while (input.includes('\\n')) {
        const line = input.slice(0, input.indexOf('\\n'));
        input = input.slice(input.indexOf('\\n') + 1);
        if (line === 'stats') {
          let recorded = 0;
          if (window !== undefined) {
            recorded = proxy.endWindowSync(window).length;
            window = proxy.beginWindowSync();
          }
          process.stdout.write(JSON.stringify({ ...proxy.stats(), recorded }) + '\\n');
        } else if (line === 'aggregates') {
          process.stdout.write(JSON.stringify({ shapes: proxy.aggregateSummary().shapes.length }) + '\\n');
        }
      }
    });
    process.stdin.on('end', async () => {
      await proxy.close();
      process.exit(0);
    });
  `;
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiting = [];
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    while (buffer.includes('\n')) {
      const line = buffer.slice(0, buffer.indexOf('\n'));
      buffer = buffer.slice(buffer.indexOf('\n') + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const nextLine = () => (lines.length > 0 ? Promise.resolve(lines.shift()) : new Promise((resolve) => waiting.push(resolve)));
  const port = Number(await nextLine());
  return {
    name: `${from === root ? '' : 'baseline '}proxy (${recording ? 'recording' : 'not recording'})`,
    port,
    pid: child.pid,
    stats: async () => {
      child.stdin.write('stats\n');
      return JSON.parse(await nextLine());
    },
    aggregates: async () => {
      child.stdin.write('aggregates\n');
      return JSON.parse(await nextLine());
    },
    stop: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** A bare forwarder (no protocol) in a child process: see bench/bare-forwarder.mjs. */
async function startBareForwarder(variant) {
  const child = spawn(process.execPath, [join(root, 'bench/bare-forwarder.mjs'), variant, HOST, String(PORT)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`bare forwarder ${variant} exited (${code})`)));
  });
  return {
    name: `bare ${variant}`,
    port,
    pid: child.pid,
    stop: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** One pgbench -S run; resolves with tps, mean latency and transactions. */
function pgbench(port, clients, runSeconds) {
  const threads = String(Math.min(clients, 2));
  const args = ['-n', '-S', '-T', String(runSeconds), '-c', String(clients), '-j', threads, '-h', '127.0.0.1', '-p', String(port), '-U', USER, DATABASE];
  return new Promise((resolve, reject) => {
    const child = spawn('pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (status) => {
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
      const latency = /latency average = ([\d.]+) ms/.exec(out);
      const transactions = /number of transactions actually processed: (\d+)/.exec(out);
      const failed = /number of failed transactions: (\d+)/.exec(out);
      if (status !== 0 || !tps || !latency || !transactions) {
        reject(new Error(`pgbench through port ${port} failed (${status}): ${err.trim().split('\n').slice(-3).join(' / ')}`));
        return;
      }
      resolve({ tps: Number(tps[1]), latencyMs: Number(latency[1]), transactions: Number(transactions[1]), failed: failed ? Number(failed[1]) : 0 });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const range = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  '));
}

async function comparison(paths) {
  const direct = { name: 'direct', port: PORT };
  const all = process.env.BENCH_PGBENCH_DIRECT === '0' ? paths : [direct, ...paths];
  /** results[clients][path name] = [{tps, latencyMs, cpuUsPerStatement}] */
  const results = {};
  const rssStart = Object.fromEntries(paths.map((p) => [p.name, rssBytes(p.pid)]));
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  let checked = { statements: 0, recorded: 0, desyncs: 0, expectedRecorded: 0 };
  for (const clients of clientCounts) {
    results[clients] = Object.fromEntries(all.map((p) => [p.name, []]));
    // Warm-up: every path once, short, so connection start and JIT are not in the first round.
    for (const path of all) await pgbench(path.port, clients, 1);
    for (const path of paths) if (path.stats) await path.stats();
    for (let round = 0; round < repeats; round++) {
      const order = all.map((_, k) => all[(k + round) % all.length]);
      for (const path of order) {
        const before = path.pid ? cpuSplit(path.pid) : { user: 0, system: 0 };
        const run = await pgbench(path.port, clients, seconds);
        const after = path.pid ? cpuSplit(path.pid) : { user: 0, system: 0 };
        const perStatement = (seconds) => (seconds * 1e6) / run.transactions;
        // pgbench -S: one statement per transaction (connection start-up statements are not counted).
        results[clients][path.name].push({
          ...run,
          cpuUsPerStatement: perStatement(after.user + after.system - before.user - before.system),
          userUsPerStatement: perStatement(after.user - before.user),
          systemUsPerStatement: perStatement(after.system - before.system),
        });
        if (path.stats) {
          const stats = await path.stats();
          checked.desyncs = stats.desyncs;
          if (path.name.includes('(recording)')) {
            checked.recorded += stats.recorded;
            checked.expectedRecorded += run.transactions;
          }
        }
      }
    }
  }
  const rssEnd = Object.fromEntries(paths.map((p) => [p.name, rssBytes(p.pid)]));
  console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  return { results, rssStart, rssEnd, checked };
}

function report({ results, rssStart, rssEnd, checked }, paths) {
  console.log(
    `\npgbench -S, ${seconds} s per run, ${repeats} interleaved rounds per client count (order rotates each round); the machine may be shared and loaded: read the ratios`,
  );
  const header = ['clients', 'path', 'tps (median)', 'latency ms', 'CPU µs/stmt', 'user+sys µs', 'tps ÷ pgbouncer', 'CPU ÷ pgbouncer', 'per-round CPU ratios'];
  const rows = [header];
  const verdicts = [];
  for (const clients of clientCounts) {
    const bouncer = results[clients].pgbouncer;
    for (const [name, runs] of Object.entries(results[clients])) {
      const tpsRatios = runs.map((run, k) => run.tps / bouncer[k].tps);
      const cpuRatios = runs.map((run, k) => run.cpuUsPerStatement / bouncer[k].cpuUsPerStatement);
      const hasCpu = name !== 'direct';
      rows.push([
        clients,
        name,
        median(runs.map((r) => r.tps)).toFixed(0),
        median(runs.map((r) => r.latencyMs)).toFixed(3),
        hasCpu ? median(runs.map((r) => r.cpuUsPerStatement)).toFixed(1) : '—',
        hasCpu ? `${median(runs.map((r) => r.userUsPerStatement)).toFixed(1)}+${median(runs.map((r) => r.systemUsPerStatement)).toFixed(1)}` : '—',
        `${median(tpsRatios).toFixed(2)}× (${range(tpsRatios)})`,
        hasCpu ? `${median(cpuRatios).toFixed(2)}×` : '—',
        hasCpu && name !== 'pgbouncer' ? range(cpuRatios) : '',
      ]);
      if (name.startsWith('proxy')) {
        verdicts.push(
          `${clients} clients, ${name}: CPU/statement ${median(cpuRatios).toFixed(2)}× pgbouncer (goal ≤ 1.2×: ${median(cpuRatios) <= 1.2 ? 'met' : 'NOT met'})`,
        );
        if (clients >= 32)
          verdicts.push(
            `${clients} clients, ${name}: throughput ${median(tpsRatios).toFixed(2)}× pgbouncer (goal ≥ 0.9×: ${median(tpsRatios) >= 0.9 ? 'met' : 'NOT met'})`,
          );
      }
    }
  }
  table(rows);
  console.log('\nRSS over the comparison (start → end):');
  for (const path of paths) {
    const ratio = rssEnd[path.name] / rssStart[path.name];
    console.log(`  ${path.name}: ${(rssStart[path.name] / 2 ** 20).toFixed(1)} MB → ${(rssEnd[path.name] / 2 ** 20).toFixed(1)} MB (${ratio.toFixed(2)}×)`);
  }
  for (const line of verdicts) console.log(line);
  console.log(
    `recording proxy kept ${checked.recorded} statements of ${checked.expectedRecorded} pgbench transactions (plus pgbench's own start-up statements); desyncs ${checked.desyncs}`,
  );
  if (checked.desyncs !== 0 || checked.recorded < checked.expectedRecorded) process.exitCode = 1;
}

/**
 * RSS of the proxy (not recording: statements go to the per-shape aggregates) under pgbench -S -c 8
 * for soakSeconds, sampled every 10 s. The goal compares minute 1 with the last sample and with the
 * largest sample after minute 1 (flat: within 10 %).
 */
async function soak() {
  const proxy = await startProxy(false);
  try {
    const samples = [];
    const started = Date.now();
    const sample = () =>
      samples.push({
        s: Math.round((Date.now() - started) / 1000),
        rss: rssBytes(proxy.pid),
        cpu: cpuSeconds(proxy.pid),
        load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
      });
    sample();
    const timer = setInterval(sample, 10_000);
    const run = await pgbench(proxy.port, 8, soakSeconds);
    clearInterval(timer);
    const stats = await proxy.stats();
    const aggregates = await proxy.aggregates();
    const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
    console.log(
      `\nRSS flatness: pgbench -S -c 8 -j 2 through the proxy (not recording: aggregates) for ${soakSeconds} s, ${run.transactions} transactions (${run.tps.toFixed(0)} tps), ${stats.statements} statements seen, desyncs ${stats.desyncs}, ${aggregates.shapes} statement shapes aggregated`,
    );
    console.log('  s      RSS MB  proxy CPU s  load1');
    for (const { s, rss, cpu, load } of samples) console.log(`  ${String(s).padEnd(5)}  ${mb(rss).padStart(6)}  ${cpu.toFixed(1).padStart(11)}  ${load}`);
    const minuteOne = samples.find((entry) => entry.s >= Math.min(60, soakSeconds / 2)) ?? samples[0];
    const after = samples.filter((entry) => entry.s >= minuteOne.s);
    const last = samples.at(-1);
    const max = Math.max(...after.map((entry) => entry.rss));
    const verdict = max / minuteOne.rss <= 1.1 ? 'met' : 'NOT met';
    console.log(
      `  at ${minuteOne.s} s ${mb(minuteOne.rss)} MB, at ${last.s} s ${mb(last.rss)} MB (${(last.rss / minuteOne.rss).toFixed(3)}×), max after ${minuteOne.s} s ${mb(max)} MB (${(max / minuteOne.rss).toFixed(3)}×; goal ≤ 1.10×: ${verdict})`,
    );
    if (verdict !== 'met' || stats.desyncs !== 0) process.exitCode = 1;
  } finally {
    await proxy.stop();
  }
}

async function main() {
  prepareDatabase();
  try {
    if (soakOnly) await soak();
    else await compareAndSoak();
  } finally {
    if (dropAfter) psql(`DROP DATABASE IF EXISTS ${DATABASE}`);
  }
}

async function compareAndSoak() {
  const bouncer = await startPgbouncer();
  const recording = await startProxy(true);
  const notRecording = await startProxy(false);
  const bare = [];
  if (floor) for (const variant of (process.env.BENCH_BARE_VARIANTS ?? 'data,onread,generic,handle').split(',')) bare.push(await startBareForwarder(variant));
  // BENCH_PROXY_BASELINE=DIR: the proxy of another checkout (built) beside this one, e.g. main's.
  const baseline = process.env.BENCH_PROXY_BASELINE ? [await startProxy(false, process.env.BENCH_PROXY_BASELINE)] : [];
  const paths = [bouncer, ...bare, recording, notRecording, ...baseline];
  try {
    report(await comparison(paths), paths);
  } finally {
    for (const path of paths) await path.stop();
  }
  if (soakSeconds > 0 && !floor) await soak();
}

main().catch((error) => {
  console.error(`bench/postgres-pooler: ${error.message}`);
  process.exitCode = 1;
});
