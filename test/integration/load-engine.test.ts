/**
 * The load engine against a real node:http server on 127.0.0.1 (port 0) in a child process, so
 * the server's timers never share an event loop with the generator. Routes have scripted delays;
 * POST /control/stall holds every response for a while (a server pause mid-run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../src/load/index.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

const SERVER = `
const http = require('node:http');
let stallUntil = 0;
const recent = [];
// What the server really did: how long each /fixed response was held (timer lateness included).
let fixedDelays = [];
const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/control/fixed-delays') {
    const sorted = fixedDelays.sort((a, b) => a - b);
    fixedDelays = [];
    const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    return send(res, 200, { count: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1] });
  }
  if (req.method === 'POST' && url.pathname === '/control/stall') {
    stallUntil = Date.now() + Number(url.searchParams.get('ms'));
    return send(res, 200, { stallUntil });
  }
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const reply = () => {
      switch (url.pathname) {
        case '/fixed': {
          const held = performance.now();
          return setTimeout(() => {
            fixedDelays.push(performance.now() - held);
            send(res, 200, { ok: true });
          }, 20);
        }
        case '/slow': return setTimeout(() => send(res, 200, { ok: true }), 150);
        case '/login': {
          const user = JSON.parse(body || '{}').user;
          return send(res, 200, { data: { token: 'tok-' + user, roles: ['admin'] } });
        }
        case '/me': {
          const ok = /^Bearer tok-\\d+$/.test(req.headers.authorization || '');
          return send(res, ok ? 200 : 401, { ok });
        }
        case '/missing': return send(res, 404, { error: 'not found' });
        case '/capacity': {
          // Slow once more than 35 requests arrived within the last second: a service with a capacity.
          const now = Date.now();
          recent.push(now);
          while (recent[0] <= now - 1000) recent.shift();
          return setTimeout(() => send(res, 200, { ok: true }), recent.length > 35 ? 150 : 1);
        }
        default: return send(res, 200, { path: url.pathname });
      }
    };
    const wait = stallUntil - Date.now();
    if (wait > 0) setTimeout(reply, wait); else reply();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), 300000).unref();
`;

let server: ChildProcess;
let baseUrl: string;

beforeAll(async () => {
  server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    server.once('exit', () => reject(new Error('test server exited')));
  });
  baseUrl = `http://127.0.0.1:${port}`;
  // Warm both sides (JIT, connections) so accuracy is judged in steady state.
  await runLoad({ name: 'warm-up', users: 10, duration: '1s', flows: [{ name: 'w', steps: ['GET /fixed', 'GET /fast'] }] }, { baseUrl });
});

afterAll(() => {
  server?.kill();
});

function getJson(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request(`${baseUrl}${path}`, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text)));
    })
      .on('error', reject)
      .end();
  });
}

function post(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

const scenario = (overrides: Partial<LoadScenarioConfig>): LoadScenarioConfig => ({
  name: 'test',
  flows: [{ name: 'fixed', steps: ['GET /fixed'] }],
  ...overrides,
});

describe('load engine accuracy', () => {
  it('measures a fixed 20 ms delay: never below what the server held, above it by no more than the round trip costs', async () => {
    await getJson('/control/fixed-delays'); // reset the server's record after the warm-up
    // /fast beside /fixed in the same flow: its latency is the round trip without the hold, measured
    // under the same machine load at the same moments.
    const report = await runLoad(scenario({ users: 5, duration: '4s', flows: [{ name: 'fixed', steps: ['GET /fixed', 'GET /fast'] }] }), { baseUrl });
    const server = (await getJson('/control/fixed-delays')) as { count: number; p50: number; p99: number; max: number };
    const fixed = report.requests.find((r) => r.name === 'GET /fixed')!;
    const fast = report.requests.find((r) => r.name === 'GET /fast')!;
    const { p50, p99 } = fixed.latency;
    expect(report.overall.errors).toBe(0);
    expect(fixed.requests).toBeGreaterThan(300);
    expect(server.count).toBe(fixed.requests);
    // The ground truth is the delay the server really held each response for (20 ms plus its own
    // timer lateness, which a busy machine pushes past 20 ms). A measurement is hold + round trip,
    // so it can never read less than the hold (0.05 ms: histogram buckets at 20 ms)…
    expect(p50).toBeGreaterThanOrEqual(server.p50 - 0.05);
    expect(p99).toBeGreaterThanOrEqual(server.p99 - 0.05);
    // …and, by the union bound on a sum's quantiles, no more than a higher quantile of the hold plus
    // one of the round trip: p50 ≤ hold p99 + trip p90 (1 % + 10 % < 50 %), p99 ≤ hold max + trip max.
    // Both sides are measured under the same load, so no constant a loaded machine can break.
    expect(p50).toBeLessThanOrEqual(server.p99 + fast.latency.p90 + 0.05);
    expect(p99).toBeLessThanOrEqual(server.max + fast.latency.max + 0.05);
    // The interval of the p99 brackets the server's p99 plus at most the round trip.
    expect(fixed.estimates!.p99.upper!).toBeGreaterThanOrEqual(server.p99 - 0.05);
  });

  it('open model: a 1 s stall shows in p99 measured from the intended send time, and the naive measurement hides it', async () => {
    const stall = setTimeout(() => void post('/control/stall?ms=1000'), 1500);
    // Two connections: like a naive closed-loop tool, only the requests on those connections
    // would be seen waiting; the others queue in the generator before being written.
    const report = await runLoad(scenario({ rate: 100, duration: '5s', connections: 2, flows: [{ name: 'fast', steps: ['GET /fast'] }] }), { baseUrl });
    clearTimeout(stall);
    expect(report.executor).toBe('constant-arrival-rate');
    expect(report.iterations.dropped).toBe(0);
    expect(report.overall.requests).toBeGreaterThanOrEqual(480);
    // About 100 arrivals fall inside the stall and wait up to 1 s: the top percentile shows it.
    expect(report.overall.latency.p99).toBeGreaterThan(800);
    expect(report.overall.latency.max).toBeGreaterThan(900);
    // Measured from the moment each request was written, the stall hits only the 2 requests in flight.
    expect(report.uncorrected.p99).toBeLessThan(100);
    expect(report.uncorrected.max).toBeGreaterThan(900);
  });
});

describe('load engine thresholds', () => {
  it('fails p95 on a slow endpoint, naming target and actual', async () => {
    const { runLoad: run, judgeThresholds, parseThresholds, statsForScope } = await import('../../src/load/index.js');
    const config = scenario({ users: 5, duration: '2s', flows: [{ name: 'slow', steps: ['GET /slow'] }], thresholds: { p95: '< 100ms', error_rate: '< 1%' } });
    const report = await run(config, { baseUrl });
    const judged = judgeThresholds(parseThresholds(config.thresholds), (scope) => statsForScope(report, scope), config.name);
    const p95 = judged.verdicts.find((v) => v.metric === 'load.p95')!;
    expect(p95).toMatchObject({ passed: false, outcome: 'fail' });
    expect(p95.target).toBe('< 100ms');
    expect(p95.actualValue).toBeGreaterThan(140);
    expect(p95.message).toMatch(/^p95 1\d\d(\.\d+)?ms \((≥ )?\d+(\.\d+)?(m?s)?(–\d+(\.\d+)?m?s)?, n=\d+\) is not below 100ms \(the whole 95 % interval\)$/);
    expect(judged.verdicts.find((v) => v.metric === 'load.error_rate')!.passed).toBe(true);
  });

  it('abortOnFail stops the run early after its grace period', async () => {
    const started = Date.now();
    const report = await runLoad(
      scenario({
        users: 5,
        duration: '20s',
        flows: [{ name: 'slow', steps: ['GET /slow'] }],
        thresholds: { p95: { budget: '< 100ms', abortOnFail: true, delayAbortEval: '1s' } },
      }),
      { baseUrl },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.stoppedEarly?.by).toBe('threshold');
    expect(report.stoppedEarly?.reason).toContain('p95');
    expect(report.aborted).toBe(false);
    expect(report.overall.requests).toBeGreaterThan(0);
  });
});

describe('load engine breakpoint', () => {
  it('raises the arrival rate step by step and reports the highest rate that met the SLA', async () => {
    const report = await runLoad(
      scenario({
        profile: 'breakpoint',
        rate: 50,
        duration: '10s',
        stepDuration: '2s',
        flows: [{ name: 'cap', steps: ['GET /capacity'] }],
        thresholds: { p95: '< 100ms' },
      }),
      { baseUrl },
    );
    expect(report.executor).toBe('ramping-arrival-rate');
    expect(report.breakpoint!.steps.slice(0, 2).map((s) => [s.rate, s.passed])).toEqual([
      [10, true],
      [20, true],
    ]);
    // The service slows down above ~35 requests per second: the SLA holds at 30/s and breaks at 40/s.
    expect(report.breakpoint!.highestPassingRate).toBe(30);
    expect(report.breakpoint!.brokeAtRate).toBe(40);
    expect(report.stoppedEarly?.by).toBe('breakpoint');
    expect(report.elapsedMs).toBeLessThan(9500);
  });
});

describe('load engine flows', () => {
  it('honours flow weights', async () => {
    const report = await runLoad(
      scenario({
        users: 20,
        duration: '2s',
        flows: [
          { name: 'heavy', weight: 3, steps: ['GET /a'] },
          { name: 'light', weight: 1, steps: ['GET /b'] },
        ],
      }),
      { baseUrl },
    );
    const heavy = report.flows.find((f) => f.flow === 'heavy')!.requests;
    const light = report.flows.find((f) => f.flow === 'light')!.requests;
    expect(heavy + light).toBeGreaterThan(1000);
    expect(heavy / (heavy + light)).toBeGreaterThan(0.72);
    expect(heavy / (heavy + light)).toBeLessThan(0.78);
  });

  it('captures from JSON responses per user and waits think time between steps', async () => {
    const report = await runLoad(
      scenario({
        users: 2,
        duration: '2s',
        flows: [
          {
            name: 'session',
            steps: [
              { request: 'POST /login', name: 'login', json: { user: '${vu.id}' }, capture: { token: '$.data.token' } },
              { think: '100ms' },
              { request: 'GET /me', name: 'me', headers: { authorization: 'Bearer ${vars.token}' }, expect: { status: 200 } },
            ],
          },
        ],
      }),
      { baseUrl },
    );
    const me = report.requests.find((r) => r.name === 'me')!;
    expect(report.overall.errors).toBe(0);
    expect(me.statusCodes).toEqual({ 200: me.requests });
    // 2 users × 2 s with 100 ms of think time per iteration: at most ~40 iterations.
    expect(me.requests).toBeGreaterThanOrEqual(10);
    expect(me.requests).toBeLessThanOrEqual(42);
  });

  it('counts unexpected statuses and refused connections as errors by kind', async () => {
    const report = await runLoad(
      scenario({ users: 2, duration: '1s', flows: [{ name: 'bad', steps: [{ request: 'GET /missing', expect: { status: 200 } }] }] }),
      { baseUrl },
    );
    expect(report.overall.errorRate).toBe(100);
    expect(report.overall.errorKinds.expect_failed).toBe(report.overall.requests);
    expect(report.overall.statusCodes['404']).toBe(report.overall.requests);

    const refused = await runLoad(scenario({ users: 1, duration: '1s', flows: [{ name: 'down', steps: ['GET /'] }] }), { baseUrl: 'http://127.0.0.1:9' });
    expect(refused.overall.requests).toBeGreaterThan(0);
    expect(refused.overall.errorKinds.connection_refused).toBe(refused.overall.requests);
  });
});

describe('load engine execution', () => {
  it('counts dropped arrivals when every allowed user is busy', async () => {
    const report = await runLoad(scenario({ rate: 50, duration: '2s', maxUsers: 2, flows: [{ name: 'slow', steps: ['GET /slow'] }] }), { baseUrl });
    // 2 users × 150 ms can start at most ~27 of the 100 planned iterations.
    expect(report.iterations.dropped).toBeGreaterThan(50);
    expect(report.iterations.started + report.iterations.dropped).toBeGreaterThanOrEqual(98);
    expect(report.timeline.reduce((sum, p) => sum + p.dropped, 0)).toBe(report.iterations.dropped);
  });

  it('stops within 2 s of an abort signal and returns partial results marked aborted', async () => {
    const controller = new AbortController();
    const abortedAt = { time: 0 };
    setTimeout(() => {
      abortedAt.time = Date.now();
      controller.abort();
    }, 1000);
    const report = await runLoad(scenario({ users: 5, duration: '30s', flows: [{ name: 'think', steps: ['GET /slow', { think: '5s' }] }] }), {
      baseUrl,
      signal: controller.signal,
    });
    expect(Date.now() - abortedAt.time).toBeLessThan(2000);
    expect(report.aborted).toBe(true);
    expect(report.stoppedEarly?.by).toBe('signal');
    expect(report.overall.requests).toBeGreaterThan(0);
  });

  it('reports progress every second and a per-second timeline', async () => {
    const progress: number[] = [];
    const report = await runLoad(scenario({ users: 4, duration: '3s' }), { baseUrl, onProgress: (p) => progress.push(p.elapsedMs) });
    expect(progress.slice(0, 3)).toEqual([1000, 2000, 3000]);
    expect(report.timeline.length).toBeGreaterThanOrEqual(3);
    expect(report.timeline[1].requests).toBeGreaterThan(50);
    expect(report.timeline[1].users).toBe(4);
    expect(report.timeline[1].p95).toBeGreaterThan(19);
  });

  it('ramps users through stages', async () => {
    const report = await runLoad(
      scenario({
        stages: [
          { duration: '1s', target: 8 },
          { duration: '1s', target: 8 },
          { duration: '1s', target: 0 },
        ],
      }),
      { baseUrl },
    );
    expect(report.executor).toBe('ramping-users');
    expect(report.peakUsers).toBe(8);
    expect(report.timeline[0].users).toBeLessThan(8);
  });

  it('splits the load over worker threads and merges their figures', async () => {
    const report = await runLoad(scenario({ users: 10, duration: '2s', workers: 2, flows: [{ name: 'a', steps: ['GET /fixed', 'GET /fast'] }] }), { baseUrl });
    expect(report.workers).toBe(2);
    expect(report.peakUsers).toBe(10);
    const fixed = report.requests.find((r) => r.name === 'GET /fixed')!;
    const fast = report.requests.find((r) => r.name === 'GET /fast')!;
    expect(fixed.requests).toBeGreaterThan(300);
    expect(Math.abs(fixed.requests - fast.requests)).toBeLessThanOrEqual(10);
    expect(report.overall.requests).toBe(fixed.requests + fast.requests);
    expect(report.overall.latency.count).toBe(report.overall.requests);
    expect(fixed.latency.p50).toBeGreaterThan(19);
  });

  it('sends each region to its own base URL and adds its simulated latency', async () => {
    const report = await runLoad(
      scenario({
        users: 4,
        duration: '2s',
        flows: [{ name: 'fast', steps: ['GET /fast'] }],
        regions: [
          { name: 'near', weight: 1 },
          { name: 'far', weight: 1, baseUrl: baseUrl + '/eu', latency: '30ms' },
        ],
      }),
      { baseUrl },
    );
    const near = report.regions.find((r) => r.region === 'near')!;
    const far = report.regions.find((r) => r.region === 'far')!;
    expect(near.requests).toBeGreaterThan(0);
    expect(far.requests).toBeGreaterThan(0);
    expect(far.latency.p50 - near.latency.p50).toBeGreaterThan(25);
  });
});
