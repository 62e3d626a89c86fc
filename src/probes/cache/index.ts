/**
 * The cache probe: Redis cache targets of one check, per key pattern.
 *
 * Order matters, because Redis counts perfspec's own TTL/EXISTS-like reads as hits and misses:
 * 1. cold.flush only: delete the pattern's keys, so the window starts cold and the TTLs the
 *    application writes are seen (opt-in: it empties that part of the application's cache);
 * 2. the traffic window: the check's request `requests` times, one at a time (concurrent requests
 *    on a cold key would all miss, making the count depend on timing), cycling `params`, with the
 *    hit counter on; then drain;
 * 3. outside the window: keys (SCAN), TTLs (PTTL), memory (MEMORY USAGE), hit latency (GET);
 * 4. cold.flush only: cold vs warm endpoint latency — delete the keys, one request (cold), the
 *    same request again (warm), a few rounds.
 */
import { PerfspecError } from '../../errors.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import type { CacheBudget } from '../../generated/spec-types.js';
import type { RedisServiceHandle } from '../../sources/redis/service.js';
import { classifyError, increment } from '../request-outcome.js';
import { collectProblems } from '../validate-sections.js';
import { placeOf, type CheckProbe, type PlannedCheck, type ProbeContext } from '../types.js';
import { readCacheConfig, scopeForParams, type CacheConfig } from './config.js';
import { judgeCache, tabulateCache, type CacheMeasurement } from './judge.js';
import { describeHostLoad, startHostMonitor, waitForCalm, type HostLoad } from '../../metrics/host-monitor.js';
import type { HitLatency } from '../../sources/redis/hit-latency.js';
import { intervalOutcome } from '../../verdict/judge.js';

/** Cold/warm pairs measured when the spec allows deleting keys. */
const COLD_ROUNDS = 5;

// The probe runs only on checks with a cache key; `{}` stands in so parse names the missing keys.
const parseCache = (check: PlannedCheck): CacheConfig => readCacheConfig(check.raw.cache ?? ({} as CacheBudget), placeOf(check));

export const cacheProbe: CheckProbe<CacheConfig, CacheMeasurement> = {
  kind: 'cache',
  key: 'cache',
  service: 'redis',
  parse: parseCache,
  validate: (check) => collectProblems(() => parseCache(check)),
  measure: (check, config, ctx) => measureCache(check, config, ctx.services.get<RedisServiceHandle>('redis'), ctx),
  judge: (check, config, measured) => judgeCache(check.name, config, measured),
  present: (_check, _config, measured) => ({
    tables: tabulateCache(measured),
    notes: measured.notes,
    // Plain data (no key lists): the JSON report and baselines keep it.
    data: measured as unknown as Record<string, unknown>,
  }),
};

