/**
 * What a generator (the main thread or a worker) reports once a second: everything measured in
 * that second, with histograms as plain snapshots. The coordinator builds every figure of the run — totals,
 * per-request tables, timeline, live thresholds — from these reports alone, so one thread and
 * many threads take exactly the same path.
 */
import type { ErrorKind } from '../types.js';
import type { ProtocolFaultCounts } from '../../sources/http/error-kind.js';
import { createHistogram, recordMs, snapshotHistogram, sumSnapshots, type Histogram, type HistogramSnapshot } from '../../metrics/histogram.js';

export interface EntryTick {
  id: number;
  requests: number;
  errors: number;
  /** Requests never sent because their arrival was dropped (absent when none). */
  dropped?: number;
  /** Histogram of latencies from the intended send time; absent when no response arrived. */
  histogram?: HistogramSnapshot;
  statusCodes: Record<string, number>;
  errorKinds: Partial<Record<ErrorKind, number>>;
}

export interface TickReport {
  generator: number;
  /** 1-based second of the run this report closes; the final report may close a partial second. */
  seq: number;
  final: boolean;
  entries: EntryTick[];
  /** Histogram of all entries' latencies in this second (the timeline's p95: one merge, not one per entry). */
  all?: HistogramSnapshot;
  /** Histogram of latencies from the actual send time (all entries). */
  uncorrected?: HistogramSnapshot;
  /** Virtual users busy at the end of the second. */
  users: number;
  iterations: { started: number; completed: number; dropped: number; late: number };
  /** Open model: how far behind schedule the latest-released batch of arrivals of this second was (ms); 0 when on time or closed model. */
  lagMaxMs: number;
  /** Since the generator started: HTTP/1.1 framing faults by kind (absent when none). */
  protocol?: ProtocolFaultCounts;
  /** Since the generator started: responses whose body was longer than maxBodySize (absent when none). */
  bodiesOverCap?: number;
  /** Since the generator started: event-loop utilisation (0..1) and event-loop delay p99 (ms). */
  health: { elu: number; delayP99Ms: number };
}

class EntrySlot {
  requests = 0;
  errors = 0;
  dropped = 0;
  histogram: Histogram | undefined;
  statusCodes: Record<string, number> = {};
  errorKinds: Partial<Record<ErrorKind, number>> = {};
}

/** Per-second counters of one generator; `drain` hands them over and starts the next second. */
export class TickCollector {
  private slots: Array<EntrySlot | undefined>;
  private readonly uncorrected = createHistogram();
  private readonly histograms: Histogram[] = [];
  iterations = { started: 0, completed: 0, dropped: 0, late: 0 };
  /** Worst schedule lag of this second (ms). */
  lagMaxMs = 0;

  constructor(entryCount: number) {
    this.slots = new Array(entryCount);
  }

  private slot(id: number): EntrySlot {
    let slot = this.slots[id];
    if (!slot) {
      slot = new EntrySlot();
      this.slots[id] = slot;
    }
    return slot;
  }

  /** A response arrived (it may still be an error: an unexpected status). */
  recordResponse(id: number, latencyMs: number, uncorrectedMs: number, status: number, error: ErrorKind | undefined): void {
    const slot = this.slot(id);
    slot.requests++;
    if (!slot.histogram) slot.histogram = this.histograms.pop() ?? createHistogram();
    recordMs(slot.histogram, latencyMs);
    recordMs(this.uncorrected, uncorrectedMs);
    slot.statusCodes[status] = (slot.statusCodes[status] ?? 0) + 1;
    if (error) {
      slot.errors++;
      slot.errorKinds[error] = (slot.errorKinds[error] ?? 0) + 1;
    }
  }

  /** No response: a network error or timeout. */
  recordFailure(id: number, error: ErrorKind): void {
    const slot = this.slot(id);
    slot.requests++;
    slot.errors++;
    slot.errorKinds[error] = (slot.errorKinds[error] ?? 0) + 1;
  }

  /** A dropped arrival: the request this entry would have sent was never sent. */
  recordDropped(id: number): void {
    this.slot(id).dropped++;
  }

  drain(): { entries: EntryTick[]; all?: HistogramSnapshot; uncorrected?: HistogramSnapshot; iterations: TickReport['iterations']; lagMaxMs: number } {
    const entries: EntryTick[] = [];
    const perEntry: HistogramSnapshot[] = [];
    this.slots.forEach((slot, id) => {
      if (!slot || (slot.requests === 0 && slot.dropped === 0)) return;
      const histogram = slot.histogram ? snapshotHistogram(slot.histogram) : undefined;
      if (histogram) perEntry.push(histogram);
      entries.push({
        id,
        requests: slot.requests,
        errors: slot.errors,
        ...(slot.dropped > 0 ? { dropped: slot.dropped } : {}),
        histogram,
        statusCodes: slot.statusCodes,
        errorKinds: slot.errorKinds,
      });
      if (slot.histogram) {
        // Histograms are reused from second to second: allocating ~95 KB each second would churn the GC.
        slot.histogram.reset();
        this.histograms.push(slot.histogram);
      }
    });
    this.slots = new Array(this.slots.length);
    // The second's histogram of all entries is the sum of theirs, built here rather than recorded
    // a second time per response (exact: bucket counts add).
    const all = perEntry.length > 0 ? sumSnapshots(perEntry) : undefined;
    const uncorrected = this.uncorrected.totalCount > 0 ? snapshotHistogram(this.uncorrected) : undefined;
    this.uncorrected.reset();
    const iterations = this.iterations;
    this.iterations = { started: 0, completed: 0, dropped: 0, late: 0 };
    const lagMaxMs = this.lagMaxMs;
    this.lagMaxMs = 0;
    return { entries, all, uncorrected, iterations, lagMaxMs };
  }
}
