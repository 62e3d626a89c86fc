/**
 * Per-pattern reads, misses and written TTLs from MONITOR lines and key-miss notifications. Pure:
 * hit-counter.ts feeds it what the connections deliver; tests feed it recorded lines.
 *
 * Only events between the start and end sentinels count, each stream judged on its own: Redis
 * executes commands one at a time and each connection receives its events in that order, so the
 * sentinel reads mark the same point of the server's history on both streams.
 */
import { compileRedisGlob } from './glob.js';
import type { MonitorLine } from './monitor-line.js';
import { extractReadKeys, extractTtlWrite } from './read-commands.js';

export interface PatternCounts {
  /** The pattern as given (byte string, see glob.ts). */
  pattern: string;
  /** Key lookups by read commands on keys of the pattern. */
  reads: number;
  /** Of those, lookups of a key that was absent (keymiss notifications). */
  misses: number;
  /** reads - misses. */
  hits: number;
  /** hits / reads in percent; null when there were no reads. */
  hitRate: number | null;
  /** TTLs (ms) the application wrote on keys of the pattern during the window, as written. */
  ttlWrites: number[];
}

export interface TallyOptions {
  patterns: string[];
  db: number;
  /** The keys of the start and end sentinel reads (perfspec's own, never counted). */
  startSentinel: string;
  endSentinel: string;
  /** MONITOR sources (`ip:port`) of perfspec's own connections, never counted. */
  ownSources: Iterable<string>;
}

export interface TallySummary {
  patterns: PatternCounts[];
  /** Reads in the db that matched none of the patterns (other traffic of the application). */
  otherReads: number;
  otherMisses: number;
  /** Reads of keys of the patterns in other databases, by db index. */
  otherDbReads: Record<number, number>;
  /** Both end sentinels arrived: everything up to the end of the window has been seen. */
  drained: boolean;
  /** Problems that make the figures unreliable (e.g. more misses than reads for a pattern). */
  anomalies: string[];
}

type Phase = 'before' | 'open' | 'closed';

/** Keeps at most this many distinct written TTLs per pattern (they are usually one value). */
const MAX_TTL_WRITES = 10_000;

export class HitTally {
  private readonly matchers: Array<(key: string) => boolean>;
  private readonly reads: number[];
  private readonly misses: number[];
  private readonly ttlWrites: number[][];
  private otherReads = 0;
  private otherMisses = 0;
  private readonly otherDbReads = new Map<number, number>();
  private monitorPhase: Phase = 'before';
  private missPhase: Phase = 'before';
  private readonly ownSources: Set<string>;

  constructor(private readonly options: TallyOptions) {
    this.matchers = options.patterns.map(compileRedisGlob);
    this.reads = options.patterns.map(() => 0);
    this.misses = options.patterns.map(() => 0);
    this.ttlWrites = options.patterns.map(() => []);
    this.ownSources = new Set(options.ownSources);
  }

  get monitorOpened(): boolean {
    return this.monitorPhase !== 'before';
  }

  get missesOpened(): boolean {
    return this.missPhase !== 'before';
  }

  get monitorDrained(): boolean {
    return this.monitorPhase === 'closed';
  }

  get missesDrained(): boolean {
    return this.missPhase === 'closed';
  }

  observeMonitorLine(line: MonitorLine): void {
    if (line.db !== this.options.db) {
      if (this.monitorPhase === 'open') this.countOtherDb(line);
      return;
    }
    const keys = extractReadKeys(line.args);
    if (this.monitorPhase !== 'open') {
      if (this.monitorPhase === 'before' && keys.includes(this.options.startSentinel)) this.monitorPhase = 'open';
      return;
    }
    if (keys.includes(this.options.endSentinel)) {
      this.monitorPhase = 'closed';
      return;
    }
    if (this.ownSources.has(line.source)) return;
    for (const key of keys) {
      const matched = this.matchPatterns(key);
      if (matched.length === 0) this.otherReads++;
      for (const index of matched) this.reads[index]++;
    }
    const write = extractTtlWrite(line.args, line.timestamp);
    if (write) {
      for (const index of this.matchPatterns(write.key)) {
        if (this.ttlWrites[index].length < MAX_TTL_WRITES) this.ttlWrites[index].push(write.ttlMs);
      }
    }
  }

  /** One `__keyevent@<db>__:keymiss` message (its payload is the key). */
  observeKeymiss(key: string): void {
    if (this.missPhase !== 'open') {
      if (this.missPhase === 'before' && key === this.options.startSentinel) this.missPhase = 'open';
      return;
    }
    if (key === this.options.endSentinel) {
      this.missPhase = 'closed';
      return;
    }
    const matched = this.matchPatterns(key);
    if (matched.length === 0) this.otherMisses++;
    for (const index of matched) this.misses[index]++;
  }

  // Reads of pattern keys in another db usually mean services.redis.url names the wrong db.
  private countOtherDb(line: MonitorLine): void {
    if (this.ownSources.has(line.source)) return;
    const matching = extractReadKeys(line.args).filter((key) => this.matchPatterns(key).length > 0).length;
    if (matching > 0) this.otherDbReads.set(line.db, (this.otherDbReads.get(line.db) ?? 0) + matching);
  }

  /** Indexes of every pattern the key matches: overlapping patterns each count the key. */
  private matchPatterns(key: string): number[] {
    const matched: number[] = [];
    this.matchers.forEach((match, index) => {
      if (match(key)) matched.push(index);
    });
    return matched;
  }

  summarize(): TallySummary {
    const anomalies: string[] = [];
    const patterns = this.options.patterns.map((pattern, i): PatternCounts => {
      const reads = this.reads[i];
      const misses = this.misses[i];
      if (misses > reads) {
        anomalies.push(`${pattern}: ${misses} key misses but only ${reads} reads seen; a read command missing from the read-command table?`);
      }
      const hits = Math.max(0, reads - misses);
      return { pattern, reads, misses, hits, hitRate: reads > 0 ? (hits / reads) * 100 : null, ttlWrites: [...this.ttlWrites[i]] };
    });
    return {
      patterns,
      otherReads: this.otherReads,
      otherMisses: this.otherMisses,
      otherDbReads: Object.fromEntries(this.otherDbReads),
      drained: this.monitorDrained && this.missesDrained,
      anomalies,
    };
  }
}
