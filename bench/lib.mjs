/**
 * Shared pieces of the benchmarks: targets (a node:http server, nginx), peers installed from
 * Debian when missing, and one way to measure any command — the kernel's own accounting of the
 * child process (GNU time: user + system CPU seconds, peak RSS), so perfspec's CLI, autocannon,
 * wrk and h2load are measured alike, start-up included. Figures on a shared machine move with
 * its load: every bench interleaves the tools round by round and reports medians, min–max and
 * ratios, never one absolute run.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_FULL=1: every target and connection count, longer runs. Default: the quick set (a few minutes). */
export const full = process.env.BENCH_FULL === '1';
export const repeats = Number(process.env.BENCH_REPEATS ?? 5);

export function tempDir(prefix) {
  return mkdtempSync(join(os.tmpdir(), `perfspec-bench-${prefix}-`));
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Is the command there? If not, try `apt-get install` (the bench's peers are Debian packages). */
export function ensureTool(command, aptPackage) {
  const present = () => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  if (present()) return true;
  console.log(`${command}: not found, trying apt-get install -y ${aptPackage}`);
  spawnSync('sh', ['-c', `apt-get install -y ${aptPackage} || (apt-get update && apt-get install -y ${aptPackage})`], { stdio: 'ignore', timeout: 300_000 });
  return present();
}

const NODE_SERVER = `
const http = require('node:http');
const delayMs = Number(process.argv[1]);
const body = JSON.stringify({ hello: 'world' });
const reply = (res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
const server = http.createServer((req, res) => (delayMs > 0 ? setTimeout(reply, delayMs, res) : reply(res)));
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('disconnect', () => process.exit(0));
`;

/** A minimal keep-alive node:http server in a child process, answering after `delayMs`. */
export async function startNodeServer({ delayMs = 0 } = {}) {
  const child = spawn(process.execPath, ['-e', NODE_SERVER, String(delayMs)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    child.once('exit', () => reject(new Error('the node server exited')));
  });
  return { name: delayMs > 0 ? `node (${delayMs} ms)` : 'node', url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** nginx serving one small file with keep-alive, on a free port, as an unprivileged foreground process; null when nginx cannot be had. */
export async function startNginx() {
  const binary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => existsSync(file));
  if (!binary && !ensureTool('nginx', 'nginx-light')) return null;
  const nginx = binary ?? execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim();
  const dir = tempDir('nginx');
  const port = await freePort();
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 120s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; root ${dir}; location / { try_files /index.json =404; default_type application/json; } } }
`,
  );
  const child = spawn(nginx, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (spawnSync('sh', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { shell: false }).status === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TIME = ['/usr/bin/time', '/bin/time'].find((file) => existsSync(file));

/**
 * Run a command to its end and measure it by the kernel's accounting of that child (and any
 * children it waited for): CPU seconds (user + system), peak RSS, wall time.
 */
export function measure(command, args, { cwd = root, env = process.env, timeoutMs = 120_000 } = {}) {
  if (!TIME) throw new Error('GNU time (/usr/bin/time) is needed: apt-get install time');
  const dir = tempDir('time');
  const out = join(dir, 'time.txt');
  const result = spawnSync(TIME, ['-f', '%e %U %S %M', '-o', out, command, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [wallS, userS, sysS, rssKb] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  rmSync(dir, { recursive: true, force: true });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, wallS, cpuS: userS + sysS, rssMb: rssKb / 1024 };
}

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median (min–max)" with a fixed number of decimals. */
export function spread(values, decimals = 1) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '–';
  const f = (v) => v.toFixed(decimals);
  return `${f(median(finite))} (${f(Math.min(...finite))}–${f(Math.max(...finite))})`;
}

/** Print rows as an aligned text table. */
export function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Write a one-scenario load spec and return its path (perfspec run reads it like a user's). */
export function writeLoadSpec(dir, name, baseUrl, scenario) {
  const file = join(dir, `${name}.yaml`);
  const lines = [
    'perfspec: 1',
    `name: ${name}`,
    'target:',
    `  baseUrl: ${baseUrl}`,
    'load:',
    '  scenarios:',
    `    ${name}:`,
    ...Object.entries(scenario).map(([key, value]) => `      ${key}: ${JSON.stringify(value)}`),
    '  flows:',
    '    - name: get',
    '      steps: ["GET /"]',
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * `perfspec run` as a user runs it (bin/perfspec.js, every default reporter), measured as a whole
 * process; the figures come from the JSON report it wrote.
 */
export function runPerfspecCli(specFile, outDir, timeoutMs) {
  // The bin itself, so its shebang's Node options apply as they do for a user.
  const m = measure(join(root, 'bin/perfspec.js'), ['run', specFile, '-o', outDir], { timeoutMs });
  if (m.status !== 0 && m.status !== 1) throw new Error(`perfspec run exited ${m.status}: ${m.stderr.slice(0, 500)}`);
  const report = JSON.parse(readFileSync(join(outDir, 'perfspec-report.json'), 'utf8'));
  const load = report.specs[0].checks.find((check) => check.section === 'load').probes[0].data;
  return { ...m, report: load };
}

export function autocannonBin() {
  return join(root, 'node_modules/autocannon/autocannon.js');
}
