/**
 * What the cache holds for a key pattern: the keys (SCAN MATCH, never KEYS, which blocks the
 * server for O(N)), their TTLs (PTTL, pipelined) and their memory (MEMORY USAGE over a bounded
 * sample). TTL and EXISTS-like commands count as keyspace hits and misses in Redis, so callers run
 * this outside any hit-counting window.
 *
 * Keys are byte strings (see glob.ts) so binary keys survive the round trip.
 */
import type { Redis } from 'ioredis';
import { isRefusal } from './keymiss-config.js';
import { summarizeTtls, type TtlSummary } from './ttl-stats.js';

export interface ScanLimits {
  /** Stop after this many distinct keys. */
  maxKeys: number;
  /** Stop after this long (ms). */
  timeLimitMs: number;
  /** SCAN's COUNT: work per call, not a result size. */
  countHint: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxKeys: 100_000, timeLimitMs: 10_000, countHint: 1000 };

export interface ScanResult {
  /** Distinct keys found, in the order SCAN returned them. */
  keys: string[];
  /** True when a limit stopped the scan before the cursor came back to 0. */
  truncated: boolean;
  /** Why the scan stopped early, for people. */
  truncatedBy?: string;
  /** SCAN calls made. */
  calls: number;
  durationMs: number;
}

/**
 * All keys matching `pattern` (a byte string), de-duplicated: SCAN may return a key more than once
 * when the table is rehashed during the iteration.
 */
export async function scanKeys(
  client: Redis,
  pattern: string,
  limits: Partial<ScanLimits> = {},
  now: () => number = () => performance.now(),
): Promise<ScanResult> {
  const { maxKeys, timeLimitMs, countHint } = { ...DEFAULT_SCAN_LIMITS, ...limits };
  const started = now();
  const seen = new Set<string>();
  const match = Buffer.from(pattern, 'latin1');
  let cursor = '0';
  let calls = 0;
  let truncatedBy: string | undefined;
  do {
    // callBuffer: the typed scanBuffer takes the pattern only as a string, which would re-encode bytes.
    const [next, batch] = (await client.callBuffer('SCAN', cursor, 'MATCH', match, 'COUNT', countHint)) as [Buffer, Buffer[]];
    calls++;
    cursor = String(next);
    for (const key of batch) {
      if (seen.size >= maxKeys) break;
      seen.add(key.toString('latin1'));
    }
    if (cursor === '0') break;
    if (seen.size >= maxKeys) truncatedBy = `stopped at the limit of ${maxKeys} keys`;
    else if (now() - started > timeLimitMs) truncatedBy = `stopped after the time limit of ${Math.round(timeLimitMs)}ms`;
  } while (!truncatedBy);
  return { keys: [...seen], truncated: truncatedBy !== undefined, truncatedBy, calls, durationMs: now() - started };
}

/** PTTL of every key (ms; -1 no expiry, -2 gone), pipelined in batches. */
export async function readTtls(client: Redis, keys: readonly string[], batchSize = 500): Promise<number[]> {
  const ttls: number[] = [];
  for (let i = 0; i < keys.length; i += batchSize) {
    const pipeline = client.pipeline();
    for (const key of keys.slice(i, i + batchSize)) pipeline.pttl(Buffer.from(key, 'latin1'));
    const replies = (await pipeline.exec()) ?? [];
    for (const [error, value] of replies) {
      if (error) throw error;
      ttls.push(Number(value));
    }
  }
  return ttls;
}

export interface MemoryEstimate {
  /** Keys MEMORY USAGE was asked about (and that still existed). */
  sampled: number;
  /** Keys in the set the total stands for. */
  keys: number;
  sampledBytes: number;
  meanBytes: number | null;
  /** sampledBytes when every key was measured, otherwise mean × keys. */
  totalBytes: number | null;
  /** True when the total is extrapolated from a sample. */
  estimated: boolean;
}

/**
 * MEMORY USAGE (which does not count as a hit or miss) over at most `sampleSize` keys spread
 * evenly over the list, and the total for all keys: exact when every key was measured, otherwise
 * the sampled mean times the key count, and said to be an estimate.
 */
export async function estimateMemory(client: Redis, keys: readonly string[], sampleSize = 200, totalKeys = keys.length): Promise<MemoryEstimate> {
  const sample = pickEvenly(keys, sampleSize);
  const pipeline = client.pipeline();
  for (const key of sample) pipeline.call('MEMORY', 'USAGE', Buffer.from(key, 'latin1'));
  const replies = sample.length ? ((await pipeline.exec()) ?? []) : [];
  let sampled = 0;
  let sampledBytes = 0;
  for (const [error, value] of replies) {
    if (error) throw error;
    if (value === null) continue; // gone since SCAN
    sampled++;
    sampledBytes += Number(value);
  }
  const meanBytes = sampled ? sampledBytes / sampled : null;
  const complete = sample.length === totalKeys;
  const totalBytes = complete ? sampledBytes : meanBytes === null ? null : meanBytes * totalKeys;
  return { sampled, keys: totalKeys, sampledBytes, meanBytes, totalBytes, estimated: !complete };
}

/** At most `count` items spread evenly over the list (all of them when the list is short). */
export function pickEvenly<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  if (count <= 0) return [];
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]);
}

export interface KeyspaceAnalysis {
  pattern: string;
  scan: ScanResult;
  ttl: TtlSummary;
  memory: MemoryEstimate;
  /** Sentences for the report (truncation, estimates). */
  notes: string[];
}

export interface AnalysisOptions {
  scan?: Partial<ScanLimits>;
  /** Keys PTTL is asked about (all found keys by default, bounded by the scan limit). */
  ttlSampleSize?: number;
  memorySampleSize?: number;
}

/** Keys, TTL distribution and memory of one pattern. Run outside the hit-counting window. */
export async function analyzeKeyspace(client: Redis, pattern: string, options: AnalysisOptions = {}): Promise<KeyspaceAnalysis> {
  const scan = await scanKeys(client, pattern, options.scan);
  const ttlKeys = pickEvenly(scan.keys, options.ttlSampleSize ?? 10_000);
  const ttl = summarizeTtls(await readTtls(client, ttlKeys));
  const notes: string[] = [];
  let memory: MemoryEstimate;
  try {
    memory = await estimateMemory(client, scan.keys, options.memorySampleSize ?? 200);
  } catch (error) {
    // Some managed services refuse MEMORY USAGE; the other figures still stand.
    const message = error instanceof Error ? error.message : String(error);
    if (!isRefusal(message)) throw error;
    memory = { sampled: 0, keys: scan.keys.length, sampledBytes: 0, meanBytes: null, totalBytes: null, estimated: false };
    notes.push(`Memory not measured: MEMORY USAGE refused (${message}).`);
  }
  if (scan.truncated) notes.push(`SCAN ${scan.truncatedBy}: key counts and totals cover only the keys found.`);
  if (ttlKeys.length < scan.keys.length) notes.push(`TTLs read for ${ttlKeys.length} of ${scan.keys.length} keys (evenly spaced sample).`);
  if (memory.estimated && memory.totalBytes !== null) {
    notes.push(`Memory total is an estimate: mean of ${memory.sampled} sampled keys × ${memory.keys} keys.`);
  }
  if (ttl.noTtl > 0) notes.push(`${ttl.noTtl} key(s) have no TTL and never expire by themselves.`);
  return { pattern, scan, ttl, memory, notes };
}
