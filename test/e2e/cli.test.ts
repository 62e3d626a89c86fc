/**
 * The real CLI on real specs: exit codes, messages and report contents, as a user or CI sees them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';
import { freePort } from '../helpers/free-port.js';
import { parseJunit, xsdProblems } from '../helpers/junit-check.js';
import { streamLineProblems } from '../helpers/report-schema.js';
import { standingOf, type Verdict } from '../../src/verdict/types.js';

let server: ScriptedServer;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-e2e-'));
  server = await startScriptedServer({
    '/login': { body: JSON.stringify({ access_token: 'tok-e2e-very-secret' }) },
    '/fast': {},
    '/slow': { delayMs: 30 },
    '/forever': { delayMs: 200 },
  });
});
afterAll(async () => server.close());

async function writeSpec(name: string, body: string): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, `perfspec: 1\nname: ${name}\ntarget:\n  baseUrl: ${server.url}\n${body}`);
  return file;
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

/** Every JUnit file a run writes: valid against the common XSD, counts consistent for an independent parser. */
async function expectValidJunit(dir: string) {
  const xml = await readFile(path.join(dir, 'perfspec-junit.xml'), 'utf8');
  expect(await xsdProblems(xml)).toEqual([]);
  const parsed = await parseJunit(xml);
  expect(parsed.countProblems).toEqual([]);
  return parsed;
}

describe('perfspec validate', () => {
  it('reports every problem of every broken spec at once, with positions, exit 2', async () => {
    const outcome = await runCli(['validate', 'test/fixtures/specs/invalid']);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('test/fixtures/specs/invalid/bad-budget.yaml:8:21 checks[0].latency.p95: "< fast" is not a latency budget');
    expect(outcome.stderr).toContain('test/fixtures/specs/invalid/unknown-key.yaml:10:7 checks[0].latency.p59: unknown property "p59"');
    expect(outcome.stderr).toContain('test/fixtures/specs/invalid/malformed-yaml.yaml:7:14 YAML:');
    expect(outcome.stderr).toContain('16 problems in 8 specs');
    noStackTrace(outcome.stderr);
  });

  it('accepts the bundled spec', async () => {
    const outcome = await runCli(['validate', 'specs/phase3.yaml']);
    expect(outcome.stdout).toContain('✔ specs/phase3.yaml: valid');
    expect(outcome.exitCode).toBe(0);
  });

  it('exit 2 for a missing file', async () => {
    const outcome = await runCli(['validate', 'nope/missing.yaml']);
    expect(outcome).toMatchObject({
      exitCode: 2,
      stderr: 'perfspec: no such file or directory: nope/missing.yaml\nhint: Pass spec files (*.yaml) or directories that contain them.\n',
    });
  });
});

