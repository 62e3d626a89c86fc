/**
 * The load probe's judge and present on a hand-written measurement (src/probes/load/measurement.ts):
 * which verdicts each scenario gets, and what each result shows (tables, notes in their order, the
 * data the JSON report and `perfspec merge` read), without running a load. And the probe composed
 * by the engine (runSpecProbe) with measure replaced by that measurement.
 */
import { describe, expect, it } from 'vitest';
import { runSpecProbe } from '../../src/engine/run-spec-probe.js';
import { parseThresholds } from '../../src/load/thresholds/parse-thresholds.js';
import type { LoadReport, RequestStats } from '../../src/load/types.js';
import { loadProbe } from '../../src/probes/load/index.js';
import { judgeLoad } from '../../src/probes/load/judge.js';
import type { LoadMeasurement, ScenarioRun } from '../../src/probes/load/measurement.js';
import { presentLoad } from '../../src/probes/load/present.js';
import type { QueriesUnderLoad } from '../../src/probes/load/queries-under-load.js';
import type { LoadSection } from '../../src/probes/load/section.js';
import type { ProbeContext } from '../../src/probes/types.js';

const latency = { count: 100, min: 1, mean: 5, p50: 4, p90: 8, p95: 9, p99: 12, 'p99.9': 15, max: 20 };

function stats(name: string, requests: number, errors: number, extra: Partial<RequestStats> = {}): RequestStats {
  const errorRate = (errors / requests) * 100;
  return {
    name,
    requests,
    errors,
    successRate: 100 - errorRate,
    errorRate,
    throughput: requests / 2,
    latency,
    statusCodes: { '200': requests - errors, '500': errors },
    errorKinds: {},
    ...extra,
  };
}

function report(extra: Partial<LoadReport> = {}): LoadReport {
  return {
    scenario: 'mixed',
    executor: 'constant-users',
    workers: 1,
    plannedMs: 2000,
    elapsedMs: 2000,
    aborted: false,
    overall: stats('', 200, 10),
    uncorrected: latency,
    requests: [stats('GET /a', 150, 10), stats('GET /b', 50, 0)],
    flows: [stats('', 150, 10, { flow: 'Browse' }), stats('', 50, 0, { flow: 'Report' })],
    regions: [],
    iterations: { started: 100, completed: 100, dropped: 0, late: 0 },
    peakUsers: 4,
    timeline: [
      { second: 1, requests: 100, errors: 5, p50: 4, p95: 9, p99: 12, users: 4, dropped: 0, byName: {}, late: 0, lagMs: 0 },
      { second: 2, requests: 100, errors: 5, p50: 4, p95: 9, p99: 12, users: 4, dropped: 0, byName: {}, late: 0, lagMs: 0 },
    ],
    health: { trustworthy: true, reasons: [], eventLoopDelayP99Ms: 2, eventLoopUtilization: 0.2, cpuCores: 0.3 },
    ...extra,
  };
}

const queries: QueriesUnderLoad = {
  requests: [
    {
      name: 'GET /a',
      requests: 150,
      traced: 150,
      statements: { total: 900, p50: 6, p95: 6, max: 7 },
      dbMsPerRequest: 1.5,
      nPlusOne: [{ statement: 'SELECT * FROM items WHERE id = $1', requests: 150, maxPerRequest: 5 }],
    },
  ],
  attributedStatements: 900,
  unattributedStatements: 3,
  unattributedTop: [{ statement: 'SELECT 1', count: 3 }],
};

const mixed: ScenarioRun = {
  kind: 'run',
  name: 'Load: mixed',
  description: 'Mixed flows.',
  request: 'constant-users: 4 users for 2s (constant-users)',
  durationMs: 2100,
  report: report({ shardData: { startedAtEpochMs: 1, readyAtEpochMs: 1 } as LoadReport['shardData'] }),
  thresholds: parseThresholds({ error_rate: '< 1%' }),
  flowWeights: [
    ['Browse', 3],
    ['Report', 1],
  ],
  queryThresholds: [{ request: 'GET /a', queries: { text: '<= 5', max: 5 }, nPlusOne: 'forbid' }],
  queries,
  shard: { run: { index: 1, count: 2 }, thresholds: { error_rate: '< 1%' } },
};

