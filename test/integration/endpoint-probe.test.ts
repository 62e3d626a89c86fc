/**
 * The endpoint probe against a real server with known delays and statuses: every figure it
 * reports is compared with what the server did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/generated/spec-types.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildRequest } from '../../src/engine/request-builder.js';
import { stopCalibrationResponder, CALIBRATION_SAMPLES } from '../../src/probes/endpoint/calibration.js';
import { endpointProbe, judgeEndpoint, measureEndpoint, type EndpointMeasurement } from '../../src/probes/endpoint/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';
import { runCheckProbe } from '../../src/engine/run-check-probe.js';

let server: ScriptedServer;
const undici = createHttpClient();

beforeAll(async () => {
  server = await startScriptedServer({
    '/delay-20': { delayMs: 20 },
    '/fast': {},
    // Known mix: every 10th measured request answers 500.
    '/flaky': { status: (index) => (index % 10 === 9 ? 500 : 200) },
    '/hang': { hang: true },
    '/json': { body: (index) => JSON.stringify({ status: index < 3 ? 'ok' : 'degraded' }) },
    '/moved': { status: 302 },
  });
});
afterAll(async () => {
  await undici.close();
  await server.close();
  await stopCalibrationResponder();
});

/** The p-th percentile of what the server held (nearest rank), the ground truth for the probe's figure. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function context(): ProbeContext {
  return {
    http: undici,
    services: {
      get: () => {
        throw new Error('no services');
      },
      has: () => false,
    },
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

function check(path: string, overrides: Partial<PlannedCheck> = {}, raw: Partial<Check> = {}): PlannedCheck {
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
    raw: { name: path, request: `GET ${path}`, ...raw },
    ...overrides,
  };
}

describe('endpoint probe', () => {
  it('reports the p50 of a 20 ms endpoint within ±1 ms of what the server really held', async () => {
    // The probe's own bias is what is judged: on a machine whose CPUs are taken by others (CI beside
    // `stress-ng --cpu 2`) the process waits for a core between the server's answer and the client's
    // read, which only ever adds time. So up to five measurements are taken, each must hold every
    // bound below, and at least one must come within ±1 ms (the first does on a machine with a core free).
    const gaps: number[] = [];
    for (let attempt = 0; attempt < 5 && !gaps.some((gap) => Math.abs(gap) <= 1); attempt += 1) {
      server.held.set('/delay-20', []);
      const measured = await measureEndpoint(check('/delay-20', { samples: 40 }), context());
      const held = server.held.get('/delay-20')!.slice(-40);
      expect(measured.warm.count).toBe(40);
      expect(measured.client).toBe('http1');
      // The server's own clock: from each request's arrival to its response's end (cold + warm-up + samples).
      expect(held).toHaveLength(40);
      gaps.push(measured.warm.p50 - percentile(held, 50));
      // Every span contains its request's stay on the server, so no figure can be below what the server
      // held. Histogram buckets are 0.1 % wide at 20 ms: 0.05 ms of slack for rounding.
      const heldMin = Math.min(...held);
      expect(measured.warm.min).toBeGreaterThanOrEqual(heldMin - 0.05);
      expect(measured.warm.p50).toBeGreaterThanOrEqual(percentile(held, 50) - 0.05);
      // The interval brackets the point estimate and cannot reach below the server's hold.
      expect(measured.estimates.p50.lower).toBeGreaterThanOrEqual(heldMin - 0.05);
      expect(measured.estimates.p50.upper!).toBeGreaterThanOrEqual(measured.warm.p50);
    }
    expect(
      gaps.some((gap) => Math.abs(gap) <= 1),
      `p50 minus the held p50, per attempt: ${gaps.map((gap) => gap.toFixed(3)).join(', ')} ms`,
    ).toBe(true);
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
    const result = await runCheckProbe(endpointProbe, planned, context());
    const data = result.data as { errors: Record<string, number> };
    expect(data.errors).toEqual({ 'cold: timeout': 1, timeout: 2 });
    const p95 = result.verdicts.find((verdict) => verdict.metric === 'latency.p95')!;
    expect(p95).toMatchObject({ passed: false, actual: 'n/a' });
    expect(result.verdicts.find((verdict) => verdict.metric === 'status')).toMatchObject({ passed: false, actual: '2× timeout' });
  });

  it('judges latency budgets by their interval: a server holding 20 ms fails p50 < 10ms outright', async () => {
    const planned = check('/delay-20', { samples: 20 }, { latency: { p50: '< 10ms', p95: '< 2s' } });
    const result = await runCheckProbe(endpointProbe, planned, context());
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
    const result = await runCheckProbe(endpointProbe, planned, context());
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
    const result = await runCheckProbe(endpointProbe, planned, context());
    expect(result.verdicts.find((verdict) => verdict.metric === 'latency.p99')).toMatchObject({ outcome: 'inconclusive' });
    expect(result.data).toMatchObject({ warm: { count: 30 }, adaptive: { stoppedBy: 'maxSamples', samples: 30 } });
  });

  it('repeat: measures N times and judges the median run, every run in the report', async () => {
    const planned = check('/delay-20', { samples: 5, warmup: 0, repeat: 3 }, { latency: { max: '< 2s' } });
    const result = await runCheckProbe(endpointProbe, planned, context());
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
    const result = await runCheckProbe(endpointProbe, planned, context());
    expect(result.verdicts.find((verdict) => verdict.metric === 'expect.json')).toMatchObject({
      passed: false,
      actual: '4 mismatched',
      message: '$.status: expected "ok", got "degraded"',
    });
  });

  it('keeps the requested concurrency, one keep-alive connection per slot', async () => {
    const own = await startScriptedServer({ '/delay-20': { delayMs: 20 } });
    try {
      const ctx = {
        ...context(),
        baseUrl: own.url,
        buildRequest: (template: PlannedCheck['request']) => buildRequest(template, { vars: {} }, { baseUrl: own.url, defaultHeaders: {} }),
      };
      const measured = await measureEndpoint(check('/delay-20', { samples: 40, warmup: 4, concurrency: 4 }), ctx);
      expect(measured.warm.count).toBe(40);
      expect(own.hits.get('/delay-20')).toBe(1 + 4 + 40);
      expect(own.peakInFlight()).toBe(4);
      // The cold request's connection is reused and the other three are opened before warm-up; none after.
      expect(own.connections()).toBe(4);
    } finally {
      await own.close();
    }
  });

  it('connects every slot before the first warm-up or measured request, so no sample times a handshake', async () => {
    // A listen backlog of 1 with 8 slots connecting at once: the kernel drops the SYNs that find
    // the accept queue full and the client sends them again a second later (TCP's initial
    // retransmission timeout). Those handshakes take about 1 s; the server answers at once. A
    // sample that started its clock before its connection was up would read ~1 s.
    const acceptedAt: number[] = [];
    const own = http.createServer((req, res) => {
      req.resume();
      res.end('{}');
    });
    own.on('connection', () => acceptedAt.push(performance.now()));
    await new Promise<void>((resolve) => own.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, resolve));
    const url = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;
    try {
      const ctx = {
        ...context(),
        baseUrl: url,
        buildRequest: (template: PlannedCheck['request']) => buildRequest(template, { vars: {} }, { baseUrl: url, defaultHeaders: {} }),
      };
      const started = performance.now();
      const measured = await measureEndpoint(check('/', { samples: 40, warmup: 0, concurrency: 8, timeoutMs: 5000 }), ctx, { calibrate: false });
      expect(measured.warm.count).toBe(40);
      expect(acceptedAt).toHaveLength(8);
      // The scenario happened: some handshake waited for a retransmitted SYN.
      const slowestHandshake = Math.max(...acceptedAt) - started;
      expect(slowestHandshake, 'no SYN was dropped: the test did not exercise slow handshakes').toBeGreaterThan(900);
      // ...and no measured sample carried it.
      expect(measured.warm.max).toBeLessThan(slowestHandshake / 2);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });

  it('reuses one warmed keep-alive connection for every request at concurrency 1', async () => {
    const own = await startScriptedServer({ '/fast': {} });
    try {
      const ctx = {
        ...context(),
        baseUrl: own.url,
        buildRequest: (template: PlannedCheck['request']) => buildRequest(template, { vars: {} }, { baseUrl: own.url, defaultHeaders: {} }),
      };
      const measured = await measureEndpoint(check('/fast', { samples: 200, warmup: 5 }), ctx);
      expect(measured.warm.count).toBe(200);
      expect(own.hits.get('/fast')).toBe(206);
      expect(own.connections()).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('records time to first byte: never above the total, and as long as the server held the head back', async () => {
    // Head after 10 ms, body 15 ms later: the server's clock says when each part left.
    const headHeld: number[] = [];
    const bodyGap: number[] = [];
    const split = http.createServer((req, res) => {
      const arrived = performance.now();
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.write('{"part":');
        const headSent = performance.now();
        headHeld.push(headSent - arrived);
        setTimeout(() => {
          res.end('1}');
          bodyGap.push(performance.now() - headSent);
        }, 15);
      }, 10);
    });
    await new Promise<void>((resolve) => split.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(split.address() as AddressInfo).port}`;
    try {
      const ctx = {
        ...context(),
        baseUrl: url,
        buildRequest: (template: PlannedCheck['request']) => buildRequest(template, { vars: {} }, { baseUrl: url, defaultHeaders: {} }),
      };
      const measured: EndpointMeasurement = await measureEndpoint(check('/', { samples: 20, warmup: 1 }), ctx);
      expect(measured.ttfb.count).toBe(20);
      expect(measured.ttfb.max).toBeLessThanOrEqual(measured.warm.max);
      expect(measured.ttfb.p50).toBeLessThanOrEqual(measured.warm.p50);
      const held = headHeld.slice(-20);
      expect(measured.ttfb.p50).toBeGreaterThanOrEqual(percentile(held, 50) - 0.05);
      expect(Math.abs(measured.ttfb.p50 - percentile(held, 50))).toBeLessThanOrEqual(1);
      // The time the server kept the body back after the head is in the total, not in the time to first
      // byte (were the two the same figure, the difference would be 0). Half the gap: a loaded machine
      // may read a head late, which moves time from one side to the other but cannot remove it.
      expect(measured.warm.p50 - measured.ttfb.p50).toBeGreaterThanOrEqual(percentile(bodyGap.slice(-20), 50) / 2);
    } finally {
      split.closeAllConnections();
      await new Promise((resolve) => split.close(resolve));
    }
  });

  it('measures the instrument floor in every run and reports it beside the figures', async () => {
    const result = await runCheckProbe(endpointProbe, check('/fast', { samples: 30 }), context());
    const data = result.data as unknown as EndpointMeasurement;
    expect(data.calibration).not.toBeNull();
    expect(data.calibration!.latency.count).toBe(CALIBRATION_SAMPLES);
    expect(data.calibration!.errors).toBe(0);
    expect(data.calibration!.latency.p50).toBeGreaterThan(0);
    expect(data.calibration!.latency.p50).toBeLessThanOrEqual(data.calibration!.latency.p99);
    expect(data.calibration!.ttfb.p50).toBeLessThanOrEqual(data.calibration!.latency.p50);
    expect(result.notes.find((note) => note.startsWith('Instrument floor: p50 '))).toBeDefined();
    expect(result.tables.map((table) => table.title)).toContain('Instrument floor (perfspec against its own loopback responder)');
    // The probe's own event-loop delay over the measurement (the host monitor's), for the saturation rule.
    expect(typeof (result.data as { host: { eventLoopDelayP99Ms: number } }).host.eventLoopDelayP99Ms).toBe('number');
  });

  it('never writes a request whose header holds CR/LF: every request is an unsafe_request error, nothing reaches the server', async () => {
    const before = server.hits.get('/fast') ?? 0;
    const planned = check('/fast', { samples: 3, warmup: 0, request: { method: 'GET', url: '/fast', headers: { 'x-note': 'a\r\nx-injected: 1' }, query: {} } });
    const result = await runCheckProbe(endpointProbe, planned, context());
    const data = result.data as unknown as EndpointMeasurement;
    // The request is refused before the wire (header-safety.ts): nothing reaches the server, and
    // every request, the cold one included, is an error of its own kind.
    expect(data.errors).toEqual({ 'cold: unsafe_request': 1, unsafe_request: 3 });
    expect((server.hits.get('/fast') ?? 0) - before).toBe(0);
    expect(result.verdicts.find((verdict) => verdict.metric === 'status')?.outcome).toBe('fail');
  });

  it('does not follow redirects: a 302 is counted as the status it is', async () => {
    const before = server.hits.get('/moved') ?? 0;
    const measured = await measureEndpoint(check('/moved', { samples: 5, warmup: 0 }), context());
    expect(measured.statuses).toEqual({ '302': 5 });
    expect(measured.unexpected).toBe(5);
    expect((server.hits.get('/moved') ?? 0) - before).toBe(6);
  });
});
