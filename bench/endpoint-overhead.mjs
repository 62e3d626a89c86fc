#!/usr/bin/env node
/**
 * The endpoint probe's own cost: perfspec's endpoint check against a 0 ms endpoint, one request at
 * a time, beside `wrk -c1 -t1 --latency` (p50/p99) and `h2load --h1 -c1` (mean; it prints no
 * percentiles). One minimal keep-alive node:http server on loopback (a child process) answers all
 * three; each tool runs in its own process, in interleaved rounds, so background load on a shared
 * machine hits every tool alike. perfspec runs as a user runs it: the built CLI, a spec with the
 * default warm-up, figures read from its JSON report (including the instrument floor it measured).
 * wrk and h2load come from Debian (wrk, nghttp2-client) and are installed with apt-get when missing.
 * Exposure is matched roughly: perfspec and h2load send BENCH_SAMPLES requests (25,000, about a second
 * at these speeds) and wrk runs BENCH_SECONDS (1, its shortest). It matters for p99: a stall of S ms
 * in a run of T ms becomes a fraction S/T of wrk's corrected samples, so a shorter run suffers more
 * from the same stall. Each round prints how long every tool measured.
 *
 * wrk (4.x) corrects its latencies for coordinated omission before printing them (stats_correct:
 * each recorded latency longer than twice the mean interval between requests adds synthetic samples
 * for the requests a stall kept from being sent), so its p99 on a loaded machine is not a
 * per-request figure. perfspec reports per-request spans; the bench applies the same correction
 * to perfspec's histogram (HdrHistogram's copyCorrectedForCoordinatedOmission, the same rule) and
 * compares like with like, printing the raw figure beside it.
 * Env: BENCH_ROUNDS (5), BENCH_SAMPLES (25000), BENCH_SECONDS (1).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hdr = (await import(join(root, 'node_modules/hdr-histogram-js/dist/index.js'))).default;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const samples = Number(process.env.BENCH_SAMPLES ?? 25000);
const seconds = Number(process.env.BENCH_SECONDS ?? 1);

const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ hello: 'world' });
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 600000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('disconnect', () => process.exit(0));
`;

/** A Debian package's binary, installed when missing; false when it cannot be. */
function ensureTool(binary, args, pkg) {
  if (spawnSync(binary, args).error === undefined) return true;
  const install = spawnSync('sh', ['-c', `apt-get install -y ${pkg} || (apt-get update && apt-get install -y ${pkg})`], { stdio: 'ignore', timeout: 300_000 });
  return install.status === 0 && spawnSync(binary, args).error === undefined;
}

/** "43.00us", "1.43ms", "1.02s" → ms. */
function toMs(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return NaN;
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2]];
  return Number(match[1]) * factor;
}

function runPerfspec(port, dir) {
  const spec = join(dir, 'bench.yaml');
  writeFileSync(
    spec,
    `perfspec: 1\nname: endpoint overhead\ntarget:\n  baseUrl: http://127.0.0.1:${port}\nchecks:\n  - name: zero ms\n    request: GET /\n    samples: ${samples}\n    concurrency: 1\n`,
  );
  const out = join(dir, 'out');
  rmSync(out, { recursive: true, force: true });
  const run = spawnSync(process.execPath, [join(root, 'bin/perfspec.js'), 'run', spec, '-r', 'json', '-o', out], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  let report;
  try {
    report = JSON.parse(readFileSync(join(out, 'perfspec-report.json'), 'utf8'));
  } catch {
    throw new Error(`perfspec failed (exit ${run.status}): ${run.stderr || run.stdout}`);
  }
  const data = report.specs[0].checks[0].probes.find((probe) => probe.kind === 'endpoint').data;
  // The histogram is in microseconds; wrk's expected interval is the run's time per request.
  const histogram = hdr.decodeFromCompressedBase64(data.warmHistogram, 32, false);
  const corrected = histogram.copyCorrectedForCoordinatedOmission((data.sampledMs * 1000) / data.warm.count);
  return {
    p50: data.warm.p50,
    p99: data.warm.p99,
    p99Corrected: corrected.getValueAtPercentile(99) / 1000,
    mean: data.warm.mean,
    floorP50: data.calibration?.latency.p50 ?? NaN,
    floorP99: data.calibration?.latency.p99 ?? NaN,
    loopDelayP99: data.host?.eventLoopDelayP99Ms ?? NaN,
    client: data.client,
    requests: data.warm.count,
    seconds: data.sampledMs / 1000,
  };
}

function runWrk(port) {
  const out = execFileSync('wrk', ['-c1', '-t1', `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  const percentile = (p) => toMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in ([\d.]+)(\w+)/.exec(out)?.[1] ?? NaN);
  const duration = /requests in ([\d.]+\w+)/.exec(out)?.[1] ?? '';
  return { p50: percentile(50), p99: percentile(99), mean: toMs(/Latency\s+(\S+)/.exec(out)?.[1] ?? ''), requests, seconds: toMs(duration) / 1000 };
}

function runH2load(port) {
  const out = execFileSync('h2load', ['--h1', '-c1', '-n', String(samples), `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 120_000 });
  const fields = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  return { mean: fields ? toMs(fields[3]) : NaN };
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value) => (Number.isFinite(value) ? value.toFixed(3) : 'n/a');

const hasWrk = ensureTool('wrk', ['--version'], 'wrk');
const hasH2load = ensureTool('h2load', ['--version'], 'nghttp2-client');
if (!hasWrk) console.log('wrk: not available (apt-get install wrk failed)');
if (!hasH2load) console.log('h2load: not available (apt-get install nghttp2-client failed)');

const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise((resolve, reject) => {
  server.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  server.once('exit', () => reject(new Error('server exited')));
});
const loadBefore = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'perfspec-bench-endpoint-'));
const results = { perfspec: [], wrk: [], h2load: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    // Rotate who goes first, so no tool always runs right after another's load.
    const order = [
      ['perfspec', () => runPerfspec(port, dir)],
      ['wrk', hasWrk ? () => runWrk(port) : null],
      ['h2load', hasH2load ? () => runH2load(port) : null],
    ].filter(([, run]) => run);
    for (let shift = 0; shift < (round - 1) % order.length; shift++) order.push(order.shift());
    for (const [tool, run] of order) results[tool].push(run());
    const p = results.perfspec.at(-1);
    const w = results.wrk.at(-1);
    const h = results.h2load.at(-1);
    console.log(
      `round ${round}/${rounds}: perfspec p50 ${ms(p.p50)} p99 ${ms(p.p99)} (corrected ${ms(p.p99Corrected)}) mean ${ms(p.mean)} (floor p50 ${ms(p.floorP50)}; ${p.requests} req in ${p.seconds.toFixed(1)}s)` +
        (w ? ` · wrk p50 ${ms(w.p50)} p99 ${ms(w.p99)} mean ${ms(w.mean)} (${w.requests} req in ${w.seconds.toFixed(1)}s)` : '') +
        (h ? ` · h2load mean ${ms(h.mean)}` : '') +
        ' ms',
    );
  }
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}

