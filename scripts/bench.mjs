#!/usr/bin/env node
// `npm run bench`: builds, then runs every bench/*.mjs in turn. Each benchmark measures perfspec beside a
// peer in the same run (autocannon, wrk, a direct connection) and prints ratios, since absolute figures on a
// shared 2-core machine mean little. BENCH_FILTER=name runs only the matching files.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const filter = process.env.BENCH_FILTER ?? '';
execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
const files = existsSync('bench') ? readdirSync('bench').filter((name) => name.endsWith('.mjs') && name.includes(filter)).sort() : [];
if (files.length === 0) {
  console.log('no benchmarks found under bench/');
  process.exit(0);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== bench/${file} ===`);
  const result = spawnSync(process.execPath, [`bench/${file}`], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
