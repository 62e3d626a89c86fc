/**
 * A distributed run for real: four perfspec processes, each told its shard by JOB_COMPLETION_INDEX
 * (as a Kubernetes Indexed Job does) and all starting at one --start-at instant, load one loopback
 * target; `perfspec merge` then judges the whole. Ground truths: the target's own request count,
 * and percentiles recomputed from the shards' raw recorded values by plain sorting, without the
 * merge code or HdrHistogram's add().
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShardFile } from '../../src/load/shard/shard-file.js';
import type { LoadReport } from '../../src/load/types.js';
import type { RunResult } from '../../src/result/result.js';
import type { Verdict } from '../../src/verdict/types.js';
import { reportSchemaProblems } from '../helpers/report-schema.js';
import { runCli } from '../helpers/run-cli.js';

const SHARDS = 4;
const RATE = 40;
const SECONDS = 3;
const SLOW_MS = 2100;
/**
 * The p99 budget: just below the slow shard's delay, so the merge must fail it (a quarter of all
 * requests took SLOW_MS at the target), while the average of shard p99s stays below it unless the
 * fast shards' own p99 exceeded ~1.8 s (a machine loaded beyond measuring anything).
 */
const P99_BUDGET_MS = 2000;

let server: http.Server;
let baseUrl = '';
const received = { load: 0, byLane: new Map<string, number>(), other: 0 };
let dir = '';

function spec(extra = ''): string {
  return `perfspec: 1
name: sharded
target:
  baseUrl: ${baseUrl}
vars:
  lane: fast
checks:
  - name: Items once
    request: GET /items
    samples: 5
    warmup: 0
load:
  shards: ${SHARDS}
  rate: ${RATE}
  duration: ${SECONDS}s
  maxUsers: 200          # room for the slow shard's requests in flight
  gracefulStop: 5s       # every request started is answered and counted
  headers:
    x-lane: \${vars.lane}
  flows:
    - name: browse
      steps:
        - request: GET /items
          name: items
  thresholds:
    p99: ${P99_BUDGET_MS}ms
${extra}`;
}

