/**
 * The cache probe's hit latency against an independent ground truth: a TCP relay between the
 * probe and the real Redis holds every reply chunk for 8 ms and records what it really held. The
 * probe's p50 cannot be below the relay's median hold (each timed GET contains its reply's hold),
 * and may exceed it only by what the instrument costs, which the same probe measures in the same
 * test through the same relay code without the hold, just before and after each held run. The
 * relays also pair replies with commands, so the number of timed GETs is checked on the wire.
 *
 * To watch it fail: PERFSPEC_TEST_RELAY_HOLD_MS=0 (no hold) makes the "< 5ms" budget unproven.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/engine/request-builder.js';
import { runCheckProbe } from '../../src/engine/run-check-probe.js';
import type { CacheBudget } from '../../src/generated/spec-types.js';
import { cacheProbe } from '../../src/probes/cache/index.js';
import type { PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import type { ProbeResult } from '../../src/result/result.js';
import { DEFAULT_HIT_LATENCY_SAMPLES, DEFAULT_HIT_LATENCY_WARMUP, type HitLatency } from '../../src/sources/redis/hit-latency.js';
import { openRedisService, type RedisServiceHandle } from '../../src/sources/redis/service.js';
import { createHttpClient } from '../../src/sources/http/undici-client.js';
import { appClient, testEndpoint } from '../fixtures/redis/env.js';
import { startRedisRelay, type ForwardedReply, type RedisRelay } from '../helpers/redis-relay.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

const DB = 13;
const HOLD_MS = Number(process.env.PERFSPEC_TEST_RELAY_HOLD_MS ?? 8);
const KEYS = 20;
// Our own keys only: nothing here flushes a database, and the TTL removes them even if cleanup is skipped.
const prefix = `perfspec:test:hitlat:${randomUUID().slice(0, 8)}:`;
const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}${i}`);

const redisTarget = testEndpoint(DB);
const undici = createHttpClient();
let app: Redis;
let server: ScriptedServer;
let relay: RedisRelay;
// The same relay code without the hold: what the relay's extra sockets and the instrument cost, under the same load.
let passThrough: RedisRelay;

interface Run {
  result: ProbeResult;
  hitLatency: HitLatency;
  attempts: number;
  /** GET replies on our keys the run's relay forwarded (none for the direct run). */
  gets: ForwardedReply[];
}
type RunName = 'direct' | 'pass1' | 'relayStrict' | 'pass2' | 'relayLoose' | 'pass3';
const runs = {} as Record<RunName, Run>;

/** Nearest-rank percentile, the same rank the histogram reports (ceil(p·n)). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function planned(hitLatency: string): PlannedCheck {
  const cache: CacheBudget = { keys: `${prefix}*`, hitLatency, requests: 3 };
  return {
    name: `hit latency ${hitLatency}`,
    index: 0,
    request: { method: 'GET', url: '/noop', headers: {}, query: {} },
    samples: 1,
    warmup: 0,
    concurrency: 1,
    timeoutMs: 2000,
    expectStatus: [200],
    inconclusive: 'warn',
    maxSamples: 1,
    maxSampleTimeMs: 1000,
    repeat: 1,
    raw: { name: 'hit latency', request: 'GET /noop', cache },
  };
}

function context(redis: RedisServiceHandle): ProbeContext {
  return {
    http: undici,
    services: { get: <T>() => redis as unknown as T, has: (name: string) => name === 'redis' },
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

/** The whole cache probe (window, analysis, timed GETs, verdicts) with its Redis service behind `via` (or Redis itself). */
async function runProbe(via: RedisRelay | null, budget: string): Promise<Run> {
  const before = via?.replies.length ?? 0;
  const { host, port } = via ?? redisTarget;
  const redis = await openRedisService(`redis://${host}:${port}/${DB}`);
  let result: ProbeResult;
  try {
    result = await runCheckProbe(cacheProbe, planned(budget), context(redis));
  } finally {
    await redis.close();
  }
  const data = result.data as { hitLatency: HitLatency | null; hitLatencyAttempts: unknown[] };
  expect(data.hitLatency, `no hit latency: ${result.notes.join(' ')}`).not.toBeNull();
  const gets = (via?.replies ?? []).slice(before).filter((reply) => reply.command === 'GET' && reply.key.startsWith(prefix));
  return { result, hitLatency: data.hitLatency!, attempts: data.hitLatencyAttempts.length, gets };
}

beforeAll(async () => {
  app = appClient(DB);
  const pipeline = app.pipeline();
  for (const key of keys) pipeline.set(key, 'v'.repeat(64), 'EX', 600);
  await pipeline.exec();
  server = await startScriptedServer({ '/noop': {} });
  relay = await startRedisRelay({ host: redisTarget.host, port: redisTarget.port }, HOLD_MS);
  passThrough = await startRedisRelay({ host: redisTarget.host, port: redisTarget.port }, 0);
  // Interleaved, so each held run has an unheld one on either side, measured under the same load. The
  // direct run comes first: it also takes the first-run costs (module loading, JIT) out of the others.
  runs.direct = await runProbe(null, '< 50ms');
  runs.pass1 = await runProbe(passThrough, '< 50ms');
  runs.relayStrict = await runProbe(relay, '< 5ms');
  runs.pass2 = await runProbe(passThrough, '< 50ms');
  runs.relayLoose = await runProbe(relay, '< 50ms');
  runs.pass3 = await runProbe(passThrough, '< 50ms');
}, 240_000);