export async function measureCache(check: PlannedCheck, config: CacheConfig, redis: RedisServiceHandle, ctx: ProbeContext): Promise<CacheMeasurement> {
  const notes: string[] = [];
  const pattern = config.pattern;
  let flushed: number | null = null;
  if (config.flush) flushed = await redis.deleteKeys(pattern);

  const send = (index: number) =>
    ctx.http.send(ctx.buildRequest(check.request, scopeForParams(config.params[index % config.params.length])), {
      timeoutMs: check.timeoutMs,
      signal: ctx.signal,
    });

  const latency = new LatencyHistogram();
  const statuses = new Map<string, number>();
  const errors = new Map<string, number>();
  let unexpected = 0;
  let sent = 0;
  const counter = await redis.startHitCounter({ patterns: [pattern] });
  let hits;
  try {
    for (let index = 0; index < config.requests && !ctx.signal.aborted; index++) {
      // Redis gone (MONITOR or the subscription closed): stop now; stop() below says what broke.
      // Sending the remaining requests would only delay the exit-3 report by minutes.
      if (counter.broken()) break;
      ctx.progress.update(`${check.name}: cache traffic ${index + 1}/${config.requests}`);
      sent++;
      try {
        const response = await send(index);
        latency.record(response.durationMs);
        increment(statuses, String(response.status));
        if (!check.expectStatus.includes(response.status)) unexpected++;
      } catch (error) {
        increment(errors, classifyError(error));
      }
    }
    if (ctx.signal.aborted) {
      // Ctrl-C: the window is incomplete and the exit guard may already have restored the
      // notifications, so draining would only wait for events that cannot come.
      throw new PerfspecError('PS_ABORTED', `${check.name}: interrupted during the cache traffic window (${sent} of ${config.requests} requests)`);
    }
    hits = await counter.stop();
  } finally {
    await counter.close();
  }
  notes.push(...hits.notes);
  if (unexpected > 0 || errors.size > 0) {
    notes.push(
      `${unexpected + [...errors.values()].reduce((a, b) => a + b, 0)} of ${sent} cache-traffic requests did not succeed; their cache reads may be missing.`,
    );
  }

  ctx.progress.update(`${check.name}: cache keys, TTLs and memory`);
  const analysis = await redis.analyze(pattern);
  notes.push(...analysis.notes);
  const {
    hitLatency,
    host: hitLatencyHost,
    attempts: hitLatencyAttempts,
  } = await measureHitLatencyWatched(config, () => redis.measureHitLatency(analysis.scan.keys), ctx);

  if (hitLatency) {
    notes.push(
      `Host while timing cache hits: ${describeHostLoad(hitLatencyHost)}${hitLatencyHost.saturated ? ` — SATURATED (${hitLatencyHost.reasons.join('; ')})` : ''}${hitLatencyAttempts.length > 1 ? '; the hit latency failed while the host was saturated, so it was measured again (figures from the second measurement)' : ''}.`,
    );
  }

  let coldWarm: CacheMeasurement['coldWarm'] = null;
  if (config.flush && !ctx.signal.aborted) {
    const cold = new LatencyHistogram();
    const warm = new LatencyHistogram();
    for (let round = 0; round < COLD_ROUNDS && !ctx.signal.aborted; round++) {
      ctx.progress.update(`${check.name}: cold vs warm ${round + 1}/${COLD_ROUNDS}`);
      await redis.deleteKeys(pattern);
      const first = await send(round).catch(() => undefined);
      const second = await send(round).catch(() => undefined);
      if (first && second) {
        cold.record(first.durationMs);
        warm.record(second.durationMs);
      }
    }
    coldWarm = { cold: cold.summary(), warm: warm.summary() };
  } else if (!config.flush) {
    notes.push(
      `Cold-cache latency not measured: perfspec deletes the keys of ${pattern} only with cache.cold.flush: true (it empties that part of the application's cache).`,
    );
  }

  return {
    pattern,
    flushed,
    window: {
      requests: sent,
      statuses: Object.fromEntries(statuses),
      errors: Object.fromEntries(errors),
      unexpected,
      latency: latency.summary(),
    },
    hits,
    keys: { count: analysis.scan.keys.length, truncated: analysis.scan.truncated, truncatedBy: analysis.scan.truncatedBy },
    ttl: analysis.ttl,
    memory: analysis.memory,
    hitLatency,
    hitLatencyHost,
    hitLatencyAttempts,
    coldWarm,
    notes,
  };
}

/**
 * Hit latency with the host watched: a p95 proven over its budget while the host was saturated is
 * measured again (after the host calms, at most a few seconds) before it is believed.
 */
async function measureHitLatencyWatched(
  config: CacheConfig,
  measure: () => Promise<HitLatency | null>,
  ctx: ProbeContext,
): Promise<{ hitLatency: HitLatency | null; host: HostLoad; attempts: Array<{ p95Ms: number; host: HostLoad }> }> {
  const once = async () => {
    const monitor = startHostMonitor(ctx.now);
    const hitLatency = await measure();
    return { hitLatency, host: monitor.stop() };
  };
  let current = await once();
  const attempts = current.hitLatency ? [{ p95Ms: current.hitLatency.p95Ms, host: current.host }] : [];
  const budget = config.hitLatency;
  const provenOver = (h: HitLatency | null) => Boolean(budget && h && intervalOutcome(budget, h.p95.lower, h.p95.upper) === 'fail');
  if (budget && current.host.saturated && provenOver(current.hitLatency) && !ctx.signal.aborted) {
    await waitForCalm(5000, ctx.signal);
    current = await once();
    if (current.hitLatency) attempts.push({ p95Ms: current.hitLatency.p95Ms, host: current.host });
  }
  return { ...current, attempts };
}
