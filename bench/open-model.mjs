#!/usr/bin/env node
/**
 * Open model (constant arrival rate) as users run it: `perfspec run` on a spec with `rate:`,
 * beside `autocannon -R` on the same 10 ms node:http server, rounds interleaved. Does perfspec
 * keep the schedule — arrivals on time, p99 close to what the server holds — from the first
 * second on? Quick: 1,000 and 5,000/s; BENCH_FULL=1 adds 20,000/s with `workers: 2`.
 * BENCH_OPEN_SECONDS (default 5 quick, 10 full) per run.
 *
 * What is compared, and why it is not quite like for like:
 * - perfspec is an open model: arrival k is due at k / rate; it is *late* when it starts more than
 *   10 ms after that (LATE_MS), and its latency is measured from that intended time, so the
 *   generator's own lag counts against it (wrk2's rule). late % = late ÷ arrivals started; drops
 *   (every allowed user busy) are counted apart. k6 has no "late": it starts each iteration when
 *   due or drops it, and measures from the actual send.
 * - autocannon -R R splits R over its connections, each sending back to back until its share of
 *   the second is used up, then waiting for the next one-second tick (lib/httpClient.js): a burst
 *   at the start of each second, closed-loop within it. It measures from the actual send and
 *   applies HdrHistogram's expected-interval correction with an interval of ceil(1 / per-
 *   connection rate) = 1 ms. It has no schedule to be late against; what it could not send shows
 *   as done < planned.
 * When the server cannot serve the rate (a loaded host), an open model's latency grows with the
 * queue, as it should, while autocannon's closed loop sends less and measures less: the summary
 * also gives the ratio over the rounds where autocannon got ≥ 95 % of the planned requests done.
 * So the goal's ratio (perfspec p99 ÷ autocannon p99) sets perfspec's stricter figure against
 * autocannon's; the table also gives perfspec's p99 from the actual send (the same clock as
 * autocannon's) and how much of the planned load each tool got answered. Figures on a shared machine move
 * with its load: only ratios within one run, paired round by round, are compared; the load average
 * is printed before and after.
 */
import os from 'node:os';
import { join } from 'node:path';
import { autocannonBin, full, measure, median, printTable, repeats, runPerfspecCli, spread, startNodeServer, tempDir, writeLoadSpec } from './lib.mjs';

