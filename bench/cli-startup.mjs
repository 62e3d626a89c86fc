#!/usr/bin/env node
/**
 * How fast the command line starts: `perfspec --version` and `perfspec validate specs/phase3.yaml`
 * (a spec with every section) beside bare `node -e ""`, interleaved, whole processes (wall time,
 * CPU = user + system, peak RSS by the kernel's accounting). Goals on a quiet machine: --version
 * under 0.25 s, validate under 0.5 s. BENCH_STARTUP_REPEATS (default 10).
 */
import { join } from 'node:path';
import { measure, median, printTable, root, spread } from './lib.mjs';

const repeats = Number(process.env.BENCH_STARTUP_REPEATS ?? 10);
const bin = join(root, 'bin/perfspec.js');
const COMMANDS = {
  'node -e ""': [process.execPath, ['-e', '']],
  'perfspec --version': [bin, ['--version']],
  'perfspec validate specs/phase3.yaml': [bin, ['validate', join(root, 'specs/phase3.yaml')]],
};

const runs = Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, []]));
for (let round = 0; round < repeats + 1; round++) {
  for (const [name, [command, args]] of Object.entries(COMMANDS)) {
    const m = measure(command, args);
    if (m.status !== 0) throw new Error(`${name} exited ${m.status}: ${m.stderr}`);
    if (round > 0) runs[name].push(m); // the first round only warms the file cache
  }
}

console.log(`start-up: ${repeats} interleaved rounds after one warm-up; whole processes — median (min–max)`);
printTable(
  ['command', 'wall s', 'CPU s', 'peak RSS MB'],
  Object.entries(runs).map(([name, list]) => [
    name,
    spread(
      list.map((m) => m.wallS),
      3,
    ),
    spread(
      list.map((m) => m.cpuS),
      3,
    ),
    spread(
      list.map((m) => m.rssMb),
      0,
    ),
  ]),
);
const bare = runs['node -e ""'];
const summary = Object.fromEntries(
  Object.entries(runs)
    .filter(([name]) => name !== 'node -e ""')
    .map(([name, list]) => [name, { wallS: median(list.map((m) => m.wallS)), overBareNodeS: median(list.map((m, i) => m.wallS - bare[i].wallS)) }]),
);
for (const [name, s] of Object.entries(summary))
  console.log(`  ${name}: ${s.wallS.toFixed(3)} s wall (median), ${s.overBareNodeS.toFixed(3)} s more than bare node (paired)`);
console.log(JSON.stringify({ bench: 'cli-startup', repeats, summary }));
