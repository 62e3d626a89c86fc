/**
 * Per-pattern cache hits during a traffic window, black-box:
 *
 *   reads  = key lookups by read commands seen in MONITOR (read-commands.ts), in the app's db,
 *            excluding perfspec's own connection;
 *   misses = `__keyevent@<db>__:keymiss` notifications (after turning on `notify-keyspace-events`
 *            E and m, and restoring the previous value afterwards);
 *   hits   = reads - misses, per pattern.
 *
 * The window is bounded on both streams by sentinel reads of unique absent keys: each stream
 * counts from the start sentinel to the end sentinel, so both cover the same stretch of the
 * server's history, and waiting for the end sentinel on both drains what pub/sub and MONITOR
 * still had in flight. INFO keyspace_hits/misses deltas are kept beside as a global cross-check.
 *
 * Where MONITOR, CONFIG or the notifications are refused (managed Redis), the result is the
 * global INFO delta labelled `info-global`, with the reason, and no per-pattern figures.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PerfspecError, describeError } from '../../errors.js';
import { closeRedis, connectRedis, readClientAddress, type RedisEndpoint } from './connect.js';
import { fromByteString, toByteString } from './glob.js';
import { HitTally } from './hit-tally.js';
import { diffKeyspaceCounters, parseKeyspaceCounters, type KeyspaceCounters } from './info.js';
import { enableKeymissEvents, type KeymissConfig } from './keymiss-config.js';
import { parseMonitorLine } from './monitor-line.js';
import { openMonitor, RedisCapabilityError, type MonitorStream } from './monitor-stream.js';
import { median } from './ttl-stats.js';

export type HitSource = 'monitor+keymiss' | 'info-global';

export interface PatternHits {
  pattern: string;
  reads: number;
  misses: number;
  hits: number;
  /** Percent; null without reads. */
  hitRate: number | null;
  /** TTLs the application wrote on keys of the pattern during the window (SET EX, EXPIRE...). */
  ttlWritten: { count: number; minMs: number; medianMs: number; maxMs: number } | null;
}

export interface HitCounterResult {
  source: HitSource;
  db: number;
  /** Per pattern; empty for `info-global`, which cannot tell patterns apart. */
  patterns: PatternHits[];
  /** INFO keyspace_hits/misses delta over the window, all databases, perfspec's sentinels removed. */
  global: (KeyspaceCounters & { hitRate: number | null }) | null;
  /** Reads and misses in the db on keys of no pattern. */
  otherReads: number;
  otherMisses: number;
  /** Reads of keys of the patterns in other databases, by db index (a wrong db in the URL?). */
  otherDbReads: Record<number, number>;
  windowMs: number;
  notes: string[];
}

export interface HitCounterOptions {
  /** Key patterns (Redis globs) to count separately. */
  patterns: string[];
  /** How long to wait for the sentinels on MONITOR and pub/sub. */
  drainTimeoutMs?: number;
  now?: () => number;
}

export interface HitCounter {
  readonly source: HitSource;
  /** End the window: drain, compute, and release everything (close() included). */
  stop(): Promise<HitCounterResult>;
  /** Release MONITOR, the subscription and the CONFIG change; idempotent, safe on any path. */
  close(): Promise<void>;
  /** Why counting broke during the window (Redis closed a connection), as soon as it is known. */
  broken(): string | undefined;
}

const SENTINEL_PREFIX = 'perfspec:sentinel:';
/** Each window reads two absent sentinel keys: two misses perfspec adds to INFO. */
const OWN_SENTINEL_MISSES = 2;

/**
 * Open MONITOR and the key-miss subscription and start the window. `client` is perfspec's command
 * connection, SELECTed to the application's db (endpoint.db); it must not read keys during the window.
 */