function runShard(index: number, startAt: number, lane: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/fixtures/redis/cli-main.ts',
        'run',
        path.join(dir, 'spec.yaml'),
        '--start-at',
        String(startAt),
        '--set',
        `lane=${lane}`,
        '--out',
        path.join(dir, `out${index}`),
        '--reporter',
        'json',
      ],
      { env: { PATH: process.env.PATH, JOB_COMPLETION_INDEX: String(index) }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;
const loadOf = (result: RunResult): { report: LoadReport; verdicts: Verdict[] } => {
  const probe = result.specs[0].checks.find((c) => c.section === 'load')!.probes[0];
  return { report: probe.data as unknown as LoadReport, verdicts: probe.verdicts };
};

/** Every recorded value of an encoded histogram, one entry per sample (at the histogram's resolution). */
function rawValues(encoded: string): number[] {
  const histogram = hdr.decodeFromCompressedBase64(encoded, 32, false) as unknown as {
    recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
  };
  const values: number[] = [];
  const iterator = histogram.recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    for (let n = 0; n < step.countAtValueIteratedTo; n++) values.push(step.valueIteratedTo);
  }
  return values;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const lane = req.headers['x-lane'];
    if (typeof lane === 'string') {
      received.load++;
      received.byLane.set(lane, (received.byLane.get(lane) ?? 0) + 1);
    } else if (req.url === '/items') received.other++;
    req.resume();
    setTimeout(() => res.end('{"ok":true}'), lane === 'slow' ? SLOW_MS : 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-shards-'));
  await writeFile(path.join(dir, 'spec.yaml'), spec());
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('four shard processes against one target, merged', () => {
  let shards: ShardFile[] = [];
  let startAt = 0;

  it('every shard starts on the --start-at instant, runs its stripe, and exits 0 (the merge judges)', async () => {
    // Room for four processes to start on a loaded machine.
    startAt = Date.now() + 20_000;
    const outcomes = await Promise.all(Array.from({ length: SHARDS }, (_, i) => runShard(i, startAt, i === SHARDS - 1 ? 'slow' : 'fast')));
    outcomes.forEach((o, i) => expect(o.code, `shard ${i}: ${o.stderr}`).toBe(0));
    shards = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) => readJson<ShardFile>(path.join(dir, `out${i}`, `perfspec-shard-${i}-of-${SHARDS}.json`))),
    );
    for (const [i, shard] of shards.entries()) {
      expect(shard.identity.shard).toEqual({ index: i, count: SHARDS });
      expect(shard.load).toHaveLength(1);
      // t = 0 is the --start-at instant, unless the process was not even ready then (a machine
      // loaded beyond reason): then it starts at once, and says so.
      const data = shard.load[0].data;
      expect(data.startedAtEpochMs, `shard ${i} ready at ${data.readyAtEpochMs}`).toBe(Math.max(startAt, data.readyAtEpochMs));
      // Striped arrivals: a quarter each of RATE × SECONDS.
      expect(shard.load[0].data.entries[0].requests).toBe((RATE * SECONDS) / SHARDS);
    }
    // With the usual lead time every shard is ready before the instant; at least one must have waited for it.
    expect(shards.filter((s) => s.load[0].data.startedAtEpochMs === startAt).length).toBeGreaterThan(0);
    // Checks run on shard 0 only: the /items requests without the lane header are one check's worth
    // (one cold request + 5 samples), not four.
    expect(received.other).toBe(6);
    expect(shards.map((s) => s.result.specs[0].checks.filter((c) => c.section === 'check').length)).toEqual([1, 0, 0, 0]);
  }, 90_000);

  it('merges exactly: counts match the target, percentiles match all raw values sorted together, and p99 fails where averaging shard p99s would pass', async () => {
    const merged = await runCli(['merge', dir, '--out', path.join(dir, 'merged'), '--reporter', 'json,console']);
    expect(merged.stderr).toBe('');
    const result = await readJson<RunResult>(path.join(dir, 'merged', 'perfspec-report.json'));
    expect(reportSchemaProblems(result)).toEqual([]);
    const { report, verdicts } = loadOf(result);

    // Counts: merged = sum of shards = the target's own count.
    const perShard = shards.map((s) => s.load[0].data.entries.reduce((sum, e) => sum + e.requests, 0));
    expect(report.overall.requests).toBe(perShard.reduce((a, b) => a + b, 0));
    expect(report.overall.requests).toBe(received.load);
    expect(received.load).toBe(RATE * SECONDS);
    expect(received.byLane.get('slow')).toBe((RATE * SECONDS) / SHARDS);
    expect(report.timeline.reduce((sum, p) => sum + p.requests, 0)).toBe(received.load);
    expect(report.requests.find((r) => r.name === 'items')!.requests).toBe(received.load);

    // Percentiles: rank ceil(p·n) of every shard's recorded values sorted together.
    const all = shards.flatMap((s) => rawValues(s.load[0].data.entries[0].histogram!)).sort((a, b) => a - b);
    expect(all).toHaveLength(received.load);
    // Only for the bucket width of a value (the reporting rule reads a bucket's highest value).
    const reference = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 }) as unknown as {
      highestEquivalentValue(v: number): number;
    };
    const min = Math.min(...shards.map((s) => hdr.decodeFromCompressedBase64(s.load[0].data.entries[0].histogram!, 32, false).minNonZeroValue));
    const max = Math.max(...shards.map((s) => hdr.decodeFromCompressedBase64(s.load[0].data.entries[0].histogram!, 32, false).maxValue));
    const at = (p: number) =>
      Math.min(Math.max(reference.highestEquivalentValue(all[Math.max(1, Math.ceil((p / 100) * all.length - 1e-9)) - 1]), min), max) / 1000;
    expect(report.overall.latency.count).toBe(all.length);
    for (const p of [50, 90, 95, 99, 99.9] as const) expect(report.overall.latency[`p${p}` as 'p50'], `p${p}`).toBe(at(p));
    expect(report.overall.latency.max).toBe(max / 1000);
    expect(report.overall.latency.min).toBe(min / 1000);

    // The slow shard's requests really took SLOW_MS at the target: the merged p99 shows them.
    expect(report.overall.latency.p99).toBeGreaterThanOrEqual(SLOW_MS);
    // The merged data prove the budget broken: the whole 95 % interval of p99 lies above it. The
    // verdict is FAIL (exit 1) — or, when the generators reported themselves saturated on a loaded
    // machine, inconclusive naming that (a saturated generator's failures are not believed).
    const p99 = verdicts.find((v) => v.metric === 'load.p99')!;
    expect(p99.interval!.lower).toBeGreaterThan(P99_BUDGET_MS);
    if (p99.outcome === 'fail') {
      expect(merged.exitCode).toBe(1);
      expect(merged.stdout).toMatch(/load\.p99.*FAIL/);
    } else {
      expect(p99.outcome).toBe('inconclusive');
      expect(p99.message).toContain('saturated');
      expect(merged.exitCode).toBe(0);
    }
    // What peers do — averaging the shards' p99s — would have passed the budget.
    const shardReports = await Promise.all(Array.from({ length: SHARDS }, (_, i) => readJson<RunResult>(path.join(dir, `out${i}`, 'perfspec-report.json'))));
    const shardP99s = shardReports.map((r) => loadOf(r).report.overall.latency.p99);
    expect(shardP99s.reduce((a, b) => a + b, 0) / SHARDS).toBeLessThan(P99_BUDGET_MS);
    // The fast shards pass the budget alone; a quantile budget that every shard met is met by the
    // merge too (a mixture's quantile is at most the largest shard's), so the slow shard fails alone.
    // (With 30 requests a shard cannot bound its p99 from above, so alone it can only be
    // inconclusive or fail: the fast shards never fail it.)
    shardReports.slice(0, SHARDS - 1).forEach((r) => expect(loadOf(r).verdicts.find((v) => v.metric === 'load.p99')?.outcome).not.toBe('fail'));
    // The check that ran on shard 0 is in the merged report once.
    expect(result.specs[0].checks.filter((c) => c.section === 'check').map((c) => c.name)).toEqual(['Items once']);
  }, 60_000);

  it('refuses a missing shard (exit 3) and shards of another spec (exit 2), with clear messages', async () => {
    const missing = await runCli(['merge', ...[0, 1, 3].map((i) => path.join(dir, `out${i}`)), '--out', path.join(dir, 'm2'), '--reporter', 'json']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain(`missing shard 2/${SHARDS} (have 0/${SHARDS}, 1/${SHARDS}, 3/${SHARDS}); a part is not judged as the whole`);

    // One shard of a different spec (one more threshold), run for real.
    await writeFile(path.join(dir, 'other.yaml'), spec('    error_rate: 1%\n').replace(`duration: ${SECONDS}s`, 'duration: 1s'));
    const other = await runCli(['run', path.join(dir, 'other.yaml'), '--shard', `3/${SHARDS}`, '--out', path.join(dir, 'other'), '--reporter', 'json']);
    expect(other.exitCode, other.stderr).toBe(0);
    const mixed = await runCli([
      'merge',
      ...[0, 1, 2].map((i) => path.join(dir, `out${i}`)),
      path.join(dir, 'other'),
      '--out',
      path.join(dir, 'm3'),
      '--reporter',
      'json',
    ]);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toMatch(/the shards come from different specs \(their files differ\)/);
    expect(mixed.stderr).toContain(path.join('other', `perfspec-shard-3-of-${SHARDS}.json`));
  }, 60_000);
});