const seconds = Number(process.env.BENCH_OPEN_SECONDS ?? (full ? 10 : 5));
const levels = [{ rate: 1000, workers: 1 }, { rate: 5000, workers: 1 }, ...(full ? [{ rate: 20000, workers: 2 }] : [])];
// autocannon needs enough connections to hold the rate at the server's 10 ms: rate × 10 ms, doubled.
/** A round is judged when autocannon got at least this share of the planned requests done. */
const SERVED_PCT = 95;
const autocannonConnections = (rate) => Math.max(10, Math.ceil((rate * 0.01 * 2) / 10) * 10);

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
const loadBefore = loadAverage();
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
        sendP99: p.report.uncorrected.p99,
        rps: p.report.overall.requests / (p.report.elapsedMs / 1000),
        donePct: (p.report.overall.requests / (rate * seconds)) * 100,
        latePct: (p.report.iterations.late / Math.max(1, p.report.iterations.started)) * 100,
        droppedPct: (p.report.iterations.dropped / Math.max(1, p.report.iterations.started + p.report.iterations.dropped)) * 100,
        firstSecondP95: p.report.timeline[0]?.p95 ?? NaN,
        cpuUs: (p.cpuS * 1e6) / Math.max(1, p.report.overall.requests),
        rssMb: p.rssMb,
      });
      const a = measure(
        process.execPath,
        [autocannonBin(), '-j', '-c', String(autocannonConnections(rate)), '-R', String(rate), '-d', String(seconds), server.url],
        { timeoutMs: (seconds + 60) * 1000 },
      );
      const result = JSON.parse(a.stdout);
      runs.autocannon.push({
        p50: result.latency.p50,
        p99: result.latency.p99,
        sendP99: result.latency.p99,
        rps: result.requests.total / result.duration,
        // Not requests.sent: autocannon 8 adds each connection's per-second share to it at start-up.
        donePct: (result.requests.total / (rate * seconds)) * 100,
        latePct: NaN,
        droppedPct: NaN,
        firstSecondP95: NaN,
        cpuUs: (a.cpuS * 1e6) / Math.max(1, result.requests.total),
        rssMb: a.rssMb,
      });
      const [ps, ac] = [runs.perfspec.at(-1), runs.autocannon.at(-1)];
      console.log(
        `${rate}/s round ${round}/${repeats} (load ${loadAverage()}): perfspec p99 ${ps.p99.toFixed(1)} ms (from send ${ps.sendP99.toFixed(1)} ms, late ${ps.latePct.toFixed(2)} %, done ${ps.donePct.toFixed(1)} %) · autocannon -R p99 ${ac.p99.toFixed(1)} ms (done ${ac.donePct.toFixed(1)} %)`,
      );
    }
    for (const [tool, list] of Object.entries(runs)) {
      const pick = (key, decimals) =>
        spread(
          list.map((r) => r[key]),
          decimals,
        );
      rows.push([
        `${rate}/s${workers > 1 ? ` (${workers} workers)` : ''}`,
        tool === 'perfspec' ? 'perfspec run' : `autocannon -R (${autocannonConnections(rate)} conns)`,
        pick('rps', 0),
        pick('donePct', 1),
        pick('p50', 1),
        pick('p99', 1),
        pick('sendP99', 1),
        pick('firstSecondP95', 1),
        pick('latePct', 2),
        pick('cpuUs', 1),
        pick('rssMb', 0),
      ]);
    }
    // Paired ratios: round i of perfspec against round i of autocannon.
    const p99Ratio = median(runs.perfspec.map((r, i) => r.p99 / runs.autocannon[i].p99));
    const sendP99Ratio = median(runs.perfspec.map((r, i) => r.sendP99 / runs.autocannon[i].p99));
    // Rounds in which the host served the rate to the peer: elsewhere the server (or the machine) is
    // the bottleneck, an open model's latency rightly grows with the queue while autocannon's
    // closed loop sends less, and the ratio says nothing about the generator.
    const served = runs.autocannon.map((r, i) => (r.donePct >= SERVED_PCT ? i : -1)).filter((i) => i >= 0);
    const servedP99Ratio = median(served.map((i) => runs.perfspec[i].p99 / runs.autocannon[i].p99));
    const servedLatePct = median(served.map((i) => runs.perfspec[i].latePct));
    summary.push({
      rate,
      workers,
      p99Ratio,
      sendP99Ratio,
      servedRounds: served.length,
      servedP99Ratio,
      servedLatePct,
      latePct: median(runs.perfspec.map((r) => r.latePct)),
      perfspecDonePct: median(runs.perfspec.map((r) => r.donePct)),
      autocannonDonePct: median(runs.autocannon.map((r) => r.donePct)),
    });
  }
} finally {
  server.stop();
}

const loadAfter = loadAverage();
console.log(
  `\nopen model: 10 ms node:http server, ${seconds} s per run, ${repeats} interleaved rounds, ${os.availableParallelism()} CPUs, load average ${loadBefore} → ${loadAfter} — median (min–max)`,
);
console.log(
  'p99 = perfspec from the intended start (its report), autocannon from the send; p99 from send = both from the send; done = requests answered (or failed) ÷ rate × duration',
);
printTable(['rate', 'tool', 'req/s', 'done %', 'p50 ms', 'p99 ms', 'p99 from send ms', '1st-second p95 ms', 'late %', 'CPU µs/req', 'RSS MB'], rows);
for (const s of summary) {
  console.log(
    `  ${s.rate}/s: perfspec p99 ÷ autocannon -R p99 = ${s.p99Ratio.toFixed(2)}× (goal ≤ 2; from the send on both sides ${s.sendP99Ratio.toFixed(2)}×), ` +
      `late arrivals ${s.latePct.toFixed(2)} % (goal < 1 %), done ${s.perfspecDonePct.toFixed(1)} % vs autocannon ${s.autocannonDonePct.toFixed(1)} % of the planned requests`,
  );
  console.log(
    s.servedRounds > 0
      ? `    in the ${s.servedRounds} of ${repeats} rounds where autocannon got ≥ ${SERVED_PCT} % done (the host served the rate): p99 ratio ${s.servedP99Ratio.toFixed(2)}×, late ${s.servedLatePct.toFixed(2)} %`
      : `    in no round did autocannon get ≥ ${SERVED_PCT} % done: the host could not serve ${s.rate}/s to the peer, so the ratio does not judge the generator`,
  );
}
console.log(JSON.stringify({ bench: 'open-model', seconds, repeats, loadAverage: { before: loadBefore, after: loadAfter }, summary }));
