/**
 * Stages as pure functions of time: the target (users or arrivals per second) at any moment, and,
 * for the open model, the exact time of the k-th arrival. Times are milliseconds since the
 * scenario started; targets move linearly within a stage (k6's ramping semantics).
 */

export interface PlannedStage {
  durationMs: number;
  target: number;
}

export interface StageShape {
  /** The target at t = 0 (the first stage moves from here to its own target). */
  start: number;
  stages: PlannedStage[];
}

export function sumDurations(stages: readonly PlannedStage[]): number {
  let total = 0;
  for (const stage of stages) total += stage.durationMs;
  return total;
}

/** Target at time t; after the last stage it stays at the last target. */
export function targetAt(shape: StageShape, t: number): number {
  let from = shape.start;
  let begin = 0;
  for (const stage of shape.stages) {
    const end = begin + stage.durationMs;
    if (t < end) {
      if (stage.durationMs <= 0) return stage.target;
      return from + ((stage.target - from) * (t - begin)) / stage.durationMs;
    }
    from = stage.target;
    begin = end;
  }
  return from;
}

/** Highest target reached anywhere in the shape. */
export function peakTarget(shape: StageShape): number {
  return Math.max(shape.start, ...shape.stages.map((stage) => stage.target));
}

/**
 * Arrivals of an open-model shape (targets are per-second rates). Arrival k happens when the
 * integral of the rate reaches k, so a constant 10/s gives arrivals at 0, 100, 200… ms and a ramp
 * gives exactly the area under it. Iterating is O(1) amortised per arrival.
 */
export class ArrivalSchedule {
  private stageIndex = 0;
  private stageBegin = 0;
  private stageFrom: number;
  /** Arrivals accumulated before the current stage. */
  private before = 0;

  constructor(private readonly shape: StageShape) {
    this.stageFrom = shape.start;
  }

  /** Time of arrival k (k increasing across calls), or undefined when the shape ends first. */
  timeOf(k: number): number | undefined {
    const stages = this.shape.stages;
    while (this.stageIndex < stages.length) {
      const stage = stages[this.stageIndex];
      const r0 = this.stageFrom / 1000;
      const r1 = stage.target / 1000;
      const d = stage.durationMs;
      const inStage = d > 0 ? ((r0 + r1) / 2) * d : 0;
      const need = k - this.before;
      if (d > 0 && need < inStage) {
        const x = solveElapsed(r0, r1, d, need);
        return this.stageBegin + x;
      }
      this.before += inStage;
      this.stageBegin += d;
      this.stageFrom = stage.target;
      this.stageIndex += 1;
    }
    return undefined;
  }
}

/** Elapsed x in [0, d) at which ∫₀ˣ rate = need, for a rate moving linearly from r0 to r1 (per ms). */
function solveElapsed(r0: number, r1: number, d: number, need: number): number {
  if (need <= 0) return 0;
  const a = (r1 - r0) / (2 * d);
  if (Math.abs(a) < 1e-15) return need / r0;
  // a·x² + r0·x − need = 0; the root in [0, d) is the one with +sqrt (it holds for a < 0 too).
  const disc = r0 * r0 + 4 * a * need;
  return (-r0 + Math.sqrt(Math.max(0, disc))) / (2 * a);
}

/**
 * This generator's share of a value when `count` generators split it (k6's execution segments):
 * round(v·(i+1)/n) − round(v·i/n), so the shares always add up to exactly round(v).
 */
export function shareOf(value: number, index: number, count: number): number {
  return Math.round((value * (index + 1)) / count) - Math.round((value * index) / count);
}
