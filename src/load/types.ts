/**
 * The load engine's input and output, as plain data. The input is what a `load:` scenario says
 * after the spec loader has parsed YAML (durations may still be text such as "10m"); the output
 * is JSON-serialisable so it can cross worker threads and land in the JSON report unchanged.
 */
import type { LatencySummary } from '../metrics/histogram.js';
import type { ErrorKind, ProtocolFaultCounts } from '../sources/http/error-kind.js';
import type { ContentionSummary } from '../metrics/host-contention.js';
import type { LatencyEstimates } from '../metrics/latency-estimates.js';
import type { Duration, LoadData, LoadDataOrder, LoadFlow, LoadRegion, LoadScenario, LoadStep, LoadThresholds } from '../generated/spec-types.js';

// ---- The input: a load scenario as the spec writes it. These are the spec schema's own types
// (src/generated/spec-types.ts, generated from schemas/perfspec.schema.json), named for the engine;
// a new executor or key is added to the schema fragments, never copied here. ----

/** The executors of src/load/executors/registry.ts (the schema's enum is composed from that table). */
export type ExecutorName = NonNullable<LoadScenario['executor']>;
export type PresetName = NonNullable<LoadScenario['profile']>;
/** A duration as written: text such as "10m", or milliseconds. */
export type DurationInput = Duration;

/** A step as written: a request object, a think object, or the shorthand "GET /path". */
export type StepConfig = LoadStep;
/** A request step: request line, name for per-request figures, headers, body, expected statuses, captures, timeout. */
export type RequestStepConfig = Extract<LoadStep, { request: unknown }>;
/** Fixed ("1s") or a range ({ min: "1s", max: "3s" } or "1s..3s"), drawn uniformly. */
export type ThinkStepConfig = Extract<LoadStep, { think: unknown }>;

export type FlowConfig = LoadFlow;

export type DataOrder = LoadDataOrder;

/** Rows for `${data.NAME.FIELD}`: inline values, a CSV file, or a setup variable holding a JSON array / comma list. */
export type DataSourceConfig = LoadData;

export type RegionConfig = LoadRegion;

/** The overall metrics a threshold can judge (the keys of `thresholds` beside `requests` and `flows`). */
export type ThresholdMetric = Exclude<keyof LoadThresholds, 'requests' | 'flows'>;

export type ThresholdValueConfig = NonNullable<LoadThresholds[ThresholdMetric]>;
/** The long form: { budget, level, abortOnFail, delayAbortEval }. */
export type ThresholdRuleConfig = Extract<ThresholdValueConfig, object>;

/** Overall budgets as metric keys, plus the same shape per request name and per flow. */
export type ThresholdsConfig = LoadThresholds;

/**
 * One scenario to run: the schema's scenario (the load section's shared keys already merged in,
 * src/probes/load/section.ts) with its name, its flows, and what perfspec itself sets.
 */
export interface LoadScenarioConfig extends Omit<LoadScenario, 'flows' | 'description'> {
  name: string;
  flows: LoadFlow[];
  /**
   * Pick the region for every iteration instead of once per virtual user: requests spread round
   * robin over the regions' base URLs whichever users are busy (the scalability preset's replicas).
   */
  regionPerIteration?: boolean;
}

/** Everything the engine needs from the outside world; nothing else is read from the process. */
export interface LoadRuntime {
  baseUrl: string;
  /** Variables from setup and --set: `${vars.NAME}`. */
  vars?: Record<string, string>;
  runId?: string;
  /** `${run.startedAt}` (ISO 8601); defaults to when the load starts. */
  runStartedAt?: string;
  /** Directory that CSV paths are relative to. */
  baseDir?: string;
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  /** Run only this shard of the plan (src/load/shard/segments.ts); default: the whole plan. */
  shard?: { index: number; count: number };
  /** Wall-clock time (epoch ms) at which t = 0 falls, shared by every shard (--start-at). */
  startAtEpochMs?: number;
  /** Keep every histogram encoded in the report (`shardData`) so shards can be merged exactly. */
  keepEncoded?: boolean;
}

