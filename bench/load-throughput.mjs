#!/usr/bin/env node
/**
 * Closed model, as users run it: `perfspec run` on a constant-users spec (one GET, every default
 * reporter) beside autocannon, wrk and h2load, and beside the load engine driven directly (the
 * harness: runLoad in a bare script) to show what the command line adds. Same server, same
 * connections, same duration; rounds interleaved; each tool a whole process measured by the
 * kernel's accounting (CPU = user + system seconds, start-up included; peak RSS).
 * Quick (default): node:http target, 10 and 100 connections, 4 s runs. BENCH_FULL=1: also nginx
 * (installed with apt-get when missing), 10 s runs. wrk and h2load come from Debian (wrk,
 * nghttp2-client) and are installed when missing; a tool that cannot be had is left out and said so.
 */
import { join } from 'node:path';
import {
  autocannonBin,
  ensureTool,
  full,
  measure,
  median,
  printTable,
  repeats,
  root,
  runPerfspecCli,
  spread,
  startNginx,
  startNodeServer,
  tempDir,
  writeLoadSpec,
} from './lib.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? (full ? 10 : 4));
const connectionCounts = (process.env.BENCH_CONNECTIONS ?? '10,100').split(',').map(Number);

const HARNESS = `
const { runLoad, installHostProcess } = await import(${JSON.stringify('file://' + join(root, 'dist/load/index.js'))});
installHostProcess(process);
const [url, connections, seconds] = process.argv.slice(1);
const report = await runLoad({ name: 'bench', users: Number(connections), connections: Number(connections), duration: seconds + 's', gracefulStop: '1s', flows: [{ name: 'get', steps: ['GET /'] }] }, { baseUrl: url });
console.log(JSON.stringify({ requests: report.overall.requests, errors: report.overall.errors }));
`;

const hasWrk = ensureTool('wrk', 'wrk');
const hasH2load = ensureTool('h2load', 'nghttp2-client');

/** Each tool: run once against url with c connections; returns { requests, errors, cpuS, rssMb }. */
const TOOLS = {
  'perfspec run': (url, c, dir, round) => {
    const spec = writeLoadSpec(dir, `closed${c}`, url, { users: c, connections: c, duration: `${seconds}s`, gracefulStop: '1s' });
    const r = runPerfspecCli(spec, join(dir, `out-${c}-${round}`), (seconds + 60) * 1000);
    return { requests: r.report.overall.requests, errors: r.report.overall.errors, cpuS: r.cpuS, rssMb: r.rssMb };
  },
  'engine harness': (url, c) => {
    const m = measure(process.execPath, ['--input-type=module', '-e', HARNESS, url, String(c), String(seconds)], { timeoutMs: (seconds + 60) * 1000 });
    const out = JSON.parse(m.stdout.trim().split('\n').pop());
    return { ...out, cpuS: m.cpuS, rssMb: m.rssMb };
  },
  autocannon: (url, c) => {
    const m = measure(process.execPath, [autocannonBin(), '-j', '-c', String(c), '-d', String(seconds), url], { timeoutMs: (seconds + 60) * 1000 });
    const out = JSON.parse(m.stdout);
    return { requests: out.requests.total, errors: out.errors + out.non2xx, cpuS: m.cpuS, rssMb: m.rssMb };
  },
  ...(hasWrk && {
    wrk: (url, c) => {
      const m = measure('wrk', ['-t1', `-c${c}`, `-d${seconds}s`, `${url}/`], { timeoutMs: (seconds + 60) * 1000 });
      const requests = Number(/(\d+) requests in/.exec(m.stdout)?.[1] ?? NaN);
      const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(m.stdout)?.[1] ?? 0);
      return { requests, errors, cpuS: m.cpuS, rssMb: m.rssMb };
    },
  }),
  ...(hasH2load && {
    h2load: (url, c) => {
      const m = measure('h2load', ['--h1', '-t1', `-c${c}`, `-D${seconds}`, `${url}/`], { timeoutMs: (seconds + 60) * 1000 });
      const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(m.stdout);
      return { requests: Number(done?.[1] ?? NaN), errors: Number(done?.[3] ?? 0) + Number(done?.[4] ?? 0), cpuS: m.cpuS, rssMb: m.rssMb };
    },
  }),
};
if (!hasWrk) console.log('wrk: not available, left out');
if (!hasH2load) console.log('h2load: not available, left out');

const targets = [await startNodeServer()];
if (full) {
  const nginx = await startNginx();
  if (nginx) targets.push(nginx);
  else console.log('nginx: not available, left out');
}

const dir = tempDir('closed');
const rows = [];
const ratios = [];
try {
  for (const target of targets) {
    for (const c of connectionCounts) {
      const runs = Object.fromEntries(Object.keys(TOOLS).map((tool) => [tool, []]));
      for (let round = 1; round <= repeats; round++) {
        for (const [tool, run] of Object.entries(TOOLS)) {
          const r = run(target.url, c, dir, round);
          runs[tool].push({ ...r, rps: r.requests / seconds, cpuUs: (r.cpuS * 1e6) / r.requests });
        }
        console.log(
          `${target.name}, ${c} conns, round ${round}/${repeats}: ${Object.entries(runs)
            .map(([tool, list]) => `${tool} ${list.at(-1).cpuUs.toFixed(1)} µs`)
            .join(' · ')}`,
        );
      }
      for (const [tool, list] of Object.entries(runs)) {
        rows.push([
          target.name,
          c,
          tool,
          spread(
            list.map((r) => r.rps),
            0,
          ),
          spread(
            list.map((r) => r.cpuUs),
            1,
          ),
          spread(
            list.map((r) => r.rssMb),
            0,
          ),
          list.reduce((sum, r) => sum + r.errors, 0),
        ]);
      }
      // Paired ratios: round i of perfspec run against round i of autocannon.
      const pair = (key) => median(runs['perfspec run'].map((r, i) => r[key] / runs.autocannon[i][key]));
      ratios.push({
        target: target.name,
        connections: c,
        cpuPerRequest: pair('cpuUs'),
        rss: pair('rssMb'),
        rps: pair('rps'),
        cliOverHarness: median(runs['perfspec run'].map((r, i) => r.cpuUs / runs['engine harness'][i].cpuUs)),
      });
    }
  }
} finally {
  for (const target of targets) target.stop();
}

console.log(`\nclosed model: one GET, ${seconds} s per run, ${repeats} interleaved rounds; whole processes (start-up included) — median (min–max)`);
printTable(['target', 'conns', 'tool', 'req/s', 'CPU µs/request', 'peak RSS MB', 'errors'], rows);
for (const r of ratios) {
  console.log(
    `  ${r.target}, ${r.connections} conns: perfspec run ÷ autocannon (paired medians): CPU/request ${r.cpuPerRequest.toFixed(2)}× (goal ≤ 1.00), RSS ${r.rss.toFixed(2)}× (goal ≤ 1.00), req/s ${r.rps.toFixed(2)}×; perfspec run ÷ engine harness CPU/request ${r.cliOverHarness.toFixed(2)}×`,
  );
}
console.log(JSON.stringify({ bench: 'load-throughput', seconds, repeats, ratios }));