export async function startHitCounter(client: Redis, endpoint: RedisEndpoint, options: HitCounterOptions): Promise<HitCounter> {
  const now = options.now ?? (() => performance.now());
  const db = endpoint.db;
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  const id = randomUUID();
  const startSentinel = `${SENTINEL_PREFIX}${id}:start`;
  const endSentinel = `${SENTINEL_PREFIX}${id}:end`;
  const notes: string[] = [];
  const ownSource = await readClientAddress(client);
  const tally = new HitTally({
    patterns: options.patterns.map(toByteString),
    db,
    startSentinel,
    endSentinel,
    ownSources: ownSource ? [ownSource] : [],
  });

  let config: KeymissConfig | undefined;
  let subscriber: Redis | undefined;
  let monitor: MonitorStream | undefined;
  let broken: string | undefined;
  let fallbackReason: string | undefined;
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    monitor?.close();
    await closeRedis(subscriber);
    await config?.restore(client);
  };

  try {
    try {
      config = await enableKeymissEvents(client, endpoint);
    } catch (error) {
      if (!(error instanceof RedisCapabilityError)) throw error;
      // Events may still be on (ElastiCache parameter groups): the start sentinel tells.
      notes.push(`${error.message}; relying on key-miss notifications being enabled already.`);
    }
    subscriber = await connectRedis(endpoint, { select: false, name: 'perfspec-keymiss' });
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => tally.observeKeymiss(message.toString('latin1')));
    subscriber.on('end', () => {
      if (!closed) broken ??= 'the key-miss subscription was closed by the server';
    });
    try {
      await subscriber.subscribe(`__keyevent@${db}__:keymiss`);
    } catch (error) {
      throw new RedisCapabilityError('keymiss', `SUBSCRIBE to key-miss events refused: ${describeError(error)}`);
    }
    monitor = await openMonitor(endpoint, {
      onLine(text) {
        const line = parseMonitorLine(text);
        if (line) tally.observeMonitorLine(line);
      },
      onClose(reason) {
        if (!closed) broken ??= `MONITOR connection lost: ${reason}`;
      },
    });
  } catch (error) {
    if (!(error instanceof RedisCapabilityError)) {
      await close();
      throw error instanceof PerfspecError
        ? error
        : new PerfspecError('PS_PROBE_FAILED', `Could not start counting cache hits on ${endpoint.display}: ${describeError(error)}`, { cause: error });
    }
    fallbackReason = error.message;
    await close();
  }

  const before = await readKeyspaceCounters(client);
  const started = now();
  await client.get(startSentinel);
  if (!fallbackReason) {
    const opened = await waitFor(() => tally.monitorOpened && tally.missesOpened, drainTimeoutMs);
    if (!opened) {
      fallbackReason = tally.monitorOpened
        ? `no key-miss notification arrived for perfspec's start marker within ${drainTimeoutMs}ms (notify-keyspace-events lacks E and m and CONFIG is refused)`
        : `MONITOR did not show perfspec's start marker within ${drainTimeoutMs}ms`;
      await close();
    }
  }
  const source: HitSource = fallbackReason ? 'info-global' : 'monitor+keymiss';
  if (fallbackReason) {
    notes.push(`Per-pattern hit rates are unavailable (${fallbackReason}); only the global INFO keyspace_hits/misses delta of the whole server is reported.`);
  }

  let stopped: Promise<HitCounterResult> | undefined;
  const stop = async (): Promise<HitCounterResult> => {
    if (broken && source === 'monitor+keymiss') {
      // Redis went away mid-window: say so now rather than fail on the end marker's GET.
      throw new PerfspecError('PS_PROBE_FAILED', `Cache hit counting on ${endpoint.display} broke during the window: ${broken}`, {
        hint: "Redis closed perfspec's connections (restarted, crashed or dropped slow clients); check the server and run again.",
      });
    }
    await client.get(endSentinel);
    let drained = true;
    if (source === 'monitor+keymiss') {
      if (closed) broken ??= 'the counter was closed before the window ended (aborted?)';
      else
        drained = await waitFor(
          () => tally.monitorDrained && tally.missesDrained,
          drainTimeoutMs,
          () => broken !== undefined,
        );
    }
    const windowMs = now() - started;
    const after = await readKeyspaceCounters(client);
    await close();
    const global = before && after ? withRate(diffKeyspaceCounters(before, after, OWN_SENTINEL_MISSES)) : null;
    if (global) {
      notes.push('INFO keyspace_hits/misses count every database and client of the server; shown as a cross-check only.');
    }
    if (source === 'info-global') {
      return { source, db, patterns: [], global, otherReads: 0, otherMisses: 0, otherDbReads: {}, windowMs, notes };
    }
    if (broken || !drained) {
      throw new PerfspecError(
        'PS_PROBE_FAILED',
        broken
          ? `Cache hit counting on ${endpoint.display} broke during the window: ${broken}`
          : `Cache hit counting on ${endpoint.display}: MONITOR or key-miss events did not deliver the end marker within ${drainTimeoutMs}ms, so the counts would be incomplete`,
        { hint: 'A slow or overloaded Redis can drop MONITOR/pub-sub clients (client-output-buffer-limit); retry with fewer requests.' },
      );
    }
    const summary = tally.summarize();
    notes.push(...summary.anomalies);
    for (const [otherDb, reads] of Object.entries(summary.otherDbReads)) {
      notes.push(
        `${reads} read(s) of keys of these patterns went to db ${otherDb}, not db ${db}: does services.redis.url name the database the application uses?`,
      );
    }
    return {
      source,
      db,
      patterns: summary.patterns.map((counts) => ({
        pattern: fromByteString(counts.pattern),
        reads: counts.reads,
        misses: counts.misses,
        hits: counts.hits,
        hitRate: counts.hitRate,
        ttlWritten: summarizeWrites(counts.ttlWrites),
      })),
      global,
      otherReads: summary.otherReads,
      otherMisses: summary.otherMisses,
      otherDbReads: summary.otherDbReads,
      windowMs,
      notes,
    };
  };

  return {
    source,
    stop: () => (stopped ??= stop().finally(close)),
    close,
    broken: () => broken,
  };
}

async function readKeyspaceCounters(client: Redis): Promise<KeyspaceCounters | undefined> {
  try {
    return parseKeyspaceCounters(await client.info('stats'));
  } catch {
    return undefined;
  }
}

function withRate(counters: KeyspaceCounters): KeyspaceCounters & { hitRate: number | null } {
  const total = counters.hits + counters.misses;
  return { ...counters, hitRate: total > 0 ? (counters.hits / total) * 100 : null };
}

function summarizeWrites(ttls: number[]): PatternHits['ttlWritten'] {
  if (ttls.length === 0) return null;
  const sorted = [...ttls].sort((a, b) => a - b);
  return { count: sorted.length, minMs: sorted[0], medianMs: median(sorted) ?? sorted[0], maxMs: sorted[sorted.length - 1] };
}

/** Poll a condition every few ms until it holds, `giveUp` holds, or the timeout passes. */
async function waitFor(condition: () => boolean, timeoutMs: number, giveUp: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (giveUp() || Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}