describe('perfspec run', () => {
  it('passes, writes all four reports, and never writes the captured token', async () => {
    const spec = await writeSpec(
      'pass.yaml',
      `setup:
  - request: POST /login
    capture: { token: $.access_token }
defaults:
  headers: { Authorization: "Bearer \${vars.token}" }
  samples: 20
  warmup: 2
checks:
  - name: Fast endpoint
    request: GET /fast
    latency: { p95: "< 500ms" }
`,
    );
    const out = path.join(work, 'out-pass');
    const outcome = await runCli(['run', spec, '--out', out]);
    expect(outcome.exitCode).toBe(0);
    expect(server.lastHeaders.get('/fast')?.authorization).toBe('Bearer tok-e2e-very-secret');
    expect(server.lastHeaders.get('/login')?.authorization).toBeUndefined();
    for (const name of ['perfspec-report.md', 'perfspec-report.html', 'perfspec-report.json', 'perfspec-junit.xml']) {
      const text = await readFile(path.join(out, name), 'utf8');
      expect(text).toContain('Fast endpoint');
      expect(text).not.toContain('tok-e2e-very-secret');
    }
    expect(outcome.stdout).toMatch(/PASSED\s+2 budgets: 2 passed, 0 failed/);
    expect((await expectValidJunit(out)).root).toMatchObject({ tests: 2, failures: 0, errors: 0 });
  });

  it('fails with exit 1 and names the check, target and measured value', async () => {
    const spec = await writeSpec(
      'fail.yaml',
      `checks:
  - name: Slow endpoint
    request: GET /slow
    samples: 10
    warmup: 1
    # A failure seen only on a saturated host (the machine is shared) is inconclusive; this counts it as a failure too.
    inconclusive: fail
    latency: { p50: "< 10ms" }
`,
    );
    const out = path.join(work, 'out-fail');
    const outcome = await runCli(['run', spec, '--out', out, '--reporter', 'console,junit,json']);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stdout).toMatch(
      /latency\.p50( \(inconclusive\))?: p50 \d+(\.\d+)?ms \([^)]*, n=10\) is not below 10ms \(the whole 95 % interval\).*\(target < 10ms\)/,
    );
    const junit = await readFile(path.join(out, 'perfspec-junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<failure message="p50 \d+(\.\d+)?ms \([^)]*, n=10\) is not below 10ms \(the whole 95 % interval\)[^"]*" type="(budget|inconclusive)">(INCONCLUSIVE: )?p50 [^<]*\ntarget: &lt; 10ms/,
    );
    const parsed = await expectValidJunit(out);
    expect(parsed.cases.map((item) => [item.name, item.status])).toEqual([
      ['Slow endpoint: latency.p50', 'failed'],
      ['Slow endpoint: status', 'passed'],
    ]);
    expect(existsSync(path.join(out, 'perfspec-report.md'))).toBe(false);
    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    // Ground truth is how long the server really held each request: libuv's timers run on a millisecond clock and
    // may fire up to 1 ms before 30 ms of real time have passed, so "30" itself is not a floor.
    const held = [...server.held.get('/slow')!].sort((a, b) => a - b);
    // p50 of 10 samples is the 5th smallest; each sample includes its request's hold, and the 5th smallest of a superset
    // of holds (warm-up included) is no larger than that of the 10 measured. Histogram resolution is 0.1 %.
    expect(json.specs[0].checks[0].probes[0].verdicts[0].actualValue).toBeGreaterThanOrEqual(held[4] * 0.999);
    expect(held[4]).toBeGreaterThan(28);
  });

  it('reports say what they measured: target, spec hash, versions, host, git commit', async () => {
    const spec = await writeSpec('measured.yaml', `checks:\n  - name: Fast\n    request: GET /fast\n    samples: 3\n    warmup: 0\n`);
    const out = path.join(work, 'out-measured');
    // (A base URL with credentials is refused before running: nothing to mask here.)
    const outcome = await runCli(['run', spec, '--out', out, '--base-url', server.url]);
    expect(outcome.exitCode).toBe(0);
    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    const sha256 = createHash('sha256')
      .update(await readFile(spec))
      .digest('hex');
    expect(json.specs[0]).toMatchObject({ file: spec, sha256, target: server.url });
    const head = (await promisify(execFile)('git', ['rev-parse', 'HEAD'])).stdout.trim();
    expect(json.environment).toMatchObject({
      perfspec: JSON.parse(await readFile('package.json', 'utf8')).version,
      node: process.version,
      cpus: os.cpus().length,
      git: { commit: head },
    });
    expect(json.environment.loadBefore).toHaveLength(3);
    expect(json.environment.loadAfter).toHaveLength(3);
    const markdown = await readFile(path.join(out, 'perfspec-report.md'), 'utf8');
    expect(markdown).toContain(`- **Spec:** ${spec} (sha256 ${sha256.slice(0, 12)})`);
    expect(markdown).toContain(`- **Target:** ${server.url}`);
    expect(markdown).toContain(`- **Git commit:** ${head.slice(0, 12)}`);
    const junit = await expectValidJunit(out);
    expect(junit.suites[0].properties).toContainEqual({ name: 'perfspec.spec.sha256', value: sha256 });
  });

  it('--baseline refuses a report of another spec, before running anything (exit 2)', async () => {
    const specA = await writeSpec('spec-a.yaml', `checks:\n  - name: Fast\n    request: GET /fast\n    samples: 2\n    warmup: 0\n`);
    const outA = path.join(work, 'out-spec-a');
    expect((await runCli(['run', specA, '--out', outA, '--reporter', 'json'])).exitCode).toBe(0);
    const specB = await writeSpec('spec-b.yaml', `checks:\n  - name: Fast\n    request: GET /fast\n    samples: 2\n    warmup: 0\n`);
    const baseline = path.join(outA, 'perfspec-report.json');
    const requestsBefore = server.hits.get('/fast');
    const outcome = await runCli(['run', specB, '--out', path.join(work, 'out-spec-b'), '--baseline', baseline]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toBe(
      `perfspec: --baseline ${baseline} is a report of "spec-a.yaml" (${specA}), not of "spec-b.yaml" (${specB}): nothing to compare\n` +
        'hint: Pass the perfspec-report.json of an earlier run of the same spec.\n',
    );
    expect(server.hits.get('/fast')).toBe(requestsBefore);
    // The same spec again is accepted: before → after.
    const again = await runCli(['run', specA, '--out', path.join(work, 'out-spec-a2'), '--baseline', baseline, '--reporter', 'console']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/Compared with run /);
  });

  it('--reporter github annotates the spec line of each failed budget and writes the step summary', async () => {
    // The failing budget is an exact one (the status), so the test does not depend on the machine's load.
    const spec = await writeSpec(
      'github.yaml',
      `checks:
  - name: Created endpoint
    request: GET /fast
    samples: 5
    warmup: 0
    expect:
      status: 201
    latency:
      p99: "< 5s"
  - name: Fast endpoint
    request: GET /fast
    samples: 3
    warmup: 0
`,
    );
    const summary = path.join(work, 'step-summary.md');
    const outcome = await runCli(['run', spec, '--reporter', 'github', '--out', path.join(work, 'out-github')], {
      env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: summary },
    });
    expect(outcome.exitCode).toBe(1);
    // Ground truth: the line of the budget in the file as written.
    const line = (await readFile(spec, 'utf8')).split('\n').findIndex((text) => text.includes('status: 201')) + 1;
    const annotations = outcome.stdout.split('\n').filter((text) => text.startsWith('::error'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0].startsWith(`::error file=${spec},line=${line},title=Created endpoint%3A status::`)).toBe(true);
    // …and says which request was sent (the resolved URL: what to replay).
    expect(annotations[0]).toMatch(/ \(target 201, actual \d+× 200\); sent: GET http:\/\/127\.0\.0\.1:\d+\/fast$/);
    const markdown = await readFile(summary, 'utf8');
    expect(markdown).toContain('## ❌ FAIL perfspec: github.yaml');
    expect(markdown).toMatch(/\| Created endpoint \| status \| 201 \| \d+× 200 \| ❌ FAIL \|/);
  });

  it('--reporter ndjson streams each second of load and each verdict as they happen; perfspec report re-renders the result', async () => {
    const spec = await writeSpec(
      'stream.yaml',
      `checks:
  - name: Fast endpoint
    request: GET /fast
    samples: 3
    warmup: 0
    expect: { status: 201 }
    latency: { p95: "< 1ms" }
load:
  users: 3
  duration: 3s
  flows:
    - name: Browse
      steps: [GET /fast, GET /slow]
  thresholds:
    p95: "< 2s"
`,
    );
    const out = path.join(work, 'out-stream');
    const stream = path.join(work, 'live.ndjson');
    const outcome = await runCli(['run', spec, '--out', out, '--reporter', 'json', '--out-stream', stream]);
    expect(outcome.exitCode).toBe(1);
    const lines = (await readFile(stream, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    for (const line of lines) expect(streamLineProblems(line)).toEqual([]);
    expect(lines[0]).toMatchObject({ type: 'stream', formatVersion: 1 });
    expect(lines.at(-1)).toMatchObject({ type: 'end', status: 'failed', aborted: false });
    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    // Every second of the report's timeline was streamed, with the same figures.
    const load = json.specs[0].checks.find((check: { section: string }) => check.section === 'load');
    const metrics = lines.filter((line) => line.type === 'metrics');
    expect(metrics.map(({ type: _t, time: _time, spec: _s, check: _c, ...second }) => second)).toEqual(load.probes[0].data.timeline);
    expect(new Set(metrics.map((line) => line.check))).toEqual(new Set([load.name]));
    // Every verdict, in report order, each before the end line; the load seconds before the load verdicts.
    const verdicts = json.specs[0].checks.flatMap((check: { probes: Array<{ verdicts: Array<{ metric: string }> }> }) =>
      check.probes.flatMap((probe) => probe.verdicts),
    );
    expect(lines.filter((line) => line.type === 'verdict').map((line) => `${line.check} ${line.metric} ${line.outcome} ${line.standing}`)).toEqual(
      verdicts.map((verdict: Verdict) => `${verdict.check} ${verdict.metric} ${verdict.outcome} ${standingOf(verdict)}`),
    );
    const firstLoadVerdict = lines.findIndex((line) => line.type === 'verdict' && line.check === load.name);
    expect(lines.findLastIndex((line) => line.type === 'metrics')).toBeLessThan(firstLoadVerdict);
    // Written as they happened: the seconds of a 3 s load are about a second apart, not all at the end.
    const times = metrics.map((line) => Date.parse(line.time));
    expect(times.at(-1)! - times[0]).toBeGreaterThanOrEqual(1000);

    // perfspec report renders any reporter from the saved result, and exits with that run's code.
    const rendered = path.join(work, 'out-rerendered');
    const report = await runCli(['report', path.join(out, 'perfspec-report.json'), '--out', rendered, '--reporter', 'markdown,junit,console']);
    expect(report.exitCode).toBe(1);
    expect(report.stdout).toMatch(/FAILED\s+\d+ budgets/);
    expect(await readFile(path.join(rendered, 'perfspec-report.md'), 'utf8')).toContain('| Fast endpoint | latency.p95 | < 1ms |');
    await expectValidJunit(rendered);
    // Re-rendered as a stream, the saved run gives the same metrics and verdicts as the live stream.
    expect((await runCli(['report', path.join(out, 'perfspec-report.json'), '--reporter', 'ndjson', '--out', path.join(work, 'out-replay')])).exitCode).toBe(1);
    const replay = (await readFile(path.join(work, 'out-replay', 'perfspec-stream.ndjson'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const strip = (list: Array<Record<string, unknown>>) =>
      list.filter((line) => line.type === 'metrics' || line.type === 'verdict').map(({ time: _time, ...rest }) => rest);
    expect(strip(replay)).toEqual(strip(lines));
    expect(await runCli(['report', path.join(work, 'nope.json')])).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('nope.json: file not found') });
  });

  it('--only runs the named checks, --set fills variables', async () => {
    const spec = await writeSpec(
      'only.yaml',
      `checks:
  - name: Alpha
    request: GET /fast?who=\${vars.who}
    samples: 2
    warmup: 0
  - name: Beta
    request: GET /slow
    samples: 2
    warmup: 0
`,
    );
    const outcome = await runCli(['validate', spec]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('${vars.who} is not defined');
    const run = await runCli(['run', spec, '--only', 'alp', '--set', 'who=qa', '--reporter', 'json', '--out', path.join(work, 'out-only')]);
    expect(run.exitCode).toBe(0);
    const json = JSON.parse(await readFile(path.join(work, 'out-only', 'perfspec-report.json'), 'utf8'));
    expect(json.specs[0].checks.map((check: { name: string }) => check.name)).toEqual(['Alpha']);
  });

  // Issue 9: `--only nomatch` skipped every check, still ran the load section and exited 0.
  it('--only filters load scenarios too; a filter that matches nothing is exit 2 before any request', async () => {
    const spec = await writeSpec(
      'only-load.yaml',
      `checks:
  - name: Gamma
    request: GET /fast?from=only-load-check
    samples: 2
    warmup: 0
load:
  scenarios:
    smoke: { users: 1, duration: 1s }
  flows:
    - name: Browse
      steps: [GET /fast?from=only-load-flow]
`,
    );
    const hitsBefore = server.hits.get('/fast') ?? 0;
    const typo = await runCli(['run', spec, '--only', 'nomatch', '--reporter', 'json', '--out', path.join(work, 'out-only-typo')]);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toBe('perfspec: --only "nomatch" matches no check or load scenario\nhint: Available: Gamma, Load: smoke.\n');
    expect(server.hits.get('/fast') ?? 0).toBe(hitsBefore);

    const loadOnly = await runCli(['run', spec, '--only', 'smoke', '--reporter', 'json', '--out', path.join(work, 'out-only-load')]);
    expect(loadOnly.stderr).not.toContain('matches no');
    const json = JSON.parse(await readFile(path.join(work, 'out-only-load', 'perfspec-report.json'), 'utf8'));
    expect(json.specs[0].checks.map((check: { name: string }) => check.name)).toEqual(['Load: smoke']);

    const checkOnly = await runCli(['run', spec, '--only', 'gamma', '--reporter', 'json', '--out', path.join(work, 'out-only-check')]);
    expect(checkOnly.exitCode).toBe(0);
    const checks = JSON.parse(await readFile(path.join(work, 'out-only-check', 'perfspec-report.json'), 'utf8')).specs[0].checks;
    expect(checks.map((check: { name: string }) => check.name)).toEqual(['Gamma']);
  });

  it('target unreachable: exit 3 with one line naming the address and the fix, no stack trace', async () => {
    const port = await freePort();
    const spec = await writeSpec('down.yaml', `checks:\n  - name: x\n    request: GET /fast\n`);
    const out = path.join(work, 'out-down');
    const outcome = await runCli(['run', spec, '--base-url', `http://127.0.0.1:${port}`, '--reporter', 'console,junit', '--out', out]);
    expect(outcome.exitCode).toBe(3);
    expect((await expectValidJunit(out)).cases).toMatchObject([{ name: 'run', error: [{ type: 'run' }] }]);
    expect(outcome.stdout).toContain(`target unreachable: nothing answers at http://127.0.0.1:${port}`);
    expect(outcome.stdout).toContain('hint: Start the API, pass --base-url');
    noStackTrace(outcome.stdout + outcome.stderr);
  });

  it('PostgreSQL or Redis unreachable: exit 3 naming which and where, with the fix, and no password', async () => {
    const pgPort = await freePort();
    const pgSpec = await writeSpec('pg-down.yaml', `services:\n  postgres: { url: "postgres://app:hunter22@127.0.0.1:${pgPort}/app" }\n`);
    const pg = await runCli(['run', pgSpec, '--reporter', 'console']);
    expect(pg.exitCode).toBe(3);
    expect(pg.stdout).toContain(`PostgreSQL is not reachable at 127.0.0.1:${pgPort}: connection refused`);
    expect(pg.stdout).toContain('hint: Start PostgreSQL');
    const redisPort = await freePort();
    const redisSpec = await writeSpec('redis-down.yaml', `services:\n  redis: { url: "redis://:hunter22@127.0.0.1:${redisPort}/0" }\n`);
    const redis = await runCli(['run', redisSpec, '--reporter', 'console']);
    expect(redis.exitCode).toBe(3);
    expect(redis.stdout).toContain(`Redis at redis://:***@127.0.0.1:${redisPort}/0 refused the connection`);
    expect(redis.stdout).toContain('hint: Start Redis');
    for (const outcome of [pg, redis]) {
      expect(outcome.stdout + outcome.stderr).not.toContain('hunter22');
      noStackTrace(outcome.stdout + outcome.stderr);
    }
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['run', 'specs/phase3.yaml', '--reporter', 'pdf'])).stderr).toBe(
      'perfspec: unknown reporter "pdf"; available: console, markdown, html, json, junit, github, ndjson\n',
    );
    expect((await runCli(['run', 'specs/phase3.yaml', '--set', 'novalue'])).exitCode).toBe(2);
    expect((await runCli(['run', 'specs/phase3.yaml', '--base-url', 'ftp://x'])).exitCode).toBe(2);
    expect((await runCli(['frobnicate'])).exitCode).toBe(2);
    const repeat = await runCli(['run', 'specs/phase3.yaml', '--repeat', '0']);
    expect(repeat).toMatchObject({ exitCode: 2, stderr: 'perfspec: --repeat expects a whole number from 1 to 50, got "0"\n' });
  });

  it('--repeat N measures every check N times and judges the median run', async () => {
    const spec = await writeSpec(
      'repeat.yaml',
      `checks:
  - name: Fast endpoint
    request: GET /fast
    samples: 5
    warmup: 0
    latency: { max: "< 5s" }
`,
    );
    const out = path.join(work, 'out-repeat');
    const before = server.hits.get('/fast') ?? 0;
    const outcome = await runCli(['run', spec, '--out', out, '--reporter', 'json', '--repeat', '3']);
    expect(outcome.exitCode).toBe(0);
    // 3 runs × (1 cold + 5 samples).
    expect((server.hits.get('/fast') ?? 0) - before).toBe(18);
    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    const data = json.specs[0].checks[0].probes[0].data;
    expect(data.runs).toHaveLength(3);
    expect(data.rankedBy).toBe('max');
  });

  it('Ctrl-C stops the run and still writes the partial report, marked aborted (exit 130)', async () => {
    const spec = await writeSpec(
      'abort.yaml',
      `checks:
  - name: Long check
    request: GET /forever
    samples: 1000
    warmup: 0
`,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const out = path.join(work, 'out-abort');
    const started = Date.now();
    const outcome = await runCli(['run', spec, '--out', out], { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome.exitCode).toBe(130);
    expect(outcome.stderr).toContain('interrupted');
    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    expect(json.aborted).toBe(true);
    const samples = json.specs[0].checks[0].probes[0].data.warm.count;
    expect(samples).toBeGreaterThan(0);
    expect(samples).toBeLessThan(1000);
    expect(await readFile(path.join(out, 'perfspec-report.md'), 'utf8')).toContain('ABORTED (partial results)');
    expect((await expectValidJunit(out)).suites[0].properties).toContainEqual({ name: 'perfspec.aborted', value: 'true' });
  });

  it('Ctrl-C during a load scenario stops the load within 2 s and reports the partial figures, marked aborted', async () => {
    const spec = await writeSpec(
      'abort-load.yaml',
      `load:
  users: 5
  duration: 60s
  flows:
    - name: Browse
      steps: [GET /fast]
  thresholds:
    p95: "< 1s"
`,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2500);
    const out = path.join(work, 'out-abort-load');
    const started = Date.now();
    const outcome = await runCli(['run', spec, '--out', out, '--reporter', 'json,console'], { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(2500 + 2000 + 1000);
    expect(outcome.exitCode).toBe(130);
    const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    expect(json.aborted).toBe(true);
    const load = json.specs[0].checks.find((check: { section: string }) => check.section === 'load');
    expect(load.probes[0].data.aborted).toBe(true);
    expect(load.probes[0].data.overall.requests).toBeGreaterThan(0);
    expect(outcome.stdout).toContain('ABORTED');
  });

  it('target.start starts the service with PORT and env, and stops it afterwards', async () => {
    const port = await freePort();
    const pidFile = path.join(work, 'server.pid');
    const spec = path.join(work, 'start.yaml');
    await writeFile(
      spec,
      `perfspec: 1
name: start
target:
  baseUrl: http://127.0.0.1:${port}
  start:
    command: node ${path.resolve('test/fixtures/servers/port-server.mjs')}
    ready: /health
    env: { GREETING: hello, PID_FILE: "${pidFile}" }
checks:
  - name: Greeting
    request: GET /anything
    samples: 3
    warmup: 0
    expect: { json: { "$.greeting": hello } }
`,
    );
    const outcome = await runCli(['run', spec, '--reporter', 'console']);
    expect(outcome.exitCode).toBe(0);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('a start command that dies: exit 3 with its output', async () => {
    const spec = path.join(work, 'start-fail.yaml');
    await writeFile(
      spec,
      `perfspec: 1\nname: dies\ntarget:\n  baseUrl: http://127.0.0.1:${await freePort()}\n  start:\n    command: "echo cannot bind; exit 7"\n    reuseExisting: false\n`,
    );
    const outcome = await runCli(['run', spec, '--reporter', 'console']);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stdout).toContain('target.start command exited with code 7');
    expect(outcome.stdout).toContain('| cannot bind');
  });
});

describe('perfspec init', () => {
  it('writes a starter spec that validates, and will not overwrite it', async () => {
    const file = path.join(work, 'starter', 'perfspec.yaml');
    expect((await runCli(['init', file])).exitCode).toBe(0);
    expect((await runCli(['validate', file])).exitCode).toBe(0);
    expect(await readFile(file, 'utf8')).toMatch(/^# yaml-language-server: \$schema=.*schemas\/perfspec\.schema\.json/);
    const again = await runCli(['init', file]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already exists');
  });
});

describe('the installed bin', () => {
  it('runs from dist with a clean message and exit code', async () => {
    const result = await promisify(execFile)('node', ['bin/perfspec.js', 'validate', 'test/fixtures/specs/invalid/bad-duration.yaml']).catch((error) => error);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'test/fixtures/specs/invalid/bad-duration.yaml:5:12 target.timeout: "5 seconds" is not a duration; write it like "250ms", "1.5s" or "15m"\n\n1 problem in 1 spec\n',
    );
  });
});
