/**
 * The coordinator's side: merges generators' tick reports into run totals (exact histogram
 * merges), a per-second timeline, and the windows that breakpoint and abortOnFail judge.
 */
import type { StatEntry } from '../flows/compile-flows.js';
import type { ProtocolFaultCounts } from '../../sources/http/error-kind.js';
import type { ErrorKind, RequestStats, TimelinePoint } from '../types.js';
import { createHistogram, mergeSnapshot, percentileMs, summariseHistogram, type Histogram } from '../../metrics/histogram.js';
import { summariseCountingDrops } from './drops.js';
import type { TickReport } from './tick.js';
import { estimateLatency } from '../../metrics/latency-estimates.js';

export interface Totals {
  requests: number;
  errors: number;
  /** Requests never sent because their arrival was dropped. */
  dropped: number;
  histogram: Histogram;
  statusCodes: Record<string, number>;
  errorKinds: Partial<Record<ErrorKind, number>>;
}

export function createTotals(): Totals {
  return { requests: 0, errors: 0, dropped: 0, histogram: createHistogram(), statusCodes: {}, errorKinds: {} };
}

export function addTotals(into: Totals, from: Totals): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.dropped += from.dropped;
  if (from.histogram.totalCount > 0) into.histogram.add(from.histogram);
  addCounts(into.statusCodes, from.statusCodes);
  addCounts(into.errorKinds, from.errorKinds);
}

function addCounts<K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const key of Object.keys(from) as K[]) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}

/** One second of the whole run (all generators), kept until every generator has reported it. */
export interface SecondBucket {
  seq: number;
  reported: number;
  totals: Totals;
  /** The same second per request name (several entries can share a name across flows). */
  byName: Map<string, { requests: number; errors: number; histogram: Histogram }>;
  users: number;
  dropped: number;
  late: number;
  lagMs: number;
}

export class LoadAggregate {
  readonly perEntry: Totals[];
  readonly uncorrected = createHistogram();
  readonly iterations = { started: 0, completed: 0, dropped: 0, late: 0 };
  readonly timeline: TimelinePoint[] = [];
  peakUsers = 0;
  private readonly pending = new Map<number, SecondBucket>();
  private readonly health = new Map<number, TickReport['health']>();
  /** Each generator's framing faults since it started (its latest report's). */
  private readonly protocol = new Map<number, ProtocolFaultCounts>();
  /** Each generator's count of bodies over maxBodySize since it started. */
  private readonly overCap = new Map<number, number>();

  constructor(
    readonly entries: StatEntry[],
    private readonly generators: number,
  ) {
    this.perEntry = entries.map(() => createTotals());
  }

  /** Merge one report; returns the seconds that became complete (all generators reported), in order. */
  add(report: TickReport): SecondBucket[] {
    let bucket = this.pending.get(report.seq);
    if (!bucket) {
      bucket = { seq: report.seq, reported: 0, totals: createTotals(), byName: new Map(), users: 0, dropped: 0, late: 0, lagMs: 0 };
      this.pending.set(report.seq, bucket);
    }
    bucket.reported++;
    bucket.users += report.users;
    bucket.dropped += report.iterations.dropped;
    bucket.late += report.iterations.late;
    bucket.lagMs = Math.max(bucket.lagMs, report.lagMaxMs ?? 0);
    for (const tick of report.entries) {
      const total = this.perEntry[tick.id];
      total.requests += tick.requests;
      total.errors += tick.errors;
      total.dropped += tick.dropped ?? 0;
      bucket.totals.requests += tick.requests;
      bucket.totals.errors += tick.errors;
      bucket.totals.dropped += tick.dropped ?? 0;
      addCounts(bucket.totals.errorKinds, tick.errorKinds);
      addCounts(total.statusCodes, tick.statusCodes);
      addCounts(total.errorKinds, tick.errorKinds);
      if (tick.histogram) mergeSnapshot(total.histogram, tick.histogram);
      const name = this.entries[tick.id]?.name ?? String(tick.id);
      let named = bucket.byName.get(name);
      if (!named) bucket.byName.set(name, (named = { requests: 0, errors: 0, histogram: createHistogram() }));
      named.requests += tick.requests;
      named.errors += tick.errors;
      if (tick.histogram) mergeSnapshot(named.histogram, tick.histogram);
    }
    if (report.all) mergeSnapshot(bucket.totals.histogram, report.all);
    if (report.uncorrected) mergeSnapshot(this.uncorrected, report.uncorrected);
    for (const key of Object.keys(this.iterations) as Array<keyof LoadAggregate['iterations']>) this.iterations[key] += report.iterations[key];
    this.health.set(report.generator, report.health);
    if (report.protocol) this.protocol.set(report.generator, report.protocol);
    if (report.bodiesOverCap) this.overCap.set(report.generator, report.bodiesOverCap);
    return this.completeSeconds(false);
  }

