/**
 * Percentile intervals on real requests: do the endpoint probe's 95 % intervals contain the true
 * percentile in 93–97 % of at least 1,000 measurements, as they do on synthetic samples
 * (test/unit/quantile-interval.test.ts)?
 *
 * The server runs in a worker thread (its own event loop) and holds each response for a delay drawn
 * from a known, seeded distribution (delayAt below), sparse around the judged percentiles so that
 * what the machine adds to each request (the test prints the measured-minus-held overhead) barely
 * changes which side of a percentile a request falls on.
 *
 * Each trial is one measureEndpoint call with its own samples and its own interval, at concurrency
 * 1; 1,000 trials per percentile. They run IN_FLIGHT at a time (each finished trial replaced at
 * once, the two groups interleaved), so the whole run takes a minute or two instead of the hours
 * one after another would. Not all 2,000 at once: on a loaded 2-core machine that many requests per
 * second (~9,000) saturated the process, each request gained 0.2–1 s, and that added time swung
 * with the load — tried: p90 coverage 100 %, p50 86 %. 400 at a time (~950 requests per second)
 * keeps the added time to 3–40 ms at load average 17–24 (coverage 94.6–95.6 %), but not at load
 * average 28 or beside `stress-ng --cpu 2` (0.25–0.33 s added, p50 coverage 89–91 %); 250 at a
 * time fared no better (10 ms and 41 ms added; p50 93.9 % and 92.1 %) and takes longer. KNOWN
 * LIMIT: when the machine adds time that large and that variable, requests are no longer draws of
 * one distribution and this test fails; see the printed overhead.
 *
 * The truth is the percentile of every measured request of the group, pooled (the trials'
 * histograms merged exactly), not of the server's held delays. An interval estimates a percentile
 * of the distribution its samples came from, the MEASURED latency (hold + transport + whatever the
 * machine adds); against the holds alone the intervals would miss by the overhead, which is the
 * instrument's, not the statistics'. Pooling is right when every request is a draw of the same
 * distribution, which is what the sparse delays and the bounded rate above secure: were the added
 * time large and drifting, a trial's samples would come from its own moment's distribution (trials
 * in flight at the same moment share it), and coverage against the pool could fall either way —
 * below when trials are short next to the drift, above when each trial spans all of it. Each trial
 * is one of 1,000 in its pool: its own weight in the truth is negligible.
 *
 * Sample counts: with discrete ranks the exact coverage depends on n (p50 of 40 samples covers
 * 96.15 %, p90 of 50 covers 97.03 %). n = 17 for p50 (95.10 %) and n = 36 for p90 (95.40 %,
 * upper rank 36 ≤ n) sit close to 95 %, so the 93–97 % band of the issue holds them at about three
 * binomial standard deviations (0.69 pp at 1,000 trials) on each side. Bucket rounding in the
 * histogram only widens an interval, by at most 0.1 % of its ends.
 *
 * And for every trial: no budget below what the server held for that trial's samples may pass (a
 * measurement can only be longer than the hold, so a false PASS would mean perfspec under-reports).
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/engine/request-builder.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { quantileRankInterval } from '../../src/metrics/quantile-interval.js';
import { measureInstrumentFloor, stopCalibrationResponder } from '../../src/probes/endpoint/calibration.js';
import { measureEndpoint, type EndpointMeasurement } from '../../src/probes/endpoint/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { parseBudget } from '../../src/units/budget.js';
import { judgeEstimate } from '../../src/verdict/judge.js';
import { seededRandom as seeded } from '../helpers/seeded-random.js';

const TRIALS = 1000;
/** Trials measuring at once (see the header for why not all of them). */
const IN_FLIGHT = 400;
/** The percentiles judged and the samples per trial (see the header for why these n). */
const GROUPS = [
  { key: 'p50', percentile: 50, samples: 17 },
  { key: 'p90', percentile: 90, samples: 36 },
] as const;
/**
 * The server's delays (ms) by their quantile function: fast answers (10–60 ms, 40 %), a sparse
 * stretch around the median (60–660 ms, 20 %), a slow cluster (660–700 ms, 20 %) and a sparse
 * stretch around p90 (700–1300 ms, 20 %). Known exactly: p50 = 360 ms, p90 = 1,000 ms, mean 422 ms.
 *
 * Why sparse where the percentiles are judged: what the machine adds to a request moves it along
 * the axis, and the share of requests it carries across the true percentile is the density there
 * times the shift. At 1/3,000 per ms, even 30 ms added moves 1 % of the mass, so each request is
 * very nearly an independent draw of one distribution however the machine's load drifts; an
 * exponential of the same mean is 4–8 times denser there. Bounded above (1.3 s), so no trial has a
 * tail that keeps the run waiting.
 */
