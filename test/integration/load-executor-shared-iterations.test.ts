/**
 * shared-iterations against a real HTTP server on 127.0.0.1 that counts what it received: the
 * ground truth for "exactly `iterations` in all, shared by the users", whole, across worker threads
 * and across shards, and for maxDuration ending a slow run early.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../src/load/index.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';
import { judgeLoadReport } from '../../src/probes/load/judge.js';
import { presentLoadReport } from '../../src/probes/load/present.js';
import { runCli } from '../helpers/run-cli.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer;

beforeAll(async () => {
  server = await startScriptedServer({ '/one': {}, '/two': {}, '/three': {}, '/slow': { delayMs: 300 }, '/vu/1': {}, '/vu/2': { delayMs: 300 } });
});
afterAll(() => server.close());

const scenario = (path: string, extra: Record<string, unknown>): LoadScenarioConfig =>
  ({ name: 'shared', executor: 'shared-iterations', flows: [{ name: 'f', steps: [`GET ${path}`] }], ...extra }) as LoadScenarioConfig;

const present = (report: Awaited<ReturnType<typeof runLoad>>) => ({
  verdicts: judgeLoadReport(report, [], 'Load: shared'),
  ...presentLoadReport(report, new Map([['f', 1]])),
});

describe('shared-iterations', () => {
  it('sends exactly `iterations` requests of a one-request flow, and ends when they are done', async () => {
    const report = await runLoad(scenario('/one', { users: 3, iterations: 17 }), { baseUrl: server.url });
    expect(server.hits.get('/one')).toBe(17);
    expect(report.iterations).toMatchObject({ started: 17, completed: 17, planned: 17 });
    expect(report.elapsedMs).toBeLessThan(report.plannedMs);
    expect(present(report).verdicts.find((v) => v.metric === 'load.iterations_completed')).toMatchObject({
      passed: true,
      message: 'all 17 planned iterations completed',
    });
  });

  it('a free user takes the next iteration: a fast user runs more of them than a slow one', async () => {
    // User 1's requests are answered at once, user 2's after 300 ms: the shared total goes mostly to user 1.
    const report = await runLoad(scenario('/vu/${vu.id}', { users: 2, iterations: 20 }), { baseUrl: server.url });
    const fast = server.hits.get('/vu/1') ?? 0;
    const slow = server.hits.get('/vu/2') ?? 0;
    expect(fast + slow).toBe(20);
    expect(fast).toBeGreaterThan(slow);
    expect(report.iterations).toMatchObject({ completed: 20, planned: 20 });
  });

  it('the same total with two generator threads, and split over three shards whose union is the whole plan', async () => {
    const threaded = await runLoad(scenario('/two', { users: 4, iterations: 11, workers: 2 }), { baseUrl: server.url });
    expect(server.hits.get('/two')).toBe(11);
    expect(threaded.iterations).toMatchObject({ completed: 11, planned: 11 });

    const shards = [];
    for (const index of [0, 1, 2])
      shards.push(await runLoad(scenario('/three', { users: 4, iterations: 10 }), { baseUrl: server.url, shard: { index, count: 3 } }));
    expect(server.hits.get('/three')).toBe(10);
    expect(shards.map((r) => r.iterations.planned)).toEqual([5, 3, 2]);
    expect(shards.map((r) => r.iterations.completed)).toEqual([5, 3, 2]);
  });

  it('maxDuration stops a slow run early, and the report says how many of the planned iterations completed', async () => {
    const report = await runLoad(scenario('/slow', { users: 2, iterations: 100, maxDuration: '1s' }), { baseUrl: server.url });
    const received = server.hits.get('/slow') ?? 0;
    const { started, completed, planned } = report.iterations;
    expect(planned).toBe(100);
    // Every request the server received was answered within the graceful stop: each one is a completed iteration.
    expect(completed).toBe(received);
    expect(started).toBe(completed);
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThan(100);
    const probe = present(report);
    expect(probe.verdicts.find((v) => v.metric === 'load.iterations_completed')).toMatchObject({
      passed: false,
      level: 'warn',
      target: '100',
      actual: String(completed),
      message: `${completed} of 100 planned iterations completed; ${100 - started} never started: the time limit of 1s ended the run first`,
    });
    expect(probe.notes).toContain(`The time limit of 1s ended the run: ${completed} of 100 planned iterations completed, ${100 - started} never started.`);
  });
});

describe('shared-iterations in a spec', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfspec-shared-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const spec = (load: string) => {
    const file = path.join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      [
        'perfspec: 1',
        'name: Shared',
        'target:',
        '  baseUrl: http://127.0.0.1:9',
        'load:',
        load,
        '  flows:',
        '    - name: f',
        '      steps: [GET /one]',
        '',
      ].join('\n'),
    );
    return file;
  };

  it('validates with its own keys, and exits 2 on fewer iterations than users or none', async () => {
    expect((await runCli(['validate', spec('  executor: shared-iterations\n  users: 2\n  iterations: 30\n  maxDuration: 30s')])).exitCode).toBe(0);

    const fewer = await runCli(['validate', spec('  executor: shared-iterations\n  users: 5\n  iterations: 3')]);
    expect(fewer.exitCode).toBe(2);
    expect(fewer.stderr).toContain('load: load scenario "load": iterations (3) may not be fewer than users (5) with executor shared-iterations');

    const missing = await runCli(['validate', spec('  executor: shared-iterations\n  users: 2')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('load: load scenario "load": executor shared-iterations needs iterations (how many iterations all users run together)');
  });
});
