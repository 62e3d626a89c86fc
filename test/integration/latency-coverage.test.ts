/**
 * Percentile intervals on real requests: a server whose delays are drawn from a known, seeded
 * distribution (20 ms + exponential with a 100 ms mean: wide next to a loaded machine's round-trip
 * noise) and which records how long it really held each response. Many short measurements by the
 * endpoint probe must
 * - bracket the true median of the measured latency (every request of every trial pooled) with
 *   their 95 % interval about as often as promised, and
 * - never pass a budget that the server's held delays break (a measurement can only be larger
 *   than the hold, so a false PASS would mean perfspec under-reports).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/engine/request-builder.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { measureEndpoint } from '../../src/probes/endpoint/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { parseBudget } from '../../src/units/budget.js';
import { judgeEstimate } from '../../src/verdict/judge.js';
import { seededRandom as seeded } from '../helpers/seeded-random.js';

const TRIALS = 40;
const SAMPLES = 40;

let server: http.Server;
let baseUrl: string;
const held: number[] = [];
const client = createHttpClient();

beforeAll(async () => {
  const random = seeded(20260101);
  server = http.createServer((req, res) => {
    req.resume();
    const delay = 20 - 100 * Math.log(1 - random());
    const arrived = performance.now();
    setTimeout(() => {
      held.push(performance.now() - arrived);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function context(): ProbeContext {
  return {
    http: client,
    services: {
      get: () => {
        throw new Error('no services');
      },
      has: () => false,
    },
    buildRequest: (template) => buildRequest(template, { vars: {} }, { baseUrl, defaultHeaders: {} }),
    resolve: (text) => text,
    vars: {},
    baseUrl,
    signal: new AbortController().signal,
    progress: { update: () => undefined, info: () => undefined },
    now: () => performance.now(),
    specDir: '.',
  };
}

const check: PlannedCheck = {
  name: 'coverage',
  index: 0,
  request: { method: 'GET', url: '/', headers: {}, query: {} },
  samples: SAMPLES,
  warmup: 0,
  concurrency: 8,
  timeoutMs: 5000,
  expectStatus: [200],
  inconclusive: 'warn',
  maxSamples: SAMPLES,
  maxSampleTimeMs: 10_000,
  repeat: 1,
  raw: { name: 'coverage', request: 'GET /' },
};

const quantile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.ceil(p * values.length) - 1];

describe('percentile intervals on real requests against a known delay distribution', { timeout: 120_000 }, () => {
  it('bracket the true median about as often as promised, and never pass a budget the held delays break', async () => {
    const trials: Array<{ lower: number; upper: number | null; value: number; heldMedian: number }> = [];
    // Every measured request's latency as the probe saw it (the pool the true median comes from):
    // the trials' own histograms merged exactly.
    const encoded: string[] = [];
    // What the server held for exactly the measured requests (each trial's own, cold request left out).
    const heldMeasured: number[] = [];
    const falsePasses: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const from = held.length;
      const measured = await measureEndpoint(check, context());
      encoded.push(measured.warmHistogram);
      // The cold request is held too; the trial's own samples are the last SAMPLES holds.
      const trialHeld = held.slice(from).slice(-SAMPLES);
      heldMeasured.push(...trialHeld);
      expect(measured.warm.count).toBe(SAMPLES);
      const estimate = measured.estimates.p50;
      trials.push({ lower: estimate.lower, upper: estimate.upper, value: estimate.value!, heldMedian: quantile(trialHeld, 0.5) });
      // Budgets around what the server held in this trial: any the holds break must not pass.
      for (const factor of [0.8, 0.95, 1, 1.05]) {
        const limit = quantile(trialHeld, 0.5) * factor;
        const budget = parseBudget(`< ${limit.toFixed(3)}ms`, 'duration')!;
        const verdict = judgeEstimate({ check: 'c', probe: 'endpoint', metric: 'latency.p50' }, budget, estimate);
        if (budget.value <= quantile(trialHeld, 0.5) && verdict.outcome === 'pass') falsePasses.push(`trial ${trial}: ${verdict.message}`);
      }
    }
    expect(falsePasses).toEqual([]);

    // The truth: the median of every measured request of every trial (TRIALS × SAMPLES draws of the
    // same distribution). The server's holds alone have median 20 + 100·ln 2 ≈ 89 ms (plus timer lateness).
    const pooled = LatencyHistogram.decode(...encoded);
    expect(pooled.count).toBe(TRIALS * SAMPLES);
    const trueMedian = pooled.percentile(50);
    expect(quantile(held, 0.5)).toBeGreaterThan(70);
    // Each request took at least as long as the server held it, so every order statistic of the
    // measured latencies is at least the same order statistic of those holds.
    expect(heldMeasured).toHaveLength(TRIALS * SAMPLES);
    expect(trueMedian).toBeGreaterThanOrEqual(quantile(heldMeasured, 0.5) - 0.05);
    const covered = trials.filter((t) => t.lower <= trueMedian && (t.upper === null || trueMedian <= t.upper)).length;
    // 95 % promised: at 95 %, 40 trials miss more than 6 with probability < 1 %. The machine's load
    // drifts between trials (the distribution is not quite the same in each), hence no tighter bound.
    expect(covered / TRIALS, `${covered} of ${TRIALS} intervals contain the true median ${trueMedian.toFixed(2)}ms`).toBeGreaterThanOrEqual(0.85);
    process.stdout.write(
      `latency coverage: ${covered}/${TRIALS} intervals contain the true median ${trueMedian.toFixed(2)}ms (held median ${quantile(held, 0.5).toFixed(2)}ms)\n`,
    );
    // Every interval is a real bracket of its point estimate, and no measured median is below its held one.
    for (const t of trials) {
      expect(t.lower).toBeLessThanOrEqual(t.value);
      expect(t.upper!).toBeGreaterThanOrEqual(t.value);
      expect(t.value).toBeGreaterThanOrEqual(t.heldMedian - 0.05);
    }
  });
});