const starved: ScenarioRun = {
  kind: 'run',
  name: 'Load: starved',
  request: 'shared-iterations: 10 iterations shared by 2 users (shared-iterations)',
  durationMs: 900,
  report: report({
    scenario: 'starved',
    executor: 'shared-iterations',
    overall: stats('', 200, 0, { errorKinds: { too_many_open_files: 4 } }),
    iterations: { started: 8, completed: 7, dropped: 0, late: 2, planned: 10 },
    stoppedEarly: { by: 'resources', reason: 'too many open files (raise ulimit -n)', atMs: 800 },
  }),
  thresholds: [],
  flowWeights: [['Browse', 1]],
  queryThresholds: [{ request: 'GET /a', queries: { text: '<= 5', max: 5 } }],
  queries: 'no proxy',
};

const measurement: LoadMeasurement = {
  scenarios: [
    mixed,
    starved,
    {
      kind: 'scalability',
      name: 'Load: scale',
      request: 'scalability: up to 30/s per replica, 10s per replica count (breakpoint search)',
      durationMs: 20000,
      points: [
        { replicas: 1, highestPassingRate: 30, throughput: 30, brokeAtRate: null, efficiency: 1 },
        { replicas: 2, highestPassingRate: 30, throughput: 30, brokeAtRate: 36, efficiency: 0.5 },
      ],
      reports: [],
      minEfficiency: 0.75,
    },
  ],
};

const outcomes = (verdicts: Array<{ metric: string; outcome: string }>) => verdicts.map((v) => `${v.metric} ${v.outcome}`);

describe('load judge', () => {
  it('judges each scenario on its own budgets, in a fixed order', () => {
    const [run, stopped, scale] = judgeLoad(measurement);
    expect(outcomes(run)).toEqual([
      'load.error_rate fail',
      'load.dropped_iterations pass',
      'load.generator_resources pass',
      'load.protocol_errors pass',
      'load.generator pass',
      'requests.GET /a.queries fail',
      'requests.GET /a.nPlusOne fail',
    ]);
    expect(run.every((v) => v.check === 'Load: mixed' && v.probe === 'load')).toBe(true);
    expect(run[0]).toMatchObject({ target: '< 1%', level: 'error' });
    expect(run[5]).toMatchObject({ actual: '7', target: '<= 5' });
    // Stopped by the generator's own resources: no generator_resources verdict (the result is an error instead);
    // the query threshold cannot be judged without the proxy.
    expect(outcomes(stopped)).toEqual([
      'load.dropped_iterations pass',
      'load.iterations_completed fail',
      'load.protocol_errors pass',
      'load.generator pass',
      'requests.GET /a.queries inconclusive',
    ]);
    expect(stopped[1].message).toBe(
      '7 of 10 planned iterations completed; 2 never started: the time limit of 2s ended the run first; 1 ended on a failed request or were cut at the end',
    );
    expect(stopped[4].message).toMatch(/need services\.postgres with source: proxy/);
    expect(outcomes(scale)).toEqual(['load.scalability.one_replica pass', 'load.scalability.efficiency_2 fail']);
    expect(scale[1]).toMatchObject({ target: '>= 0.75', actual: '0.50', level: 'warn' });
  });

  it('judges nothing on queries that nobody asked for', () => {
    const [verdicts] = judgeLoad({ scenarios: [{ ...starved, queries: undefined, queryThresholds: [] }] });
    expect(verdicts.some((v) => v.metric.startsWith('requests.'))).toBe(false);
  });
});