afterAll(async () => {
  await app?.unlink(...keys);
  app?.disconnect();
  await relay?.close();
  await passThrough?.close();
  await server?.close();
  await undici.close();
});

describe('cache hit latency through a relay that holds every Redis reply for 8 ms', () => {
  const neighbours = { relayStrict: ['pass1', 'pass2'], relayLoose: ['pass2', 'pass3'] } as const;

  it.each(['relayStrict', 'relayLoose'] as const)('%s: p50 is at least the median hold and at most the hold plus the probe’s own cost', (name) => {
    const run = runs[name];
    const { samples } = run.hitLatency;
    // The figures come from the last measurement (the probe measures again on a saturated host): its timed GETs are the last `samples`.
    const timedHolds = run.gets.slice(-samples).map((reply) => reply.heldMs);
    const heldP50 = percentile(timedHolds, 50);
    const heldP95 = percentile(timedHolds, 95);
    // The margin is read from the instrument, never a constant: what a GET costs through the same relay
    // without the hold, just before and just after (their p95, doubled: the held GET crosses the same
    // sockets and waits for a timer besides), plus how late the relay's own timers ran during this run
    // (the spread of its holds), which grows with the load of the shared machine while the run lasts.
    const unheld = neighbours[name].map((other) => runs[other].hitLatency);
    const margin = 2 * Math.max(...unheld.map((h) => h.p95Ms)) + (heldP95 - heldP50);
    const figures =
      `p50 ${run.hitLatency.p50Ms}ms (p95 ${run.hitLatency.p95Ms}ms), relay hold p50 ${heldP50.toFixed(3)}ms p95 ${heldP95.toFixed(3)}ms, ` +
      `unheld p50 ${unheld.map((h) => h.p50Ms).join('/')}ms p95 ${unheld.map((h) => h.p95Ms).join('/')}ms, direct p50 ${runs.direct.hitLatency.p50Ms}ms, ` +
      `margin ${margin.toFixed(3)}ms`;
    console.info(`${name}: ${figures}`);
    // Each timed span contains its reply's hold; the histogram reports a bucket's upper end, and µs rounding loses at most 0.5 µs.
    expect(run.hitLatency.p50Ms, figures).toBeGreaterThanOrEqual(heldP50 - 0.001);
    expect(run.hitLatency.p50Ms, figures).toBeLessThanOrEqual(heldP50 + margin);
  });

  it.each(['relayStrict', 'relayLoose', 'pass1', 'pass2', 'pass3'] as const)(
    '%s: the timed GETs are exactly the GET replies the relay forwarded, after the warm-up',
    (name) => {
      const run = runs[name];
      expect(run.hitLatency.samples).toBe(DEFAULT_HIT_LATENCY_SAMPLES);
      expect(run.hitLatency.errors).toBe(0);
      expect(run.gets).toHaveLength(run.attempts * (DEFAULT_HIT_LATENCY_WARMUP + DEFAULT_HIT_LATENCY_SAMPLES));
      // Each key is read in turn: the probe timed the keys it found, not some other key.
      expect(new Set(run.gets.map((reply) => reply.key))).toEqual(new Set(keys));
    },
  );

  it('a "< 5ms" budget does not pass behind an 8 ms hold; "< 50ms" passes', () => {
    const verdict = (run: Run) => run.result.verdicts.find((v) => v.metric === 'cache.hitLatency')!;
    const strict = verdict(runs.relayStrict);
    // Proven over the budget: its interval lies above 5 ms, because its lower end is a timed GET, which
    // contains a hold. So a fail, or inconclusive only by the saturation rule (failed twice on a saturated
    // host) — never inconclusive for want of evidence, as it would be if the 8 ms were not there.
    const timedHolds = runs.relayStrict.gets.slice(-runs.relayStrict.hitLatency.samples).map((reply) => reply.heldMs);
    expect(strict.interval!.lower, strict.message).toBeGreaterThanOrEqual(Math.min(...timedHolds) - 0.001);
    expect(strict.interval!.lower, strict.message).toBeGreaterThan(5);
    const attempts = (runs.relayStrict.result.data as { hitLatencyAttempts: Array<{ host: { saturated: boolean } }> }).hitLatencyAttempts;
    const saturatedTwice = attempts.length === 2 && attempts.every((attempt) => attempt.host.saturated);
    expect(strict, strict.message).toMatchObject({ passed: false, outcome: saturatedTwice ? 'inconclusive' : 'fail' });
    const loose = verdict(runs.relayLoose);
    expect(loose, loose.message).toMatchObject({ outcome: 'pass', passed: true });
  });

  it('without the hold the same probe is faster than the hold itself: the relay is what adds it', () => {
    const held = percentile(
      runs.relayLoose.gets.map((reply) => reply.heldMs),
      50,
    );
    for (const name of ['direct', 'pass1', 'pass2', 'pass3'] as const) expect(runs[name].hitLatency.p50Ms, name).toBeLessThan(held);
  });
});
