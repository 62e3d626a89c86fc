/**
 * What the load probe's measure gathers (src/probes/load/measure.ts) and its judge and present
 * read: per scenario that ran, the scenario as it was prepared (its name, its plan in a line, its
 * parsed thresholds, its flows' weights) and what came out of the run. Plain data, so tests can
 * write one by hand; types only, so judge and present import nothing that sends a request.
 */
import type { ParsedThreshold } from '../../load/thresholds/parse-thresholds.js';
import type { LoadReport, ThresholdsConfig } from '../../load/types.js';
import type { ShardRun } from '../types.js';
import type { QueriesUnderLoad, QueryThreshold } from './queries-under-load.js';
import type { ScalabilityPoint } from './scalability.js';

export interface LoadMeasurement {
  /** The scenarios that ran, in order; each is one result. */
  scenarios: ScenarioMeasurement[];
}

export type ScenarioMeasurement = ScenarioRun | ScalabilityRun;

interface MeasuredScenario {
  /** The result's name ("Load: checkout"), also the check of each of its verdicts. */
  name: string;
  /** The scenario's description (its own, else the section's). */
  description?: string;
  /** The plan in a line ("constant-vus: 10 users for 30s (constant-vus)"). */
  request: string;
  /** Wall time the scenario took, from its start to its report. */
  durationMs: number;
}

/** One run of the load engine. */
export interface ScenarioRun extends MeasuredScenario {
  kind: 'run';
  report: LoadReport;
  /** The scenario's thresholds as the load engine parsed them. */
  thresholds: ParsedThreshold[];
  /** The flows' weights in the scenario's order, for the Flows table. */
  flowWeights: Array<[string, number]>;
  /** `thresholds.requests.NAME.queries` / `nPlusOne`, which the proxy's traces answer. */
  queryThresholds: QueryThreshold[];
  /**
   * Statements per request from the proxy's traces; 'no proxy' when the spec has no
   * services.postgres on source proxy; absent when nothing asked for them (no traceparent sent
   * and no query threshold).
   */
  queries?: QueriesUnderLoad | 'no proxy';
  /** A sharded run (--shard i/N): this process's shard, and the thresholds as written, which the merge judges. */
  shard?: { run: ShardRun; thresholds?: ThresholdsConfig };
}

/** A `profile: scalability` scenario: one breakpoint search per replica count. */
export interface ScalabilityRun extends MeasuredScenario {
  kind: 'scalability';
  points: ScalabilityPoint[];
  /** The breakpoint search's report of each replica count, in the points' order. */
  reports: LoadReport[];
  /** The scenario's minEfficiency (default DEFAULT_MIN_EFFICIENCY). */
  minEfficiency?: number;
}