const summary = {};
for (const [tool, list] of Object.entries(results)) {
  if (list.length === 0) continue;
  summary[tool] = Object.fromEntries(
    Object.keys(list[0])
      .filter((key) => !['client', 'requests', 'seconds'].includes(key))
      .map((key) => [key, median(list.map((r) => r[key]))]),
  );
}
const p = summary.perfspec;
const loadAfter = loadavg()[0];
console.log(
  `\nendpoint-overhead: a 0 ms endpoint, one request at a time, ${rounds} interleaved rounds (medians, ms); perfspec timed with ${results.perfspec[0].client}, ${samples} samples`,
);
console.log(`  machine: load average (1 min) ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${availableParallelism()} CPUs`);
console.log(
  `  perfspec   p50 ${ms(p.p50)}   p99 ${ms(p.p99)} (corrected as wrk does: ${ms(p.p99Corrected)})   mean ${ms(p.mean)}   (its instrument floor: p50 ${ms(p.floorP50)}, p99 ${ms(p.floorP99)}; own event-loop delay p99 ${ms(p.loopDelayP99)})`,
);
// The headline figures are medians of per-round paired comparisons (each round's tools ran minutes
// apart at most, under the same background load), not ratios of separate medians.
const verdicts = {};
if (summary.wrk) {
  const w = summary.wrk;
  console.log(`  wrk        p50 ${ms(w.p50)}   p99 ${ms(w.p99)}   mean ${ms(w.mean)}`);
  const pairs = results.perfspec.map((r, i) => ({
    p50Diff: r.p50 - results.wrk[i].p50,
    p99Ratio: r.p99Corrected / results.wrk[i].p99,
    p99RawRatio: r.p99 / results.wrk[i].p99,
  }));
  verdicts.p50DiffMs = median(pairs.map((pair) => pair.p50Diff));
  verdicts.p99Ratio = median(pairs.map((pair) => pair.p99Ratio));
  verdicts.p99RatioRaw = median(pairs.map((pair) => pair.p99RawRatio));
  console.log(`  per round, perfspec − wrk at p50 (ms): ${pairs.map((pair) => ms(pair.p50Diff)).join(', ')}`);
  console.log(`  per round, perfspec/wrk at p99, both corrected: ${pairs.map((pair) => pair.p99Ratio.toFixed(2)).join(', ')}`);
  console.log(
    `  median of rounds: p50 ${verdicts.p50DiffMs >= 0 ? '+' : ''}${ms(verdicts.p50DiffMs)} ms vs wrk (goal ≤ 0.100); p99 ${verdicts.p99Ratio.toFixed(2)}× wrk's, both corrected (goal ≤ 2.00); perfspec's raw p99 is ${verdicts.p99RatioRaw.toFixed(2)}× wrk's corrected one`,
  );
}
if (summary.h2load) {
  console.log(`  h2load     mean ${ms(summary.h2load.mean)}`);
  verdicts.meanRatioH2load = median(results.perfspec.map((r, i) => r.mean / results.h2load[i].mean));
  console.log(`  perfspec/h2load at the mean, median of rounds: ${verdicts.meanRatioH2load.toFixed(2)}×`);
}
console.log('  (a shared machine: absolute figures move with its load; the paired ratios are what to read)');
console.log(JSON.stringify({ bench: 'endpoint-overhead', rounds, samples, loadBefore, loadAfter, summary, ...verdicts }));
