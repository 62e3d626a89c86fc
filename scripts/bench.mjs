#!/usr/bin/env node
// `npm run bench`: builds, then runs the benchmarks of the table below in turn. Each measures perfspec
// beside a peer in the same run (autocannon, wrk, h2load, a direct connection), rounds interleaved, and
// prints medians, min–max and ratios, since absolute figures on a shared machine mean little.
// Quick by default (a few minutes); BENCH_FULL=1 for every target and longer runs; BENCH_FILTER=name
// (or `npm run bench -- name`) runs the benchmarks whose name contains it; BENCH_REPEATS (5) sets the rounds.
import { execFileSync, spawnSync } from 'node:child_process';

/** One row per benchmark module: adding one is one line here and one file under bench/. */
const BENCHES = [
  { name: 'cli-startup', file: 'bench/cli-startup.mjs', about: 'perfspec --version and validate beside bare node', quick: true },
  { name: 'load-throughput', file: 'bench/load-throughput.mjs', about: 'closed model: perfspec run vs autocannon, wrk, h2load', quick: true },
  { name: 'open-model', file: 'bench/open-model.mjs', about: 'open model: perfspec run vs autocannon -R', quick: true },
  { name: 'load-scale', file: 'bench/load-scale.mjs', about: '10,000 users and a soak: RSS', quick: false },
  { name: 'postgres-proxy', file: 'bench/postgres-proxy.mjs', about: 'latency the query proxy adds', quick: false },
  { name: 'endpoint-overhead', file: 'bench/endpoint-overhead.mjs', about: 'endpoint probe vs wrk -c1 and h2load -c1 on a 0 ms endpoint', quick: true },
  { name: 'postgres-pooler', file: 'bench/postgres-pooler.mjs', about: 'pgbench -S direct, through pgbouncer and through the proxy', quick: false },
  {
    name: 'postgres-proxy-soak',
    file: 'bench/postgres-pooler.mjs',
    args: ['--soak'],
    about: 'RSS of the proxy over a 10-minute pgbench -S run (aggregates, no window)',
    quick: false,
  },
  {
    name: 'postgres-attribution',
    file: 'bench/postgres-attribution.mjs',
    about: 'the proxy reader with and without sqlcommenter attribution, interleaved',
    quick: false,
    nodeArgs: ['--import', 'tsx'],
  },
];

// `npm run bench -- NAME` is the same as BENCH_FILTER=NAME.
const filter = process.argv[2] ?? process.env.BENCH_FILTER ?? '';
const full = process.env.BENCH_FULL === '1';
const selected = BENCHES.filter((bench) => (filter ? bench.name.includes(filter) : full || bench.quick));
execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (!full && !filter)
  console.log(
    `quick mode: ${selected.map((b) => b.name).join(', ')} (BENCH_FULL=1 adds ${BENCHES.filter((b) => !b.quick)
      .map((b) => b.name)
      .join(', ')}, nginx and longer runs)`,
  );
let failed = 0;
for (const bench of selected) {
  console.log(`\n=== ${bench.name}: ${bench.about} (${bench.file}) ===`);
  const result = spawnSync(process.execPath, [...(bench.nodeArgs ?? []), bench.file, ...(bench.args ?? [])], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
