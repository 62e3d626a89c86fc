#!/usr/bin/env node
/**
 * Open model (constant arrival rate) as users run it: `perfspec run` on a spec with `rate:`,
 * beside `autocannon -R` on the same 10 ms node:http server, rounds interleaved. Does perfspec
 * keep the schedule — arrivals on time (late = started > 10 ms behind), p99 close to what the
 * server holds — from the first second on? Quick: 1,000 and 5,000/s; BENCH_FULL=1 adds
 * 20,000/s with `workers: 2`. BENCH_OPEN_SECONDS (default 5 quick, 10 full) per run.
 */
import { join } from 'node:path';
import { autocannonBin, full, measure, median, printTable, repeats, runPerfspecCli, spread, startNodeServer, tempDir, writeLoadSpec } from './lib.mjs';

const seconds = Number(process.env.BENCH_OPEN_SECONDS ?? (full ? 10 : 5));
const levels = [
  { rate: 1000, workers: 1 },
  { rate: 5000, workers: 1 },
  ...(full ? [{ rate: 20000, workers: 2 }] : []),
];
// autocannon needs enough connections to hold the rate at the server's 10 ms: rate × 10 ms, doubled.
const autocannonConnections = (rate) => Math.max(10, Math.ceil((rate * 0.01 * 2) / 10) * 10);

const server = await startNodeServer({ delayMs: 10 });
const dir = tempDir('open');
const rows = [];
const summary = [];
try {
  for (const { rate, workers } of levels) {
    const spec = writeLoadSpec(dir, `open${rate}`, server.url, { rate, duration: `${seconds}s`, workers, gracefulStop: '2s' });
    const runs = { perfspec: [], autocannon: [] };
    for (let round = 1; round <= repeats; round++) {
      const p = runPerfspecCli(spec, join(dir, `out${rate}-${round}`), (seconds + 60) * 1000);
      runs.perfspec.push({
        p50: p.report.overall.latency.p50,
        p99: p.report.overall.latency.p99,
        rps: p.report.overall.requests / (p.report.elapsedMs / 1000),
        latePct: (p.report.iterations.late / Math.max(1, p.report.iterations.started)) * 100,
        droppedPct: (p.report.iterations.dropped / Math.max(1, p.report.iterations.started + p.report.iterations.dropped)) * 100,
        firstSecondP95: p.report.timeline[0]?.p95 ?? NaN,
        cpuUs: (p.cpuS * 1e6) / Math.max(1, p.report.overall.requests),
        rssMb: p.rssMb,
      });
      const a = measure(process.execPath, [autocannonBin(), '-j', '-c', String(autocannonConnections(rate)), '-R', String(rate), '-d', String(seconds), server.url], { timeoutMs: (seconds + 60) * 1000 });
      const result = JSON.parse(a.stdout);
      runs.autocannon.push({
        p50: result.latency.p50,
        p99: result.latency.p99,
        rps: result.requests.total / result.duration,
        latePct: NaN,
        droppedPct: NaN,
        firstSecondP95: NaN,
        cpuUs: (a.cpuS * 1e6) / Math.max(1, result.requests.total),
        rssMb: a.rssMb,
      });
      console.log(`${rate}/s round ${round}/${repeats}: perfspec p99 ${runs.perfspec.at(-1).p99.toFixed(1)} ms (late ${runs.perfspec.at(-1).latePct.toFixed(2)} %) · autocannon -R p99 ${runs.autocannon.at(-1).p99.toFixed(1)} ms`);
    }
    for (const [tool, list] of Object.entries(runs)) {
      const pick = (key, decimals) => spread(list.map((r) => r[key]), decimals);
      rows.push([`${rate}/s${workers > 1 ? ` (${workers} workers)` : ''}`, tool === 'perfspec' ? 'perfspec run' : `autocannon -R (${autocannonConnections(rate)} conns)`, pick('rps', 0), pick('p50', 1), pick('p99', 1), pick('firstSecondP95', 1), pick('latePct', 2), pick('cpuUs', 1), pick('rssMb', 0)]);
    }
    // Paired ratios: round i of perfspec against round i of autocannon.
    const p99Ratio = median(runs.perfspec.map((r, i) => r.p99 / runs.autocannon[i].p99));
    summary.push({ rate, workers, p99Ratio, latePct: median(runs.perfspec.map((r) => r.latePct)) });
  }
} finally {
  server.stop();
}

console.log(`\nopen model: 10 ms node:http server, ${seconds} s per run, ${repeats} interleaved rounds — median (min–max)`);
printTable(['rate', 'tool', 'req/s', 'p50 ms', 'p99 ms', '1st-second p95 ms', 'late %', 'CPU µs/req', 'RSS MB'], rows);
for (const s of summary) {
  console.log(`  ${s.rate}/s: perfspec p99 ÷ autocannon -R p99 = ${s.p99Ratio.toFixed(2)}× (goal ≤ 2), late arrivals ${s.latePct.toFixed(2)} % (goal < 1 %)`);
}
console.log(JSON.stringify({ bench: 'open-model', seconds, repeats, summary }));
