/**
 * TTL distribution of a key set from PTTL replies. Pure. PTTL gives the remaining time in ms,
 * -1 for a key without expiry and -2 for a key that vanished between SCAN and PTTL.
 */

export interface TtlBucket {
  /** "< 1m", "1m–5m", … for people. */
  label: string;
  /** Inclusive lower bound and exclusive upper bound in ms (upper Infinity for the last bucket). */
  fromMs: number;
  toMs: number;
  count: number;
}

export interface TtlSummary {
  /** Keys asked about. */
  keys: number;
  /** Keys with an expiry. */
  withTtl: number;
  /** Keys without an expiry (PTTL -1): they never leave the cache by themselves. */
  noTtl: number;
  /** Keys that were gone when asked (PTTL -2). */
  vanished: number;
  /** Remaining TTL of the keys with an expiry, in ms; null when there are none. */
  minMs: number | null;
  medianMs: number | null;
  maxMs: number | null;
  buckets: TtlBucket[];
}

const MINUTE = 60_000;
/** Bucket edges that read well next to the TTLs caches are configured with (1–60 min, hours, days). */
export const DEFAULT_TTL_EDGES_MS = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 24 * 60 * MINUTE];

/** Summarise PTTL replies; `edges` are the bucket boundaries in ms, ascending. */
export function summarizeTtls(pttls: readonly number[], edges: readonly number[] = DEFAULT_TTL_EDGES_MS): TtlSummary {
  const remaining = pttls.filter((ttl) => ttl >= 0).sort((a, b) => a - b);
  const noTtl = pttls.filter((ttl) => ttl === -1).length;
  const vanished = pttls.filter((ttl) => ttl === -2).length;
  return {
    keys: pttls.length,
    withTtl: remaining.length,
    noTtl,
    vanished,
    minMs: remaining.length ? remaining[0] : null,
    medianMs: median(remaining),
    maxMs: remaining.length ? remaining[remaining.length - 1] : null,
    buckets: bucketTtls(remaining, edges),
  };
}

/** Median of an ascending list (mean of the two middle values for an even count). */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Count values into [0, e0), [e0, e1), …, [eLast, ∞); every bucket is listed, empty ones too. */
export function bucketTtls(values: readonly number[], edges: readonly number[] = DEFAULT_TTL_EDGES_MS): TtlBucket[] {
  const bounds = [0, ...edges, Infinity];
  const buckets: TtlBucket[] = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    const fromMs = bounds[i];
    const toMs = bounds[i + 1];
    buckets.push({ label: labelBucket(fromMs, toMs), fromMs, toMs, count: 0 });
  }
  for (const value of values) {
    if (value < 0) continue;
    const bucket = buckets.find((b) => value >= b.fromMs && value < b.toMs);
    if (bucket) bucket.count++;
  }
  return buckets;
}

function labelBucket(fromMs: number, toMs: number): string {
  if (fromMs === 0) return `< ${shortDuration(toMs)}`;
  if (toMs === Infinity) return `≥ ${shortDuration(fromMs)}`;
  return `${shortDuration(fromMs)}–${shortDuration(toMs)}`;
}

function shortDuration(ms: number): string {
  if (ms % (24 * 60 * MINUTE) === 0) return `${ms / (24 * 60 * MINUTE)}d`;
  if (ms % (60 * MINUTE) === 0) return `${ms / (60 * MINUTE)}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
