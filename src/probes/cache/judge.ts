/**
 * Judging and presenting a cache measurement. Pure: the measurement in, verdicts and preformatted
 * tables out, so every reporter shows the same figures and tests need no Redis.
 */
import type { LatencySummary } from '../../metrics/latency-histogram.js';
import type { ReportTable } from '../../result/result.js';
import type { HitCounterResult } from '../../sources/redis/hit-counter.js';
import type { HitLatency } from '../../sources/redis/hit-latency.js';
import type { HostLoad } from '../../metrics/host-monitor.js';
import { noteSaturation, settleAfterRemeasure } from '../endpoint/saturation.js';
import type { MemoryEstimate } from '../../sources/redis/keyspace.js';
import type { TtlSummary } from '../../sources/redis/ttl-stats.js';
import { formatValue } from '../../units/budget.js';
import { formatDuration } from '../../units/duration.js';
import { formatBytes } from '../../units/quantity.js';
import { judgeBudget, judgeCondition, judgeEstimate, judgeTolerance, type JudgeInput } from '../../verdict/judge.js';
import type { Verdict } from '../../verdict/types.js';
import type { CacheConfig } from './config.js';

export interface CacheMeasurement {
  pattern: string;
  /** Keys deleted before the window (cold.flush), or null when the spec did not opt in. */
  flushed: number | null;
  window: {
    requests: number;
    /** Responses by status, and transport errors by kind. */
    statuses: Record<string, number>;
    errors: Record<string, number>;
    unexpected: number;
    latency: LatencySummary;
  };
  hits: HitCounterResult;
  keys: { count: number; truncated: boolean; truncatedBy?: string };
  ttl: TtlSummary;
  memory: MemoryEstimate;
  hitLatency: HitLatency | null;
  /** The host while the hit latency was measured (the last attempt), and how many attempts it took. */
  hitLatencyHost?: HostLoad;
  hitLatencyAttempts?: Array<{ p95Ms: number; host: HostLoad }>;
  /** Endpoint latency with the pattern's keys absent (cold) and right after (warm); null unless cold.flush. */
  coldWarm: { cold: LatencySummary; warm: LatencySummary } | null;
  notes: string[];
}

