/**
 * Hit latency: the client round trip of GET on keys that exist, which is what "hits < 2ms" means
 * to an application. Recorded in an HdrHistogram at microsecond resolution. Every GET here is a
 * keyspace hit for Redis, so this runs outside the hit-counting window.
 */
import { hdrLibrary } from '../../metrics/histogram.js';
import type { Redis } from 'ioredis';

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
}

export interface HitLatencyOptions {
  /** Timed GETs (cycling over the keys). */
  samples?: number;
  /** Untimed GETs first, to warm the connection. */
  warmup?: number;
}

/** Time GETs of existing keys (byte strings), one at a time; null when there are no keys. */
export async function measureHitLatency(client: Redis, keys: readonly string[], options: HitLatencyOptions = {}): Promise<HitLatency | null> {
  if (keys.length === 0) return null;
  const samples = options.samples ?? 200;
  const warmup = options.warmup ?? 10;
  const buffers = keys.map((key) => Buffer.from(key, 'latin1'));
  const histogram = hdrLibrary().build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let errors = 0;
  try {
    for (let i = 0; i < warmup + samples; i++) {
      const key = buffers[i % buffers.length];
      const started = process.hrtime.bigint();
      try {
        await client.getBuffer(key);
      } catch {
        errors += i >= warmup ? 1 : 0;
      }
      const micros = Number((process.hrtime.bigint() - started) / 1000n);
      if (i >= warmup) histogram.recordValue(Math.max(1, micros));
    }
    const ms = (micros: number) => micros / 1000;
    return {
      samples,
      p50Ms: ms(histogram.getValueAtPercentile(50)),
      p95Ms: ms(histogram.getValueAtPercentile(95)),
      p99Ms: ms(histogram.getValueAtPercentile(99)),
      maxMs: ms(histogram.maxValue),
      meanMs: ms(histogram.mean),
      errors,
    };
  } finally {
    histogram.destroy();
  }
}
