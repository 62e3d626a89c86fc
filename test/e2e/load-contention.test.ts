/**
 * Load thresholds judged while other programs take the machine's CPUs. Ground truth: two CPU hogs
 * (`yes`) that this test starts outside perfspec's process tree, whose own CPU time the test reads
 * from /proc; the target is started by perfspec (target.start), so its CPU is the system under
 * test's and must not be counted as contention. A latency threshold the target cannot meet fails
 * on a quiet machine; with the hogs running it must be reported inconclusive, naming them, and the
 * run must not exit 1 on it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcessTable, TICKS_PER_SECOND } from '../../src/metrics/process-table.js';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/run-cli.js';

let work: string;
const hogs: number[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-contention-'));
  // A target that spends about 2 ms of CPU on every request: its latency depends on getting a core.
  await writeFile(
    path.join(work, 'server.mjs'),
    `import http from 'node:http';
http.createServer((req, res) => { req.resume(); const end = performance.now() + 2; while (performance.now() < end); res.end('{"ok":true}'); }).listen(Number(process.env.PORT), '127.0.0.1');
`,
  );
});

afterAll(() => stopHogs());

function stopHogs(): void {
  for (const pid of hogs.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Start `count` CPU hogs orphaned to init (the shell that starts them exits at once), in this
 * session, so the kernel's per-session CPU shares (autogroup) give them a share of the machine
 * beside the test's own processes; returns their shell's pid, which each hog records as its parent
 * until it is reparented, and kills them all in afterAll.
 */
async function startHogs(count: number): Promise<number[]> {
  const shell = spawn('sh', ['-c', `${Array.from({ length: count }, () => 'yes > /dev/null &').join(' ')} jobs -p`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  shell.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => shell.on('exit', resolve));
  const pids = text.split(/\s+/).filter(Boolean).map(Number);
  hogs.push(...pids);
  return pids;
}

function hogTicks(pids: number[]): number {
  const table = readProcessTable()!;
  return pids.reduce((sum, pid) => sum + (table.get(pid)?.comm === 'yes' ? table.get(pid)!.cpuTicks : 0), 0);
}

describe.runIf(existsSync('/proc/self/stat'))('load thresholds while other programs take the CPUs', { timeout: 150_000 }, () => {
  it("a failing latency threshold is inconclusive, naming the other programs; their CPU is counted, the target's is not", async () => {
    const port = await freePort();
    const spec = path.join(work, 'contention.yaml');
    await writeFile(
      spec,
      `perfspec: 1
name: contention
target:
  baseUrl: http://127.0.0.1:${port}
  start: { command: "node server.mjs", ready: / }
load:
  scenarios:
    busy:
      executor: constant-users
      users: 4
      duration: 4s
      startSpread: 0s
      flows: [{ name: hit, steps: [GET /] }]
      thresholds:
        p95: "< 0.5ms"
        error_rate: "< 1%"
`,
    );
    // Several hogs per CPU, so that they take a real share of the machine however busy it already is.
    const pids = await startHogs(2 * os.cpus().length);
    expect(pids).toHaveLength(2 * os.cpus().length);
    const ticksBefore = hogTicks(pids);
    const started = performance.now();
    const out = path.join(work, 'out');
    let outcome: Awaited<ReturnType<typeof runCli>>;
    let hogCores: number;
    try {
      outcome = await runCli(['run', spec, '--out', out, '--reporter', 'json'], { cwd: work, env: { PATH: process.env.PATH } });
      hogCores = (hogTicks(pids) - ticksBefore) / TICKS_PER_SECOND / ((performance.now() - started) / 1000);
    } finally {
      stopHogs();
    }

    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    const probe = json.specs[0].checks.find((check: { section?: string }) => check.section === 'load').probes[0];
    const contention = probe.data.contention;
    // The hogs really ran (ground truth from their own /proc entries), and perfspec counted them as
    // other programs: at least half of what they took over the whole command (the load window is
    // most of it). The target's own CPU (2 ms per request) is not among the others named.
    expect(hogCores).toBeGreaterThan(0.05);
    expect(contention.otherCores).toBeGreaterThanOrEqual(hogCores * 0.5);
    const p95 = probe.verdicts.find((verdict: { metric: string }) => verdict.metric === 'load.p95');
    const errorRate = probe.verdicts.find((verdict: { metric: string }) => verdict.metric === 'load.error_rate');
    // An error-rate threshold is never excused by contention; nothing failed here.
    expect(errorRate.outcome).toBe('pass');
    // Whether the hogs got enough of a loaded machine to count as contention is the kernel's call;
    // both answers are checked against the rule's limits and the verdict that must follow.
    const cpus = os.cpus().length;
    if (contention.machineBusy >= 0.9 && contention.otherCores >= 0.25 * cpus) {
      expect(contention.contended).toBe(true);
      expect(p95.outcome).toBe('inconclusive');
      expect(p95.message).toMatch(/other programs .*took \d+\.\d+ of \d+ CPUs \(\S+ \d/);
      expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(0);
    } else {
      expect(contention.contended).toBe(false);
      expect(p95.outcome).toBe('fail');
      expect(outcome.exitCode).toBe(1);
    }
    process.stdout.write(
      `contention: hogs ${hogCores.toFixed(2)} cores, others ${contention.otherCores.toFixed(2)} of ${cpus}, machine ${(contention.machineBusy * 100).toFixed(0)}% busy, p95 ${p95.outcome}\n`,
    );
  });
});