export function judgeCache(checkName: string, config: CacheConfig, m: CacheMeasurement): Verdict[] {
  const input = (metric: string, level = config.level): JudgeInput => ({ check: checkName, probe: 'cache', metric, level });
  const verdicts: Verdict[] = [];
  const pattern = m.pattern;
  const keyCount = m.keys.count;

  verdicts.push(
    judgeCondition(
      input('cache.keys'),
      `keys matching ${pattern}`,
      String(keyCount),
      keyCount > 0,
      keyCount > 0
        ? `${keyCount}${m.keys.truncated ? '+' : ''} key(s) match ${pattern} after ${m.window.requests} requests`
        : `no key matches ${pattern} after ${m.window.requests} requests: the endpoint does not cache under this pattern`,
      keyCount,
    ),
  );

  if (config.hitRate) verdicts.push(judgeHitRate(input, config, m));

  if (config.ttl) {
    const written = m.hits.patterns[0]?.ttlWritten ?? null;
    if (written) {
      // The TTL the application wrote (SET ... EX) is the configured TTL itself; judge the one farthest off.
      const worst = Math.abs(written.minMs - config.ttl.expected) > Math.abs(written.maxMs - config.ttl.expected) ? written.minMs : written.maxMs;
      const verdict = judgeTolerance(input('cache.ttl'), config.ttl, worst);
      verdicts.push({ ...verdict, message: `${verdict.message} (TTL written by the application, ${written.count} write(s) seen)` });
    } else if (m.ttl.maxMs !== null) {
      const verdict = judgeTolerance(input('cache.ttl'), config.ttl, m.ttl.maxMs);
      verdicts.push({
        ...verdict,
        message: `${verdict.message} (remaining TTL of the freshest key; no write was seen in the window, so it understates the configured TTL by the key's age)`,
      });
    } else {
      const verdict = judgeTolerance(input('cache.ttl'), config.ttl, null);
      const why = keyCount === 0 ? `no key matches ${pattern}, so there is no TTL to measure` : `none of the ${keyCount} key(s) has a TTL`;
      verdicts.push({ ...verdict, message: why });
    }
    // Always judged, so a report has the same budgets whether the endpoint caches or not (CI
    // histories match testcases by name): with no key, no key lacks a TTL — as memory judges 0 bytes.
    verdicts.push(
      judgeCondition(
        input('cache.noTtl'),
        'every key expires',
        String(m.ttl.noTtl),
        m.ttl.noTtl === 0,
        keyCount === 0
          ? `no key matches ${pattern}, so none lacks a TTL`
          : m.ttl.noTtl === 0
            ? `all ${m.ttl.keys} key(s) have a TTL`
            : `${m.ttl.noTtl} of ${m.ttl.keys} key(s) of ${pattern} have no TTL and never expire by themselves`,
        m.ttl.noTtl,
      ),
    );
  }

  if (config.hitLatency) {
    // p95 of the GET round trips, judged by its confidence interval (older measurements without one: the point value).
    const verdict = m.hitLatency?.p95
      ? judgeEstimate(input('cache.hitLatency'), config.hitLatency, m.hitLatency.p95)
      : judgeBudget(input('cache.hitLatency'), config.hitLatency, m.hitLatency?.p95Ms ?? null);
    const described = m.hitLatency
      ? { ...verdict, message: `${verdict.message} (p95 of ${m.hitLatency.samples} Redis GET round trips)` }
      : { ...verdict, message: `no key of ${pattern} to time a cache hit on` };
    // Measured twice because the first failed on a saturated host: a failure again under saturation is inconclusive.
    const attempts = m.hitLatencyAttempts ?? [];
    const settled = attempts.length > 1 && m.hitLatencyHost ? settleAfterRemeasure([described], m.hitLatencyHost, attempts[0].host)[0] : described;
    verdicts.push(m.hitLatencyHost ? noteSaturation([settled], m.hitLatencyHost)[0] : settled);
  }

  if (config.memory) {
    // No keys is 0 bytes (true, and passes); keys whose memory could not be read is no measurement.
    const total = m.memory.totalBytes ?? (keyCount === 0 ? 0 : null);
    const verdict = judgeBudget(input('cache.memory'), config.memory, total);
    verdicts.push(m.memory.estimated ? { ...verdict, message: `${verdict.message} (estimated from ${m.memory.sampled} sampled keys)` } : verdict);
  }
  return verdicts;
}

function judgeHitRate(input: (metric: string, level?: 'error' | 'warn') => JudgeInput, config: CacheConfig, m: CacheMeasurement): Verdict {
  const budget = config.hitRate!;
  if (m.hits.source === 'info-global') {
    // Not the pattern's figure: reported, judged, but never allowed to fail the run on its own.
    const verdict = judgeBudget(input('cache.hitRate', 'warn'), budget, m.hits.global?.hitRate ?? null);
    return {
      ...verdict,
      actual: `${verdict.actual} (global)`,
      message: `${verdict.message} — server-wide INFO figure, not ${m.pattern} alone: per-pattern counting is unavailable on this server`,
    };
  }
  const counts = m.hits.patterns[0];
  if (!counts || counts.reads === 0) {
    const verdict = judgeBudget(input('cache.hitRate'), budget, 0);
    return {
      ...verdict,
      message: `0 reads of ${m.pattern} in ${m.window.requests} requests, so 0 hits: the endpoint does not read this cache`,
    };
  }
  const verdict = judgeBudget(input('cache.hitRate'), budget, counts.hitRate);
  return { ...verdict, message: `${verdict.message} (${counts.hits} hits, ${counts.misses} misses in ${counts.reads} reads)` };
}