describe('setup runs once for all shards', () => {
  it('--only-setup writes the captures (owner-only); shards take them with --setup-from and never log in themselves', async () => {
    const token = 'tok-5f1c2a9e8d7b6a5f4e3d2c1b';
    let logins = 0;
    const seen = new Map<string, number>();
    const api = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/login') {
        logins++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token }));
        return;
      }
      const auth = String(req.headers.authorization ?? '');
      if (req.url === '/me') seen.set(auth, (seen.get(auth) ?? 0) + 1);
      res.end('{}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    try {
      const specFile = path.join(dir, 'login.yaml');
      await writeFile(
        specFile,
        `perfspec: 1
name: with login
target:
  baseUrl: ${url}
setup:
  - request: POST /login
    capture:
      token: $.token
load:
  rate: 10
  duration: 1s
  headers:
    Authorization: Bearer \${vars.token}
  flows:
    - name: me
      steps: ['GET /me']
`,
      );
      const refused = await runCli(['run', specFile, '--shard', '1/2', '--out', path.join(dir, 'login1')]);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain('setup captures variables, and shard 1/2 does not run setup (only shard 0 does)');
      expect(refused.stderr).toContain('--only-setup');
      expect(logins).toBe(0);

      const setup = await runCli(['run', specFile, '--only-setup', '--out', path.join(dir, 'setup'), '--reporter', 'json']);
      expect(setup.exitCode, setup.stderr).toBe(0);
      expect(logins).toBe(1);
      const setupFile = path.join(dir, 'setup', 'perfspec-setup.json');
      expect((await stat(setupFile)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(setupFile, 'utf8')).specs[0].vars.token).toBe(token);
      expect(seen.size).toBe(0);

      for (const index of [0, 1]) {
        const shard = await runCli([
          'run',
          specFile,
          '--shard',
          `${index}/2`,
          '--setup-from',
          setupFile,
          '--out',
          path.join(dir, `login${index}`),
          '--reporter',
          'json',
        ]);
        expect(shard.exitCode, shard.stderr).toBe(0);
        // The token never reaches a shard file.
        expect(await readFile(path.join(dir, `login${index}`, `perfspec-shard-${index}-of-2.json`), 'utf8')).not.toContain(token);
      }
      expect(logins).toBe(1);
      expect(seen.get(`Bearer ${token}`)).toBe(10);
      expect([...seen.keys()]).toEqual([`Bearer ${token}`]);

      const missing = await runCli(['run', specFile, '--shard', '1/2', '--setup-from', path.join(dir, 'nope.json')]);
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toContain('--setup-from');
      expect(missing.stderr).toContain('file not found');
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  }, 60_000);
});