  /** After the last report: close every second still waiting (a generator may have stopped early). */
  flush(): SecondBucket[] {
    return this.completeSeconds(true);
  }

  private completeSeconds(all: boolean): SecondBucket[] {
    const done: SecondBucket[] = [];
    const seqs = [...this.pending.keys()].sort((a, b) => a - b);
    for (const seq of seqs) {
      const bucket = this.pending.get(seq)!;
      if (!all && bucket.reported < this.generators) break;
      this.pending.delete(seq);
      this.peakUsers = Math.max(this.peakUsers, bucket.users);
      this.timeline.push({
        second: seq,
        requests: bucket.totals.requests,
        errors: bucket.totals.errors,
        p50: percentileMs(bucket.totals.histogram, 50),
        p95: percentileMs(bucket.totals.histogram, 95),
        p99: percentileMs(bucket.totals.histogram, 99),
        users: bucket.users,
        dropped: bucket.dropped,
        late: bucket.late,
        lagMs: Math.round(bucket.lagMs * 10) / 10,
        byName: Object.fromEntries(
          [...bucket.byName].map(([name, named]) => [name, { requests: named.requests, errors: named.errors, p95: percentileMs(named.histogram, 95) }]),
        ),
      });
      done.push(bucket);
    }
    return done;
  }

  /** Worst figures across generator threads. */
  healthFigures(): { elu: number; delayP99Ms: number } {
    let elu = 0;
    let delayP99Ms = 0;
    for (const h of this.health.values()) {
      elu = Math.max(elu, h.elu);
      delayP99Ms = Math.max(delayP99Ms, h.delayP99Ms);
    }
    return { elu, delayP99Ms };
  }

  /** HTTP/1.1 framing faults of the whole run by kind, over every generator. */
  protocolFaults(): ProtocolFaultCounts {
    const total: ProtocolFaultCounts = {};
    for (const counts of this.protocol.values()) addCounts(total, counts);
    return total;
  }

  /** Responses of the whole run whose body was longer than maxBodySize. */
  bodiesOverCap(): number {
    let total = 0;
    for (const n of this.overCap.values()) total += n;
    return total;
  }

  /** Totals over the entries that match. */
  totalsWhere(match: (entry: StatEntry) => boolean): Totals {
    const totals = createTotals();
    this.entries.forEach((entry, i) => {
      if (match(entry)) addTotals(totals, this.perEntry[i]);
    });
    return totals;
  }
}

/**
 * A row of figures from totals over a span of elapsed time. Dropped requests count as failures in
 * the success and error rates and rank above every latency in `latencyCountingDrops` (drops.ts);
 * throughput and `latency` cover what was really sent.
 */
export function describeTotals(totals: Totals, elapsedMs: number, labels: { name: string; flow?: string; region?: string }): RequestStats {
  const seconds = elapsedMs / 1000;
  const wanted = totals.requests + totals.dropped;
  const successRate = wanted === 0 ? 0 : ((totals.requests - totals.errors) / wanted) * 100;
  return {
    ...labels,
    requests: totals.requests,
    errors: totals.errors,
    dropped: totals.dropped,
    successRate,
    errorRate: wanted === 0 ? 0 : ((totals.errors + totals.dropped) / wanted) * 100,
    throughput: seconds > 0 ? totals.requests / seconds : 0,
    latency: summariseHistogram(totals.histogram),
    // With drops the measured-only intervals would leave the victims out: judge the drop-aware points.
    ...(totals.dropped > 0
      ? { latencyCountingDrops: summariseCountingDrops(totals.histogram, totals.dropped) }
      : { estimates: estimateLatency(totals.histogram) }),
    statusCodes: { ...totals.statusCodes },
    errorKinds: { ...totals.errorKinds },
  };
}
