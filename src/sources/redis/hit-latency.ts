/**
 * Hit latency: the client round trip of GET on keys that exist, which is what "hits < 2ms" means
 * to an application. Recorded in an HdrHistogram at microsecond resolution. Every GET here is a
 * keyspace hit for Redis, so this runs outside the hit-counting window.
 */
import type { Redis } from 'ioredis';
import { createHistogram, estimatePercentile, summariseHistogram, type PercentileEstimate } from '../../metrics/histogram.js';

export interface HitLatency {
  samples: number;
  /** Milliseconds. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** GETs answered with an error (WRONGTYPE on a hash cache, ...): still timed round trips. */
  errors: number;
  /** p95 with its 95 % confidence interval (what `hitLatency` judges). */
  p95: PercentileEstimate;
}

export interface HitLatencyOptions {
  /** Timed GETs (cycling over the keys). */
  samples?: number;
  /** Untimed GETs first, to warm the connection. */
  warmup?: number;
}

/** What the cache probe sends when no options are given: exported so tests can count GETs on the wire. */
export const DEFAULT_HIT_LATENCY_SAMPLES = 200;
export const DEFAULT_HIT_LATENCY_WARMUP = 10;

/** Time GETs of existing keys (byte strings), one at a time; null when there are no keys. */
export async function measureHitLatency(client: Redis, keys: readonly string[], options: HitLatencyOptions = {}): Promise<HitLatency | null> {
  if (keys.length === 0) return null;
  const samples = options.samples ?? DEFAULT_HIT_LATENCY_SAMPLES;
  const warmup = options.warmup ?? DEFAULT_HIT_LATENCY_WARMUP;
  const buffers = keys.map((key) => Buffer.from(key, 'latin1'));
  // The shared histogram module: one rounding rule (no percentile above max) and the same intervals as every probe.
  const histogram = createHistogram();
  let errors = 0;
  for (let i = 0; i < warmup + samples; i++) {
    const key = buffers[i % buffers.length];
    const started = performance.now();
    try {
      await client.getBuffer(key);
    } catch {
      errors += i >= warmup ? 1 : 0;
    }
    const micros = Math.round((performance.now() - started) * 1000);
    if (i >= warmup) histogram.recordValue(Math.max(1, micros));
  }
  const summary = summariseHistogram(histogram);
  return {
    samples,
    p50Ms: summary.p50,
    p95Ms: summary.p95,
    p99Ms: summary.p99,
    maxMs: summary.max,
    meanMs: summary.mean,
    errors,
    p95: estimatePercentile(histogram, 95),
  };
}
