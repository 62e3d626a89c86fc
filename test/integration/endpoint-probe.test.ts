/**
 * The endpoint probe against a real server with known delays and statuses: every figure it
 * reports is compared with what the server did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { buildRequest } from '../../src/engine/request-builder.js';
import { endpointProbe, judgeEndpoint, measureEndpoint } from '../../src/probes/endpoint/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer;
const http = createHttpClient();

beforeAll(async () => {
  server = await startScriptedServer({
    '/delay-20': { delayMs: 20 },
    '/fast': {},
    // Known mix: every 10th measured request answers 500.
    '/flaky': { status: (index) => (index % 10 === 9 ? 500 : 200) },
    '/hang': { hang: true },
    '/json': { body: (index) => JSON.stringify({ status: index < 3 ? 'ok' : 'degraded' }) },
  });
});
afterAll(async () => {
  await http.close();
  await server.close();
});

function context(): ProbeContext {
  return {
    http,
    services: { get: () => { throw new Error('no services'); }, has: () => false },
    buildRequest: (template) => buildRequest(template, { vars: {} }, { baseUrl: server.url, defaultHeaders: {} }),
    resolve: (text) => text,
    vars: {},
    baseUrl: server.url,
    signal: new AbortController().signal,
    progress: { update: () => undefined, info: () => undefined },
    now: () => performance.now(),
    specDir: '.',
  };
}

function check(path: string, overrides: Partial<PlannedCheck> = {}, raw: Record<string, unknown> = {}): PlannedCheck {
  return {
    name: path,
    index: 0,
    request: { method: 'GET', url: path, headers: {}, query: {} },
    samples: 30,
    warmup: 3,
    concurrency: 1,
    timeoutMs: 2000,
    expectStatus: [200],
    inconclusive: 'warn',
    maxSamples: 1,
    maxSampleTimeMs: 1000,
    repeat: 1,
    raw,
    ...overrides,
  };
}

describe('endpoint probe', () => {
  it('reports the p50 of a 20 ms endpoint: never below what the server held, above it by no more than a fast request costs', async () => {
    server.held.set('/delay-20', []);
    const measured = await measureEndpoint(check('/delay-20', { samples: 40 }), context());
    const held = server.held.get('/delay-20')!.slice(-40);
    // Judged against the machine's own overhead measured right after, not a constant a loaded machine can break.
    const fast = await measureEndpoint(check('/fast', { samples: 40 }), context());
    expect(measured.warm.count).toBe(40);
    // Histogram buckets are 0.1 % wide at 20 ms: 0.05 ms of slack for rounding.
    const heldMin = Math.min(...held);
    const heldMedian = [...held].sort((a, b) => a - b)[19];
    expect(measured.warm.min).toBeGreaterThanOrEqual(heldMin - 0.05);
    expect(measured.warm.p50).toBeGreaterThanOrEqual(heldMedian - 0.05);
    expect(measured.warm.p50 - heldMedian).toBeLessThanOrEqual(fast.warm.max + 5);
    // The interval brackets the point estimate and cannot reach below the server's hold.
    expect(measured.estimates.p50.lower).toBeGreaterThanOrEqual(heldMin - 0.05);
    expect(measured.estimates.p50.upper!).toBeGreaterThanOrEqual(measured.warm.p50);
  });

  it('sends one cold request, then the warm-up, then exactly the samples — and measures only the samples', async () => {
    const before = server.hits.get('/fast') ?? 0;
    const measured = await measureEndpoint(check('/fast', { samples: 25, warmup: 4 }), context());
    expect((server.hits.get('/fast') ?? 0) - before).toBe(1 + 4 + 25);
    expect(measured.warm.count).toBe(25);
    expect(measured.cold.status).toBe(200);
    expect(measured.cold.durationMs).toBeGreaterThan(0);
  });

  it('counts unexpected statuses exactly and fails the status budget', async () => {
    server.hits.set('/flaky', 0);
    // Requests 0..3 are cold + warm-up; measured are 4..33, of which 9, 19, 29 answer 500.
    const planned = check('/flaky', { samples: 30, warmup: 3 });
    const measured = await measureEndpoint(planned, context());
    expect(measured.statuses).toEqual({ '200': 27, '500': 3 });
    expect(measured.unexpected).toBe(3);
    const status = judgeEndpoint(planned, measured).find((verdict) => verdict.metric === 'status')!;
    expect(status).toMatchObject({ passed: false, actualValue: 3, actual: '27× 200, 3× 500' });
    expect(status.message).toBe('3 of 30 requests failed (27× 200, 3× 500); expected status 200');
  });

  it('counts timeouts as errors, and a budget with nothing measured fails', async () => {
    const planned = check('/hang', { samples: 2, warmup: 0, timeoutMs: 150 }, { latency: { p95: '< 1s' } });
    const result = await endpointProbe.run(planned, context());
    const data = result.data as { errors: Record<string, number> };
    expect(data.errors).toEqual({ 'cold: timeout': 1, timeout: 2 });
    const p95 = result.verdicts.find((verdict) => verdict.metric === 'latency.p95')!;
    expect(p95).toMatchObject({ passed: false, actual: 'n/a' });
    expect(result.verdicts.find((verdict) => verdict.metric === 'status')).toMatchObject({ passed: false, actual: '2× timeout' });
  });

  it('judges latency budgets by their interval: a server holding 20 ms fails p50 < 10ms outright', async () => {
    const planned = check('/delay-20', { samples: 20 }, { latency: { p50: '< 10ms', p95: '< 2s' } });
    const result = await endpointProbe.run(planned, context());
    const byMetric = Object.fromEntries(result.verdicts.map((verdict) => [verdict.metric, verdict]));
    // A failure measured twice on a saturated host is inconclusive by rule (the machine is shared).
    const data = result.data as { attempts: Array<{ host: { saturated: boolean } }> };
    const saturatedTwice = data.attempts.length === 2 && data.attempts.every((a) => a.host.saturated);
    expect(byMetric['latency.p50']).toMatchObject({ outcome: saturatedTwice ? 'inconclusive' : 'fail', passed: false });
    if (saturatedTwice) expect(byMetric['latency.p50'].message).toContain('saturated');
    expect(byMetric['latency.p50'].interval!.lower).toBeGreaterThanOrEqual(19);
    // 20 samples cannot bound a p95 from above (72 can): without adaptive sampling it cannot pass.
    expect(byMetric['latency.p95']).toMatchObject({ outcome: 'inconclusive', interval: { upper: null, samples: 20, samplesNeeded: 72 } });
    expect(result.notes.join(' ')).toContain('fewer than the 72');
  });

  it('samples adaptively until the verdict is conclusive', async () => {
    const before = server.hits.get('/delay-20') ?? 0;
    const planned = check('/delay-20', { samples: 20, warmup: 0, maxSamples: 200, maxSampleTimeMs: 30_000 }, { latency: { p95: '< 2s' } });
    const result = await endpointProbe.run(planned, context());
    const p95 = result.verdicts.find((verdict) => verdict.metric === 'latency.p95')!;
    expect(p95.outcome).toBe('pass');
    const data = result.data as { warm: { count: number }; adaptive: { stoppedBy: string; samples: number } };
    // 20, then straight to the 72 a p95 needs: no more requests than the server answered.
    expect(data.adaptive).toMatchObject({ stoppedBy: 'conclusive', samples: 72 });
    expect(data.warm.count).toBe(72);
    expect((server.hits.get('/delay-20') ?? 0) - before).toBe(1 + 72);
  });

  it('stops adaptive sampling at maxSamples and leaves the verdict inconclusive', async () => {
    const planned = check('/delay-20', { samples: 10, warmup: 0, maxSamples: 30, maxSampleTimeMs: 30_000 }, { latency: { p99: '< 2s' } });
    const result = await endpointProbe.run(planned, context());
    expect(result.verdicts.find((verdict) => verdict.metric === 'latency.p99')).toMatchObject({ outcome: 'inconclusive' });
    expect(result.data).toMatchObject({ warm: { count: 30 }, adaptive: { stoppedBy: 'maxSamples', samples: 30 } });
  });

  it('repeat: measures N times and judges the median run, every run in the report', async () => {
    const planned = check('/delay-20', { samples: 5, warmup: 0, repeat: 3 }, { latency: { max: '< 2s' } });
    const result = await endpointProbe.run(planned, context());
    const data = result.data as { runs: Array<{ warm: { count: number; max: number } }>; medianRun: number; rankedBy: string };
    expect(data.runs).toHaveLength(3);
    expect(data.rankedBy).toBe('max');
    const sorted = data.runs.map((run) => run.warm.max).sort((a, b) => a - b);
    expect(data.runs[data.medianRun].warm.max).toBe(sorted[1]);
    expect(result.tables.find((table) => table.title.startsWith('Runs'))!.rows).toHaveLength(3);
  });

  it('checks expect.json on every measured response', async () => {
    server.hits.set('/json', 0);
    // Responses 0..2 say ok; cold + 1 warm-up use 0 and 1, so measured 2..6 → 1 ok, 4 degraded.
    const planned = check('/json', { samples: 5, warmup: 1 }, { expect: { json: { '$.status': 'ok' } } });
    const result = await endpointProbe.run(planned, context());
    expect(result.verdicts.find((verdict) => verdict.metric === 'expect.json')).toMatchObject({
      passed: false,
      actual: '4 mismatched',
      message: '$.status: expected "ok", got "degraded"',
    });
  });

  it('keeps the requested concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = await startScriptedServer({});
    // Wrap the client to observe in-flight requests as the probe issues them.
    const observed = {
      ...http,
      send: async (...args: Parameters<typeof http.send>) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        try {
          return await http.send(...args);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const ctx = { ...context(), http: observed };
    await measureEndpoint(check('/delay-20', { samples: 20, warmup: 0, concurrency: 4 }), ctx);
    expect(peak).toBe(4);
    await slow.close();
  });
});