/** The tables every reporter shows for a cache check. */
export function tabulateCache(m: CacheMeasurement): ReportTable[] {
  const tables: ReportTable[] = [];
  const counts = m.hits.patterns[0];
  const global = m.hits.global;
  const globalText = global?.hitRate == null ? 'n/a' : `${`${global.hitRate.toFixed(1)}%`} (${global.hits}/${global.hits + global.misses})`;
  tables.push({
    title: `Hits on ${m.pattern}`,
    columns: ['source', 'requests', 'reads', 'misses', 'hits', 'hit rate', 'INFO (whole server)'],
    rows: [
      m.hits.source === 'info-global' || !counts
        ? [m.hits.source, String(m.window.requests), 'n/a', 'n/a', 'n/a', 'n/a', globalText]
        : [
            m.hits.source,
            String(m.window.requests),
            String(counts.reads),
            String(counts.misses),
            String(counts.hits),
            counts.hitRate === null ? 'n/a' : `${counts.hitRate.toFixed(1)}%`,
            globalText,
          ],
    ],
  });

  const written = counts?.ttlWritten;
  const ms = (value: number | null) => (value === null ? 'n/a' : formatDuration(value));
  tables.push({
    title: `TTL of ${m.pattern}`,
    columns: ['keys', 'with TTL', 'without TTL', 'min', 'median', 'max', 'written by the app'],
    rows: [
      [
        `${m.keys.count}${m.keys.truncated ? '+' : ''}`,
        String(m.ttl.withTtl),
        String(m.ttl.noTtl),
        ms(m.ttl.minMs),
        ms(m.ttl.medianMs),
        ms(m.ttl.maxMs),
        written
          ? written.minMs === written.maxMs
            ? `${formatDuration(written.minMs)} (${written.count}×)`
            : `${formatDuration(written.minMs)}–${formatDuration(written.maxMs)} (${written.count}×)`
          : 'none seen',
      ],
    ],
  });
  const buckets = m.ttl.buckets.filter((bucket) => bucket.count > 0);
  if (buckets.length > 0) {
    tables.push({
      title: `Remaining TTL distribution of ${m.pattern}`,
      columns: ['remaining TTL', 'keys'],
      rows: [...buckets.map((bucket) => [bucket.label, String(bucket.count)]), ...(m.ttl.noTtl ? [['no TTL', String(m.ttl.noTtl)]] : [])],
    });
  }

  const latency = m.hitLatency;
  tables.push({
    title: `Memory and hit latency of ${m.pattern}`,
    columns: ['memory', 'per key', 'measured keys', 'GET p50', 'GET p95', 'GET p99', 'GET max'],
    rows: [
      [
        m.memory.totalBytes === null ? 'n/a' : `${m.memory.estimated ? '≈ ' : ''}${formatBytes(m.memory.totalBytes)}`,
        m.memory.meanBytes === null ? 'n/a' : formatBytes(m.memory.meanBytes),
        `${m.memory.sampled} of ${m.memory.keys}`,
        latency ? formatDuration(latency.p50Ms) : 'n/a',
        latency ? formatDuration(latency.p95Ms) : 'n/a',
        latency ? formatDuration(latency.p99Ms) : 'n/a',
        latency ? formatDuration(latency.maxMs) : 'n/a',
      ],
    ],
  });

  const rows = [['traffic window', String(m.window.latency.count), ...latencyCells(m.window.latency)]];
  if (m.coldWarm) {
    rows.push(['cold (keys deleted)', String(m.coldWarm.cold.count), ...latencyCells(m.coldWarm.cold)]);
    rows.push(['warm (right after)', String(m.coldWarm.warm.count), ...latencyCells(m.coldWarm.warm)]);
  }
  tables.push({ title: `Endpoint latency, cold vs warm cache (${m.pattern})`, columns: ['requests', 'count', 'p50', 'p95', 'max'], rows });
  return tables;
}

function latencyCells(summary: LatencySummary): string[] {
  if (summary.count === 0) return ['n/a', 'n/a', 'n/a'];
  return [formatValue(summary.p50, 'duration'), formatValue(summary.p95, 'duration'), formatValue(summary.max, 'duration')];
}
