#!/usr/bin/env node
/**
 * Throughput of perfspec's closed-model engine against autocannon and wrk, side by side in one
 * run: one minimal keep-alive node:http server on loopback (a child process), the same number of
 * connections and the same duration for each tool, rounds interleaved so that background noise
 * on a shared machine hits every tool alike. Each tool runs in its own child process so its CPU
 * time (µs per request) is its own. Medians over the rounds are reported, and the ratios
 * perfspec/autocannon. Env: BENCH_CONNECTIONS (50), BENCH_SECONDS (5), BENCH_ROUNDS (3).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ hello: 'world' });
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
setTimeout(() => process.exit(0), ${(rounds * 3 * (seconds + 5) + 60) * 1000}).unref();
process.on('disconnect', () => process.exit(0));
`;

// Each generator as a child script: it prints {requests, seconds, cpuUs} as JSON on its last line.
const PERFSPEC = (engineUrl) => `
const { runLoad } = await import(${JSON.stringify(engineUrl)});
const [port, connections, seconds] = process.argv.slice(1).map(Number);
const before = process.cpuUsage();
const t0 = performance.now();
const report = await runLoad({ name: 'bench', users: connections, connections, duration: seconds + 's', gracefulStop: '1s', flows: [{ name: 'get', steps: ['GET /'] }] }, { baseUrl: 'http://127.0.0.1:' + port });
const cpu = process.cpuUsage(before);
console.log(JSON.stringify({ requests: report.overall.requests, errors: report.overall.errors, seconds: (performance.now() - t0) / 1000, cpuUs: cpu.user + cpu.system, p50: report.overall.latency.p50, p99: report.overall.latency.p99 }));
`;
const AUTOCANNON = `
const autocannon = (await import(${JSON.stringify(join(root, 'node_modules/autocannon/autocannon.js'))})).default;
const [port, connections, seconds] = process.argv.slice(1).map(Number);
const before = process.cpuUsage();
const t0 = performance.now();
const result = await autocannon({ url: 'http://127.0.0.1:' + port, connections, duration: seconds });
const cpu = process.cpuUsage(before);
console.log(JSON.stringify({ requests: result.requests.total, errors: result.errors + result.non2xx, seconds: (performance.now() - t0) / 1000, cpuUs: cpu.user + cpu.system, p50: result.latency.p50, p99: result.latency.p99 }));
`;

function engineUrl() {
  const dist = join(root, 'dist/load/index.js');
  if (existsSync(dist)) return { url: 'file://' + dist, args: [] };
  // Without a build, run the TypeScript source through tsx.
  return { url: 'file://' + join(root, 'src/load/index.ts'), args: ['--import', 'tsx'] };
}

function runScript(code, args, extraNodeArgs = []) {
  const out = spawnSync(process.execPath, [...extraNodeArgs, '--input-type=module', '-e', code, ...args.map(String)], { cwd: root, encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const last = out.stdout.trim().split('\n').pop();
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`generator failed: ${out.stderr || out.stdout}`);
  }
}

function hasWrk() {
  if (spawnSync('wrk', ['--version']).error === undefined) return true;
  const install = spawnSync('sh', ['-c', 'apt-get install -y wrk || (apt-get update && apt-get install -y wrk)'], { stdio: 'ignore', timeout: 180_000 });
  return install.status === 0 && spawnSync('wrk', ['--version']).error === undefined;
}

function runWrk(port) {
  // The shell reaps wrk, so its cutime/cstime (fields 16, 17 of /proc/self/stat) are wrk's CPU time.
  const script = `wrk -t1 -c${connections} -d${seconds}s --latency http://127.0.0.1:${port}/ ; cat /proc/$$/stat`;
  const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const duration = /requests in ([\d.]+)(s|ms|m)/.exec(out);
  const secs = duration ? Number(duration[1]) * (duration[2] === 'ms' ? 0.001 : duration[2] === 'm' ? 60 : 1) : seconds;
  const stat = out.trim().split('\n').pop().split(') ').pop().split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const cpuUs = ((Number(stat[13]) + Number(stat[14])) / ticks) * 1e6; // cutime, cstime (fields 16, 17)
  return { requests, seconds: secs, cpuUs };
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise((resolve, reject) => {
  server.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  server.once('exit', () => reject(new Error('server exited')));
});
const engine = engineUrl();
const wrk = hasWrk();
if (!wrk) console.log('wrk: not available');

const results = { perfspec: [], autocannon: [], wrk: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    results.perfspec.push(runScript(PERFSPEC(engine.url), [port, connections, seconds], engine.args));
    results.autocannon.push(runScript(AUTOCANNON, [port, connections, seconds]));
    if (wrk) results.wrk.push(runWrk(port));
    const line = Object.entries(results)
      .filter(([, list]) => list.length === round)
      .map(([tool, list]) => `${tool} ${Math.round(list[round - 1].requests / list[round - 1].seconds)} req/s`)
      .join(' · ');
    console.log(`round ${round}/${rounds}: ${line}`);
  }
} finally {
  server.kill();
}

console.log(`\nload-throughput: ${connections} connections, ${seconds}s per tool, ${rounds} interleaved rounds (medians)`);
const summary = {};
for (const [tool, list] of Object.entries(results)) {
  if (list.length === 0) continue;
  summary[tool] = { rps: median(list.map((r) => r.requests / r.seconds)), cpuUsPerRequest: median(list.map((r) => r.cpuUs / r.requests)) };
  console.log(`  ${tool.padEnd(10)} ${String(Math.round(summary[tool].rps)).padStart(7)} req/s   ${summary[tool].cpuUsPerRequest.toFixed(1).padStart(6)} µs CPU/request`);
}
const rpsRatio = summary.perfspec.rps / summary.autocannon.rps;
const cpuRatio = summary.perfspec.cpuUsPerRequest / summary.autocannon.cpuUsPerRequest;
console.log(`  perfspec/autocannon: ${rpsRatio.toFixed(2)}× req/s (goal ≥ 1.00), ${cpuRatio.toFixed(2)}× CPU per request (goal ≤ 1.00)`);
if (summary.wrk) console.log(`  ceiling (wrk): perfspec reaches ${((summary.perfspec.rps / summary.wrk.rps) * 100).toFixed(0)}% of wrk's req/s`);
console.log(JSON.stringify({ bench: 'load-throughput', connections, seconds, rounds, summary, rpsRatio, cpuRatio }));
