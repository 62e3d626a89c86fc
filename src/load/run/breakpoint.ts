/**
 * Breakpoint search: the arrival rate rises in steps; at the end of each step the SLA (the
 * scenario's overall thresholds at level error) is judged over that step alone, and the run stops
 * at the first step that breaks it. The answer is the highest rate whose step met the SLA.
 */
import { addTotals, createTotals, describeTotals, type SecondBucket, type Totals } from '../metrics/aggregate.js';
import { percentileMs } from '../../metrics/histogram.js';
import type { ScenarioPlan } from '../plan/plan-scenario.js';
import { targetAt } from '../plan/stages.js';
import { judgeThresholds } from '../thresholds/judge-thresholds.js';
import type { ParsedThreshold } from '../thresholds/parse-thresholds.js';
import type { LoadReport } from '../types.js';

type BreakpointResult = NonNullable<LoadReport['breakpoint']>;

export class BreakpointTracker {
  private step = 0;
  private window: Totals = createTotals();
  private windowSeconds = 0;
  readonly result: BreakpointResult = { highestPassingRate: null, brokeAtRate: null, steps: [] };
  private readonly sla: ParsedThreshold[];

  constructor(
    private readonly plan: ScenarioPlan,
    thresholds: ParsedThreshold[],
  ) {
    this.sla = thresholds.filter((t) => t.scope.kind === 'overall' && t.level === 'error');
  }

  /** Feed one completed second; returns true when the step it closed broke the SLA. */
  addSecond(bucket: SecondBucket): boolean {
    const stepMs = this.plan.stepMs ?? this.plan.durationMs;
    const stepOfSecond = Math.floor(((bucket.seq - 1) * 1000) / stepMs);
    let broke = false;
    if (stepOfSecond > this.step && this.windowSeconds > 0) broke = this.closeStep();
    this.step = Math.max(this.step, stepOfSecond);
    addTotals(this.window, bucket.totals);
    this.windowSeconds++;
    return broke;
  }

  /** At the end of the run: judge the last (possibly partial) step. */
  finish(): BreakpointResult {
    if (this.windowSeconds > 0 && this.result.brokeAtRate === null) this.closeStep();
    return this.result;
  }

  private closeStep(): boolean {
    const stepMs = this.plan.stepMs ?? this.plan.durationMs;
    const rate = targetAt(this.plan.shape, Math.min((this.step + 1) * stepMs, this.plan.durationMs) - 1);
    const stats = describeTotals(this.window, this.windowSeconds * 1000, { name: '' });
    const judged = judgeThresholds(this.sla, () => stats, this.plan.name);
    // A step breaks the SLA when a threshold is proven broken; an inconclusive one does not stop the search.
    const passed = judged.verdicts.every((v) => v.outcome !== 'fail');
    // Throughput of the step: successful requests per second over the seconds it was judged on.
    const throughput = (stats.requests - stats.errors) / this.windowSeconds;
    this.result.steps.push({ rate, passed, p95: percentileMs(this.window.histogram, 95), errorRate: stats.errorRate, throughput });
    if (passed) this.result.highestPassingRate = rate;
    else this.result.brokeAtRate = rate;
    this.window = createTotals();
    this.windowSeconds = 0;
    return !passed;
  }
}
