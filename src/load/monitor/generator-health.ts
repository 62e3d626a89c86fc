/**
 * Can the figures be trusted? A load generator that is itself saturated measures its own queueing
 * (the research saw Artillery report p50 26.8 ms against 2 ms from the others). Pure: the run
 * collects the raw figures and this decides.
 */
import type { GeneratorHealth } from '../types.js';

export interface HealthFigures {
  /** Highest event-loop utilisation of any generator thread over the run (0..1). */
  elu: number;
  /** Highest event-loop delay p99 of any generator thread (ms). */
  delayP99Ms: number;
  /** CPU seconds of the process over wall seconds. */
  cpuCores: number;
  availableCores: number;
  iterationsStarted: number;
  lateIterations: number;
}

export const HEALTH_LIMITS = {
  /** Above this a thread had no idle time left to read responses promptly. */
  elu: 0.9,
  delayP99Ms: 50,
  /** Share of all cores the process may use before it competes with the target (same machine). */
  cpuShare: 0.95,
  /** Share of arrivals started more than LATE_MS behind schedule. */
  lateShare: 0.01,
};

export function judgeGeneratorHealth(figures: HealthFigures): GeneratorHealth {
  const reasons: string[] = [];
  if (figures.elu >= HEALTH_LIMITS.elu) {
    reasons.push(
      `a generator thread was busy ${(figures.elu * 100).toFixed(0)}% of the time, so latencies include its own queueing: add workers or lower the load`,
    );
  }
  if (figures.delayP99Ms >= HEALTH_LIMITS.delayP99Ms) {
    reasons.push(`the generator's event loop was delayed up to ${figures.delayP99Ms.toFixed(0)}ms (p99), which shifts send times and inflates latencies`);
  }
  if (figures.availableCores > 0 && figures.cpuCores >= figures.availableCores * HEALTH_LIMITS.cpuShare) {
    reasons.push(`perfspec used ${figures.cpuCores.toFixed(2)} of ${figures.availableCores} cores, leaving nothing for the target on the same machine`);
  }
  if (figures.iterationsStarted > 0 && figures.lateIterations / figures.iterationsStarted >= HEALTH_LIMITS.lateShare) {
    reasons.push(`${figures.lateIterations} of ${figures.iterationsStarted} arrivals started behind schedule: the generator could not keep the arrival rate`);
  }
  return {
    trustworthy: reasons.length === 0,
    reasons,
    eventLoopDelayP99Ms: figures.delayP99Ms,
    eventLoopUtilization: figures.elu,
    cpuCores: figures.cpuCores,
  };
}