describe('load present', () => {
  it('shows each scenario with its description first, a shard mark, the queries table after Requests, and the report as data', () => {
    const before = structuredClone(measurement);
    const [run, stopped, scale] = presentLoad(measurement);
    // Present builds its own objects: the measurement is left as measured.
    expect(measurement).toEqual(before);

    expect(run).toMatchObject({ name: 'Load: mixed', request: mixed.request, durationMs: 2100 });
    expect(run.probe.notes).toEqual([
      'Mixed flows.',
      "Shard 1/2: these figures and verdicts cover this shard's share only; `perfspec merge` judges the whole run.",
      '3 statements during the run carried no traceparent (unattributed): 3× SELECT 1.',
    ]);
    expect(run.probe.tables.map((t) => t.title)).toEqual([
      'Requests',
      'Queries per request (attributed by traceparent)',
      'Flows',
      'Statuses and errors',
      'Latency: from intended send time (reported) vs from actual send time (hides queueing)',
      'Run',
    ]);
    expect(run.probe.tables[1].rows[0]).toEqual([
      'GET /a',
      '150',
      '150',
      '6',
      '6',
      '7',
      '1.50ms',
      'SELECT * FROM items WHERE id = $1 (up to 5× per request, in 150 requests)',
    ]);
    expect(run.probe.tables[2].rows.map((r) => r.slice(0, 2))).toEqual([
      ['Browse', '75%'],
      ['Report', '25%'],
    ]);
    // The data is the report, keys in its order, with the queries after them and what the merge needs in shardData.
    const data = run.probe.data as Record<string, unknown>;
    expect(Object.keys(data)).toEqual([...Object.keys(mixed.report), 'queries']);
    expect(data.queries).toEqual(queries);
    expect(data.shardData).toEqual({
      startedAtEpochMs: 1,
      readyAtEpochMs: 1,
      scenario: { thresholds: { error_rate: '< 1%' }, flowWeights: { Browse: 3, Report: 1 }, description: 'Mixed flows.', request: mixed.request },
    });
    expect(run.probe.error).toBeUndefined();

    expect(stopped.probe.notes).toEqual([
      'The time limit of 2s ended the run: 7 of 10 planned iterations completed, 2 never started.',
      'Stopped after 800ms of 2s: too many open files (raise ulimit -n). The figures cover what ran until then.',
      '2 iterations started more than 10ms behind schedule (generator lag).',
    ]);
    expect(stopped.probe.tables.map((t) => t.title)).not.toContain('Queries per request (attributed by traceparent)');
    expect(stopped.probe.data).toEqual(starved.report);
    expect(stopped.probe.error).toBe('stopped after 800ms: too many open files (raise ulimit -n)');

    expect(scale.probe.tables.map((t) => t.title)).toEqual(['Scalability: highest throughput meeting the SLA per replica count', 'Scalability steps']);
    expect(scale.probe.tables[0].rows).toEqual([
      ['1', '30.0/s', '30.0/s', 'never', '1.00'],
      ['2', '30.0/s', '30.0/s', '36.0/s', '0.50'],
    ]);
    expect(scale.probe.series?.[1].points).toEqual([
      [1, 30],
      [2, 60],
    ]);
  });
});

describe('load probe composed by the engine', () => {
  it("pairs each scenario's verdicts with its presentation and takes the status from them", async () => {
    const probe = { ...loadProbe, measure: async () => measurement };
    const results = await runSpecProbe(probe, {} as LoadSection, {} as ProbeContext, { select: {} });
    expect(results.map((r) => [r.name, r.section, r.status])).toEqual([
      ['Load: mixed', 'load', 'failed'],
      ['Load: starved', 'load', 'error'],
      ['Load: scale', 'load', 'warned'],
    ]);
    const judged = judgeLoad(measurement);
    expect(results.map((r) => r.probes[0].verdicts)).toEqual(judged);
    expect(Object.keys(results[1].probes[0])).toEqual(['kind', 'verdicts', 'tables', 'series', 'notes', 'data', 'error']);
  });
});
