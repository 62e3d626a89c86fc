/**
 * per-vu-iterations against a real HTTP server on 127.0.0.1 that counts what it received: the
 * ground truth for "each user runs exactly `iterations` iterations", whole, across worker threads
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
  server = await startScriptedServer({ '/one': {}, '/two': {}, '/three': {}, '/slow': { delayMs: 300 } });
});
afterAll(() => server.close());

const scenario = (path: string, extra: Record<string, unknown>): LoadScenarioConfig =>
  ({ name: 'per-vu', executor: 'per-vu-iterations', flows: [{ name: 'f', steps: [`GET ${path}`] }], ...extra }) as LoadScenarioConfig;

const completedVerdict = (report: Awaited<ReturnType<typeof runLoad>>) =>
  judgeLoadReport(report, [], 'Load: per-vu').find((v) => v.metric === 'load.iterations_completed');

describe('per-vu-iterations', () => {
  it('sends exactly users × iterations requests of a one-request flow, and ends when they are done', async () => {
    const report = await runLoad(scenario('/one', { users: 3, iterations: 7 }), { baseUrl: server.url });
    expect(server.hits.get('/one')).toBe(21);
    expect(report.iterations).toMatchObject({ started: 21, completed: 21, planned: 21 });
    expect(report.overall.requests).toBe(21);
    // It ended when the iterations were done, long before its 10m limit.
    expect(report.elapsedMs).toBeLessThan(report.plannedMs);
    expect(report.peakUsers).toBeLessThanOrEqual(3);
    expect(completedVerdict(report)).toMatchObject({ passed: true, actual: '21', message: 'all 21 planned iterations completed' });
  });

  it('the same with two generator threads, and split over two shards whose union is the whole plan', async () => {
    const threaded = await runLoad(scenario('/two', { users: 5, iterations: 4, workers: 2 }), { baseUrl: server.url });
    expect(server.hits.get('/two')).toBe(20);
    expect(threaded.iterations).toMatchObject({ completed: 20, planned: 20 });

    const shards = [];
    for (const index of [0, 1, 2])
      shards.push(await runLoad(scenario('/three', { users: 5, iterations: 3 }), { baseUrl: server.url, shard: { index, count: 3 } }));
    expect(server.hits.get('/three')).toBe(15);
    // Users 1…5 striped over three shards: 2, 2 and 1 users, each with its full quota.
    expect(shards.map((r) => r.iterations.planned)).toEqual([6, 6, 3]);
    expect(shards.map((r) => r.iterations.completed)).toEqual([6, 6, 3]);
  });

  it('maxDuration stops a slow run early, and the report says how many of the planned iterations completed', async () => {
    const report = await runLoad(scenario('/slow', { users: 2, iterations: 50, maxDuration: '1s' }), { baseUrl: server.url });
    const received = server.hits.get('/slow') ?? 0;
    const { started, completed, planned } = report.iterations;
    expect(planned).toBe(100);
    // Every request the server received was answered within the graceful stop: each one is a completed iteration.
    expect(completed).toBe(received);
    expect(started).toBe(completed);
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThan(100);
    const verdict = completedVerdict(report);
    expect(verdict).toMatchObject({ passed: false, level: 'warn', actual: String(completed), target: '100' });
    expect(verdict?.message).toBe(`${completed} of 100 planned iterations completed; ${100 - started} never started: the time limit of 1s ended the run first`);
    const probe = presentLoadReport(report, new Map([['f', 1]]));
    expect(probe.notes).toContain(`The time limit of 1s ended the run: ${completed} of 100 planned iterations completed, ${100 - started} never started.`);
    expect(probe.tables.find((t) => t.title === 'Run')?.rows).toContainEqual([
      'Iterations',
      `${started} started, ${completed} completed of 100 planned, 0 dropped, 0 late`,
    ]);
  });
});

describe('per-vu-iterations in a spec', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfspec-per-vu-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const spec = (load: string) => {
    const file = path.join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      [
        'perfspec: 1',
        'name: Per VU',
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

  it('validates with its own keys, and exits 2 naming what is missing or wrong', async () => {
    expect((await runCli(['validate', spec('  executor: per-vu-iterations\n  users: 2\n  iterations: 3\n  maxDuration: 30s')])).exitCode).toBe(0);

    const missing = await runCli(['validate', spec('  executor: per-vu-iterations\n  users: 2')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('load: load scenario "load": executor per-vu-iterations needs iterations (how many iterations each user runs)');

    const foreign = await runCli(['validate', spec('  executor: constant-users\n  users: 2\n  duration: 5s\n  iterations: 3')]);
    expect(foreign.exitCode).toBe(2);
    expect(foreign.stderr).toMatch(/load scenario "load": iterations is a setting of executor per-vu-iterations.*, not of constant-users/);

    const zero = await runCli(['validate', spec('  executor: per-vu-iterations\n  iterations: 0')]);
    expect(zero.exitCode).toBe(2);
    expect(zero.stderr).toContain('load.iterations');
  });
});
