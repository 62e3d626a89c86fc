#!/usr/bin/env node
/**
 * Scale and memory of the load engine, each in its own child process against a minimal
 * keep-alive node:http server (another child) on loopback:
 *  1. 10,000 virtual users held for BENCH_SCALE_SECONDS (default 60) in one generator thread,
 *     with think time so the target is not the bottleneck; RSS sampled every second (goal < 1.5 GB).
 *  2. Memory flatness: BENCH_SOAK_SECONDS (default 60; set 600 for the 10-minute check) of busy
 *     users without think time; RSS at start (after warm-up), middle and end. Percentiles come from
 *     fixed-size histograms, so RSS must not grow with the number of requests.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scaleSeconds = Number(process.env.BENCH_SCALE_SECONDS ?? 60);
const scaleUsers = Number(process.env.BENCH_SCALE_USERS ?? 10_000);
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const soakUsers = Number(process.env.BENCH_SOAK_USERS ?? 200);
// Optional think time for long soaks, so a 10-minute run does not hold both cores of a shared machine.
const soakThink = process.env.BENCH_SOAK_THINK;

const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ hello: 'world' });
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
setTimeout(() => process.exit(0), ${(scaleSeconds + soakSeconds + 120) * 1000}).unref();
process.on('disconnect', () => process.exit(0));
`;

// The generator: runs one scenario, samples its own RSS every second, prints one JSON line.
const GENERATOR = (engineUrl) => `
const { runLoad, installHostProcess } = await import(${JSON.stringify(engineUrl)});
installHostProcess(process);
const [port, scenarioJson] = process.argv.slice(1);
const samples = [];
const started = Date.now();
const sampler = setInterval(() => samples.push({ s: Math.round((Date.now() - started) / 1000), rss: process.memoryUsage().rss, users: lastUsers }), 1000);
let lastUsers = 0;
const report = await runLoad(JSON.parse(scenarioJson), { baseUrl: 'http://127.0.0.1:' + port, onProgress: (p) => { lastUsers = p.users; } });
clearInterval(sampler);
console.log(JSON.stringify({ samples, requests: report.overall.requests, errors: report.overall.errors, peakUsers: report.peakUsers, p95: report.overall.latency.p95, health: report.health, rps: report.overall.throughput }));
`;

function engine() {
  const dist = join(root, 'dist/load/index.js');
  if (existsSync(dist)) return { url: 'file://' + dist, args: [] };
  return { url: 'file://' + join(root, 'src/load/index.ts'), args: ['--import', 'tsx'] };
}

function runGenerator(port, scenario, limitSeconds) {
  const { url, args } = engine();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--input-type=module', '-e', GENERATOR(url), String(port), JSON.stringify(scenario)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const kill = setTimeout(() => child.kill('SIGKILL'), (limitSeconds + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`generator exited ${code}: ${out}`));
      }
    });
  });
}

const mb = (bytes) => `${Math.round(bytes / 1024 / 1024)} MB`;
const at = (samples, fraction) => samples[Math.min(samples.length - 1, Math.max(0, Math.round((samples.length - 1) * fraction)))];

const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise((resolve, reject) => {
  server.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  server.once('exit', () => reject(new Error('server exited')));
});

try {
  const scale = await runGenerator(
    port,
    { name: 'scale', users: scaleUsers, duration: `${scaleSeconds}s`, flows: [{ name: 'browse', steps: ['GET /', { think: '1s..3s' }] }] },
    scaleSeconds,
  );
  const held = scale.samples.filter((s) => s.users >= scaleUsers);
  const maxRss = Math.max(...scale.samples.map((s) => s.rss));
  console.log(`load-scale: ${scaleUsers} virtual users for ${scaleSeconds}s in one generator thread`);
  console.log(
    `  held ${scale.peakUsers} users for ${held.length}s; ${scale.requests} requests (${Math.round(scale.rps)}/s), ${scale.errors} errors, p95 ${scale.p95.toFixed(2)}ms`,
  );
  console.log(
    `  RSS max ${mb(maxRss)} (goal < 1536 MB): start ${mb(at(scale.samples, 0.05).rss)}, middle ${mb(at(scale.samples, 0.5).rss)}, end ${mb(at(scale.samples, 0.95).rss)}`,
  );
  console.log(`  generator ${scale.health.trustworthy ? 'not saturated' : 'saturated: ' + scale.health.reasons.join('; ')}`);

  const steps = ['GET /', 'GET /a', 'GET /b', ...(soakThink ? [{ think: soakThink }] : [])];
  const soak = await runGenerator(port, { name: 'soak', users: soakUsers, duration: `${soakSeconds}s`, flows: [{ name: 'busy', steps }] }, soakSeconds);
  // "Start" is after a warm-up tenth of the run (JIT, pools and histograms allocated).
  const start = at(soak.samples, 0.1);
  const middle = at(soak.samples, 0.5);
  const end = at(soak.samples, 0.95);
  const growth = (end.rss - start.rss) / start.rss;
  const lateGrowth = (end.rss - middle.rss) / middle.rss;
  console.log(
    `load-scale: memory over ${soakSeconds}s of ${soakUsers} users${soakThink ? ` (think ${soakThink})` : ' without think time'} (set BENCH_SOAK_SECONDS=600 for the 10-minute check)`,
  );
  console.log(
    `  ${soak.requests} requests (${Math.round(soak.rps)}/s); RSS start ${mb(start.rss)} (at ${start.s}s), middle ${mb(middle.rss)} (at ${middle.s}s), end ${mb(end.rss)} (at ${end.s}s)`,
  );
  console.log(`  growth: ${(growth * 100).toFixed(1)}% start → end, ${(lateGrowth * 100).toFixed(1)}% middle → end`);
  console.log(
    JSON.stringify({
      bench: 'load-scale',
      scale: { users: scaleUsers, seconds: scaleSeconds, heldSeconds: held.length, requests: scale.requests, maxRssMB: Math.round(maxRss / 2 ** 20) },
      soak: {
        seconds: soakSeconds,
        requests: soak.requests,
        users: soakUsers,
        think: soakThink ?? null,
        rssMB: { start: Math.round(start.rss / 2 ** 20), middle: Math.round(middle.rss / 2 ** 20), end: Math.round(end.rss / 2 ** 20) },
        growth,
        lateGrowth,
      },
    }),
  );
} finally {
  server.kill();
}