export interface LoadProgress {
  scenario: string;
  elapsedMs: number;
  totalMs: number;
  users: number;
  requestsPerSecond: number;
  p95Ms: number | null;
  errors: number;
  requests: number;
  /** The second that just completed, as the report's timeline will hold it (for streaming reporters). */
  point?: TimelinePoint;
}

export type { ErrorKind };

export type { LatencySummary };

/**
 * Percentiles over the measured requests plus the requests that dropped arrivals never sent, the
 * drops ranked above every measured latency (a dropped arrival is a request the system failed to
 * serve in time). A percentile whose rank falls among the drops is null: worse than anything
 * measured, so no latency budget can pass on it.
 */
export interface LatencyCountingDrops {
  /** Measured requests + dropped ones. */
  count: number;
  dropped: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  'p99.9': number | null;
}

export interface RequestStats {
  /** Request name; "" for the overall or a flow row. */
  name: string;
  flow?: string;
  region?: string;
  requests: number;
  errors: number;
  /** Open model: requests never sent because their arrival was dropped (every allowed user busy); absent = 0. */
  dropped?: number;
  /** Share of requests served without error, dropped requests counted as failures. */
  successRate: number;
  /** Share of requests that failed or were dropped. */
  errorRate: number;
  throughput: number;
  /** Latency of the measured requests only. */
  latency: LatencySummary;
  /**
   * Percentiles and the mean with their 95 % confidence intervals (what thresholds judge). Absent
   * when requests were dropped: then `latencyCountingDrops` is judged (as points, no interval yet).
   */
  estimates?: LatencyEstimates;
  /** Set when requests were dropped: the percentiles thresholds judge, drops ranked above every latency. */
  latencyCountingDrops?: LatencyCountingDrops;
  statusCodes: Record<string, number>;
  errorKinds: Partial<Record<ErrorKind, number>>;
}

export interface TimelinePoint {
  /** Seconds since the start of the scenario (end of the one-second bucket). */
  second: number;
  requests: number;
  errors: number;
  /** Latency percentiles of the requests completed in this second (ms); null when none completed. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  users: number;
  dropped: number;
  /** The same second per request name: for the report's per-request charts. */
  byName: Record<string, { requests: number; errors: number; p95: number | null }>;
  /** Arrivals started more than 10 ms behind schedule in this second (open model). */
  late: number;
  /** How far behind schedule the generator released arrivals at worst in this second, ms (open model; 0 = on time). */
  lagMs: number;
}

export interface GeneratorHealth {
  trustworthy: boolean;
  reasons: string[];
  /** Worst event-loop delay p99 across generator threads (ms). */
  eventLoopDelayP99Ms: number;
  /** Highest event-loop utilisation (0..1) of any generator thread. */
  eventLoopUtilization: number;
  /** CPU time of the whole process over wall time, in cores (2.0 = two cores busy). */
  cpuCores: number;
}

export interface ThresholdOutcome {
  scope: string;
  metric: ThresholdMetric;
  budget: string;
  level: 'warn' | 'error';
  /** null when unmeasured, or when the figure fell among dropped requests (worse than any measured). */
  actual: number | null;
  passed: boolean;
  /** pass / fail, or inconclusive: failed while the generator was saturated (see `reason`). */
  outcome: 'pass' | 'fail' | 'inconclusive';
  reason?: string;
}

