/**
 * Adaptive sampling: while a latency budget is inconclusive (its confidence interval straddles
 * the budget, or the samples cannot bound the percentile yet), take more samples into the same
 * histogram, sequentially, until every latency verdict is conclusive or a cap is reached
 * (`maxSamples`, `maxSampleTime`).
 *
 * Rounds grow geometrically (each at least doubles the sample count, or jumps to what an unbounded
 * percentile needs), so the data are looked at only a handful of times: each look is a 95 %
 * interval, and fewer looks keep the chance of a wrong conclusive verdict close to that level.
 *
 * The loop knows nothing about HTTP: it calls `sampleMore(count)`, the endpoint probe's "take
 * N more samples into the same histogram".
 */

export interface AdaptiveOptions {
  /** Take `count` more samples into the same histogram. */
  sampleMore(count: number): Promise<void>;
  /** Samples recorded so far. */
  count(): number;
  /**
   * 0 when every latency verdict is conclusive; otherwise the fewest samples that could settle the
   * undecided ones (1 when any number might: more samples narrow the interval).
   */
  undecided(): number;
  maxSamples: number;
  maxSampleTimeMs: number;
  now(): number;
  signal?: AbortSignal;
}

export type AdaptiveStop = 'conclusive' | 'maxSamples' | 'maxSampleTime' | 'aborted' | 'noProgress';

export interface AdaptiveOutcome {
  /** Extra rounds taken after the first `samples`. */
  rounds: number;
  stoppedBy: AdaptiveStop;
  /** Samples in the histogram at the end. */
  samples: number;
}

/** How many samples the next round takes (0: none fit). Pure. */
export function nextRoundSize(input: { count: number; needed: number; maxSamples: number; remainingMs: number; msPerSample: number }): number {
  const room = input.maxSamples - input.count;
  if (room <= 0) return 0;
  const wanted = Math.max(input.count, input.needed - input.count, 1);
  const fitInTime = input.msPerSample > 0 ? Math.floor(input.remainingMs / input.msPerSample) : room;
  return Math.max(0, Math.min(room, wanted, fitInTime));
}

/** Sample in rounds until conclusive or capped; `startedAt` is when sampling began (for the time cap). */
export async function sampleUntilConclusive(options: AdaptiveOptions, startedAt: number): Promise<AdaptiveOutcome> {
  let rounds = 0;
  for (;;) {
    const count = options.count();
    if (options.signal?.aborted) return { rounds, stoppedBy: 'aborted', samples: count };
    const needed = options.undecided();
    if (needed === 0) return { rounds, stoppedBy: 'conclusive', samples: count };
    if (count >= options.maxSamples) return { rounds, stoppedBy: 'maxSamples', samples: count };
    const elapsed = options.now() - startedAt;
    const remainingMs = options.maxSampleTimeMs - elapsed;
    const size = nextRoundSize({ count, needed, maxSamples: options.maxSamples, remainingMs, msPerSample: count > 0 ? elapsed / count : 0 });
    if (size <= 0) return { rounds, stoppedBy: 'maxSampleTime', samples: count };
    await options.sampleMore(size);
    rounds += 1;
    if (options.count() === count) return { rounds, stoppedBy: 'noProgress', samples: count };
  }
}
