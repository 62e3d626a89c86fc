/**
 * The endpoint probe's sampling loop, apart so it can be called again and again ("take N more
 * samples", for adaptive sampling): every call adds to the same histograms and counters.
 *
 * Each concurrency slot sends its next request from inside the previous one's callback, after
 * that one has been recorded: no timer, abort signal or promise per request, and the probe's own
 * bookkeeping (histogram, status and body checks, progress) runs between spans, never inside one.
 * The probe's own event-loop delay is watched around the whole measurement by the host monitor
 * (src/metrics/host-monitor.ts), not here: one timer, one figure.
 */
import { performance } from 'node:perf_hooks';
import type { Http1Outcome } from '../../load/http/http1-client.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import { increment } from '../request-outcome.js';
import { checkJsonExpectations, type ExpectationFailure } from './expectations.js';
import { errorOf, type TimedTransport } from './transport.js';

export interface SamplerOptions {
  transport: TimedTransport;
  concurrency: number;
  expectStatus: readonly number[];
  /** `expect.json`: checked on every measured response (the transport must keep bodies). */
  expectJson?: Record<string, unknown>;
  signal: AbortSignal;
  /** Called now and then while sampling (every few percent), never per request. */
  onProgress?: (done: number, of: number) => void;
}

export class EndpointSampler {
  /** Request span: first byte written → last byte read. */
  readonly latency = new LatencyHistogram();
  /** First byte written → first response byte read (only from the lean client). */
  readonly ttfb = new LatencyHistogram();
  readonly statuses = new Map<string, number>();
  readonly errors = new Map<string, number>();
  unexpected = 0;
  expectationFailures = 0;
  firstExpectationFailure: ExpectationFailure | undefined;
  /** Wall-clock time spent in sample() calls (ms): with the count, the request rate. */
  sampledMs = 0;

  constructor(private readonly options: SamplerOptions) {}

  /** Send `count` requests whose outcomes count for nothing (warm-up). */
  warm(count: number): Promise<void> {
    return this.run(count, false);
  }

  /** Send `count` more measured requests, `concurrency` at a time. */
  async sample(count: number): Promise<void> {
    const started = performance.now();
    try {
      await this.run(count, true);
    } finally {
      this.sampledMs += performance.now() - started;
    }
  }

  private run(count: number, measured: boolean): Promise<void> {
    const { transport, signal, onProgress } = this.options;
    const slots = Math.min(this.options.concurrency, count);
    if (slots <= 0 || signal.aborted) return Promise.resolve();
    const progressEvery = Math.max(1, Math.floor(count / 20));
    return new Promise((resolve) => {
      let started = 0;
      let finished = 0;
      const onOutcome = (outcome: Http1Outcome) => {
        finished += 1;
        // Record before sending the next request: the bookkeeping must not delay reading its response.
        if (measured) this.record(outcome);
        if (onProgress && finished % progressEvery === 0) onProgress(finished, count);
        if (started < count && !signal.aborted) {
          started += 1;
          transport.send(onOutcome);
        } else if (finished === started) resolve();
      };
      // A send can complete synchronously (a closed client), so the count is checked here too.
      for (let slot = 0; slot < slots && started < count; slot += 1) {
        started += 1;
        transport.send(onOutcome);
      }
    });
  }

  private record(outcome: Http1Outcome): void {
    if (outcome.error !== undefined || outcome.interrupted) {
      increment(this.errors, errorOf(outcome));
      return;
    }
    this.latency.record(outcome.endedAt - outcome.sentAt);
    if (outcome.firstByteAt > 0) this.ttfb.record(outcome.firstByteAt - outcome.sentAt);
    increment(this.statuses, String(outcome.status));
    if (!this.options.expectStatus.includes(outcome.status)) this.unexpected += 1;
    else if (this.options.expectJson) {
      const failure = checkJsonExpectations(outcome.body ?? '', this.options.expectJson);
      if (failure) {
        this.expectationFailures += 1;
        this.firstExpectationFailure ??= failure;
      }
    }
  }
}