function delayAt(u: number): number {
  if (u < 0.4) return 10 + 50 * (u / 0.4);
  if (u < 0.6) return 60 + 600 * ((u - 0.4) / 0.2);
  if (u < 0.8) return 660 + 40 * ((u - 0.6) / 0.2);
  return 700 + 600 * ((u - 0.8) / 0.2);
}

/**
 * The server: every request to /t/<trial> is held for the next delay of the seeded list, in order
 * of arrival, and the time it was really held is recorded under its trial. The worker's own event
 * loop keeps the probe's work out of the server's timers and the server's out of the probe's spans.
 */
const SERVER = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const delays = workerData.delays;
const response = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: 11\\r\\n\\r\\n{"ok":true}', 'latin1');
const held = new Map();
const sockets = new Set();
let next = 0;
// A raw HTTP/1.1 responder (GET requests without bodies: the probe's), cheaper per request than
// node:http, so that two thousand trials' traffic costs the loaded machine as little as it can.
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.setNoDelay(true);
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    let end;
    while ((end = pending.indexOf('\\r\\n\\r\\n')) >= 0) {
      const path = pending.slice(pending.indexOf(' ') + 1, pending.indexOf(' HTTP/'));
      pending = pending.slice(end + 4);
      const delay = delays[next++ % delays.length];
      const arrived = performance.now();
      setTimeout(() => {
        const list = held.get(path) ?? [];
        list.push(performance.now() - arrived);
        held.set(path, list);
        socket.write(response);
      }, delay);
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'held') parentPort.postMessage({ held: Object.fromEntries(held), served: next });
  if (message === 'stop') { for (const socket of sockets) socket.destroy(); server.close(() => parentPort.postMessage({ stopped: true })); }
});
`;

let worker: Worker;
let baseUrl: string;
const client = createHttpClient();

function ask<T>(message: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (reply: Record<string, unknown>) => {
      if (!(key in reply)) return;
      worker.off('message', listener);
      resolve(reply as T);
    };
    worker.on('message', listener);
    worker.postMessage(message);
  });
}

beforeAll(async () => {
  const random = seeded(20260101);
  const requests = TRIALS * GROUPS.reduce((sum, group) => sum + group.samples + 1, 0);
  const delays = Float64Array.from({ length: requests }, () => delayAt(random()));
  worker = new Worker(SERVER, { eval: true, workerData: { delays } });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await client.close();
  await ask('stop', 'stopped');
  await worker.terminate();
  await stopCalibrationResponder();
});

function context(): ProbeContext {
  return {
    http: client,
    services: { get: () => { throw new Error('no services'); }, has: () => false },
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

function trialCheck(trial: number, samples: number): PlannedCheck {
  return {
    name: `coverage ${trial}`,
    index: 0,
    request: { method: 'GET', url: `/t/${trial}`, headers: {}, query: {} },
    samples,
    warmup: 0,
    concurrency: 1,
    // Holds are at most 1.3 s, but a loaded machine can add more; a timeout would drop a sample.
    timeoutMs: 60_000,
    expectStatus: [200],
    inconclusive: 'warn',
    maxSamples: samples,
    maxSampleTimeMs: 60_000,
    repeat: 1,
    raw: {},
  };
}

const quantile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.ceil(p * values.length) - 1]!;

interface Trial {
  group: (typeof GROUPS)[number];
  id: number;
  measured: EndpointMeasurement;
}

describe('percentile intervals on real requests against a known delay distribution', { timeout: 300_000 }, () => {
  it('contain the true percentile in 93–97 % of 1,000 trials per percentile, and never pass a budget the held delays break', async () => {
    // One floor for every trial (all at concurrency 1): it also warms the client's code.
    const floor = await measureInstrumentFloor(1, new AbortController().signal);
    const started = performance.now();
    // Round-robin over the groups, IN_FLIGHT trials at a time, each finished one replaced at once.
    const plan = Array.from({ length: TRIALS * GROUPS.length }, (_, id) => ({ id, group: GROUPS[id % GROUPS.length]! }));
    const trials: Trial[] = [];
    let nextTrial = 0;
    const lane = async () => {
      while (nextTrial < plan.length) {
        const { id, group } = plan[nextTrial++]!;
        trials.push({ id, group, measured: await measureEndpoint(trialCheck(id, group.samples), context(), { calibration: floor }) });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const elapsedS = (performance.now() - started) / 1000;
    const { held, served } = await ask<{ held: Record<string, number[]>; served: number }>('held', 'held');
    expect(served).toBe(plan.reduce((sum, { group }) => sum + group.samples + 1, 0));

    for (const group of GROUPS) {
      const own = trials.filter((trial) => trial.group === group);
      expect(own).toHaveLength(TRIALS);
      const p = group.percentile / 100;
      expect(quantileRankInterval(group.samples, p).upper).toBeLessThanOrEqual(group.samples);
      const pooled = new LatencyHistogram();
      const heldPooled: number[] = [];
      const falsePasses: string[] = [];
      for (const { id, measured } of own) {
        expect(measured.errors).toEqual({});
        expect(measured.warm.count).toBe(group.samples);
        expect(measured.calibration).toBe(floor);
        pooled.merge(LatencyHistogram.decode(measured.warmHistogram));
        // The trial's first request is the cold one (awaited before any sample is sent).
        const trialHeld = held[`/t/${id}`]!.slice(1);
        expect(trialHeld).toHaveLength(group.samples);
        heldPooled.push(...trialHeld);
        const estimate = measured.estimates[group.key];
        const heldQuantile = quantile(trialHeld, p);
        // Each request took at least as long as it was held, so each order statistic too.
        expect(estimate.value!).toBeGreaterThanOrEqual(heldQuantile - 0.05);
        for (const factor of [0.8, 0.95, 1]) {
          const limit = heldQuantile * factor;
          const budget = parseBudget(`< ${limit.toFixed(3)}ms`, 'duration')!;
          if (budget.value > heldQuantile) continue;
          const verdict = judgeEstimate({ check: 'c', probe: 'endpoint', metric: `latency.${group.key}` }, budget, estimate);
          if (verdict.outcome === 'pass') falsePasses.push(`trial ${id}: ${verdict.message}`);
        }
      }
      expect(falsePasses).toEqual([]);
      expect(pooled.count).toBe(TRIALS * group.samples);
      const truth = pooled.percentile(group.percentile);
      const heldTruth = quantile(heldPooled, p);
      // The holds follow the known distribution (p50 360 ms, p90 1,000 ms: the sample percentile of
      // 17,000 or 36,000 draws is within a few percent of it) or exceed it where a loaded machine
      // fired the server's timers late.
      expect(heldTruth).toBeGreaterThan(delayAt(p) * 0.95);
      expect(truth).toBeGreaterThanOrEqual(heldTruth - 0.05);
      const covered = own.filter(({ measured }) => {
        const { lower, upper } = measured.estimates[group.key];
        return lower <= truth && upper !== null && truth <= upper;
      }).length;
      process.stdout.write(
        `latency coverage ${group.key} (n=${group.samples}): ${covered}/${TRIALS} intervals contain the true ${group.key} ${truth.toFixed(2)} ms ` +
          `(held ${heldTruth.toFixed(2)} ms, overhead ${(truth - heldTruth).toFixed(2)} ms; ${elapsedS.toFixed(1)} s for all trials)\n`,
      );
      expect(covered / TRIALS, `${group.key}: ${covered} of ${TRIALS} intervals contain the true ${group.key} ${truth.toFixed(2)} ms`).toBeGreaterThanOrEqual(0.93);
      expect(covered / TRIALS, `${group.key}: ${covered} of ${TRIALS} intervals contain the true ${group.key} ${truth.toFixed(2)} ms`).toBeLessThanOrEqual(0.97);
    }
  });
});