export interface LoadReport {
  scenario: string;
  executor: ExecutorName;
  profile?: PresetName;
  workers: number;
  plannedMs: number;
  elapsedMs: number;
  /** Interrupted from outside (AbortSignal, Ctrl-C): the figures cover what ran until then. */
  aborted: boolean;
  /**
   * Set when the run ended before its plan: by the signal, an abortOnFail threshold, a breakpoint
   * found, or the generator's own resource errors (EMFILE, no local port) persisting.
   */
  stoppedEarly?: { by: 'signal' | 'threshold' | 'breakpoint' | 'resources'; reason: string; atMs: number };
  overall: RequestStats;
  /**
   * HTTP/1.1 framing faults by kind (src/load/http/http1-client.ts PROTOCOL_FAULTS); absent when
   * none. All but `idle_answer` are requests failed with `protocol_error`; idle answers are bytes
   * no request was in flight for, charged to none.
   */
  protocolErrors?: ProtocolFaultCounts;
  /** Responses whose body was longer than maxBodySize: read to the end and timed, only the cap kept (absent when none). */
  bodiesOverMaxBodySize?: number;
  /** Latency from the actual send time (hides coordinated omission); reported for comparison only. */
  uncorrected: LatencySummary;
  requests: RequestStats[];
  flows: RequestStats[];
  regions: RequestStats[];
  /** `planned`: set by executors that run a fixed number of iterations (this run's share of them). */
  iterations: { started: number; completed: number; dropped: number; late: number; planned?: number };
  peakUsers: number;
  /** Closed model: how the users present at the start began (startSpread), and whether the first think was randomised. */
  start?: { spreadMs: number; defaulted: boolean; randomFirstThink: boolean };
  timeline: TimelinePoint[];
  health: GeneratorHealth;
  /**
   * Whether other programs took the machine's CPUs during the run (src/metrics/host-contention.ts);
   * absent where the machine cannot be read.
   */
  contention?: ContentionSummary;
  /** Breakpoint runs: the highest arrival rate whose step met the SLA (null when none did). */
  /** Sharded runs: the encoded histograms and counters `perfspec merge` adds up (see src/load/shard). */
  shardData?: ShardLoadData;
  breakpoint?: {
    highestPassingRate: number | null;
    brokeAtRate: number | null;
    steps: Array<{ rate: number; passed: boolean; p95: number | null; errorRate: number; throughput?: number }>;
  };
}

// ---- What one shard keeps of a scenario for `perfspec merge` (functions in shard/shard-data.ts) ----

export interface EncodedTotals {
  requests: number;
  errors: number;
  /** Compressed base64 HdrHistogram of latencies (µs); absent when no response arrived. */
  histogram?: string;
  statusCodes: Record<string, number>;
  errorKinds: Partial<Record<ErrorKind, number>>;
}

export interface EncodedEntry extends EncodedTotals {
  name: string;
  flow: string;
  region?: string;
}

export interface EncodedSecond {
  /** 1-based second since the scenario's t = 0 (the same instant on every shard with --start-at). */
  seq: number;
  users: number;
  dropped: number;
  /** Arrivals started behind schedule, and the worst lag (ms), in this second (open model). */
  late: number;
  lagMs: number;
  totals: EncodedTotals;
}

export interface ShardLoadData {
  entries: EncodedEntry[];
  uncorrected?: string;
  seconds: EncodedSecond[];
  iterations: LoadReport['iterations'];
  /** Wall-clock time of this shard's t = 0. */
  startedAtEpochMs: number;
  /** When this shard was ready to start (after --start-at means it started late). */
  readyAtEpochMs: number;
  elapsedMs: number;
  /** The window throughput is judged over (the planned duration unless stopped early). */
  measuredMs: number;
  health: GeneratorHealth;
  /** HTTP/1.1 framing faults of this shard by kind (absent when none). */
  protocolErrors?: ProtocolFaultCounts;
  bodiesOverMaxBodySize?: number;
  /** Set by the load probe: what the merge needs to judge and present the scenario again. */
  scenario?: ScenarioShardMeta;
}

export interface ScenarioShardMeta {
  thresholds?: ThresholdsConfig;
  flowWeights: Record<string, number>;
  description?: string;
  /** The plan as the report shows it ("load: 100 users for 10m (ramping-users)"). */
  request: string;
}
