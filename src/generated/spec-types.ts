/* Generated from schemas/perfspec.schema.json by scripts/generate-spec-types.mjs. Do not edit: run `npm run gen:types`. */

/**
 * A timeout: a duration above zero, at most 596h (2^31-1 ms, the longest timer Node holds): "5s", "250ms" (or a number of milliseconds).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "timeout".
 */
export type Timeout = string | number;
/**
 * How a latency verdict the data cannot settle counts (its confidence interval straddles the budget even after adaptive sampling, or it failed only while the host was saturated). warn (default): reported as INCONCLUSIVE, exit code unaffected; fail: fails the check (exit code 1).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "inconclusivePolicy".
 */
export type InconclusivePolicy = 'warn' | 'fail';
/**
 * Adaptive sampling: while a latency budget is inconclusive, keep sampling up to this many measured requests in all (default: 8 × samples, at least the samples its percentiles need, at most 2000). Set it equal to samples to turn adaptive sampling off.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "maxSamples".
 */
export type MaxSamples = number;
/**
 * Measure the check this many times and judge the median run (by the check's first latency figure), as Lighthouse CI does; every run's figures are in the report (default 1; --repeat overrides).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "repeat".
 */
export type Repeat = number;
/**
 * METHOD and path (relative to target.baseUrl) or absolute URL: "GET /api/v1/users/me".
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "requestLine".
 */
export type RequestLine = string;
/**
 * Expected HTTP status, or a list of them.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "statusList".
 */
export type StatusList = number | number[];
/**
 * error: a failed budget fails the run (exit 1). warn: it is reported but the run still passes.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "level".
 */
export type Level = 'error' | 'warn';
/**
 * A latency budget: "< 50ms", "<= 1s" (a bare "50ms" means at most 50ms).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "durationBudget".
 */
export type DurationBudget = string;
/**
 * Load test: weighted flows of virtual users, SLA thresholds, and one or more named scenarios (e.g. quick and full) chosen with --profile. Keys beside scenarios are shared by every scenario, which may override them; without scenarios the section itself is the one scenario.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "load".
 */
export type Load = LoadScenarioKeys & {
  /**
   * The scenario(s) run when --profile is not given (default: all).
   */
  default?: string | string[];
  /**
   * Distributed runs: the number of shards the load is split into when the shard index comes from the environment (JOB_COMPLETION_INDEX of a Kubernetes Indexed Job); PERFSPEC_SHARDS overrides it. See README "Running on several machines".
   */
  shards?: number;
  /**
   * Named scenarios; --profile NAME runs one of them.
   */
  scenarios?: {
    [k: string]: LoadScenario;
  };
};
/**
 * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration = string | number;
/**
 * "GET /path", a request, or a think time. A failed request ends the iteration (later steps usually depend on it).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadStep".
 */
export type LoadStep =
  | RequestLine
  | {
      request: RequestLine;
      /**
       * Name for per-request figures and thresholds.requests (default: the request line).
       */
      name?: string;
      headers?: Headers1;
      /**
       * JSON body; strings may use ${vars.X}, ${vu.id}, ${data.SOURCE.FIELD}.
       */
      json?: {
        [k: string]: unknown;
      };
      body?: string;
      /**
       * Default: any status below 400 succeeds.
       */
      expect?: {
        status?: StatusList;
      };
      /**
       * Variable name → JSONPath into the JSON response; the value becomes ${vars.NAME} for this virtual user.
       */
      capture?: {
        [k: string]: string;
      };
      timeout?: Timeout;
    }
  | {
      /**
       * Pause: a duration, "1s..3s", or { min, max } (uniform).
       */
      think:
        | Duration
        | string
        | {
            min: Duration;
            max: Duration;
          };
    };
/**
 * A percentage threshold: the budget, or { budget, level, abortOnFail, delayAbortEval }.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadThresholdPercent".
 */
export type LoadThresholdPercent =
  | PercentBudget
  | {
      budget: PercentBudget;
      level?: Level;
      /**
       * Stop the run as soon as this threshold fails (checked every second).
       */
      abortOnFail?: boolean;
      /**
       * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
       */
      delayAbortEval?: string | number;
    };
/**
 * A percentage budget: ">= 95%" (a bare "95%" means at least 95%).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "percentBudget".
 */
export type PercentBudget = string;
/**
 * A latency threshold: the budget, or { budget, level, abortOnFail, delayAbortEval }.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadThresholdDuration".
 */
export type LoadThresholdDuration =
  | DurationBudget
  | {
      budget: DurationBudget;
      level?: Level;
      /**
       * Stop the run as soon as this threshold fails (checked every second).
       */
      abortOnFail?: boolean;
      /**
       * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
       */
      delayAbortEval?: string | number;
    };
/**
 * A throughput threshold: the budget, or { budget, level, abortOnFail, delayAbortEval }.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadThresholdRate".
 */
export type LoadThresholdRate =
  | RateBudget
  | {
      budget: RateBudget;
      level?: Level;
      /**
       * Stop the run as soon as this threshold fails (checked every second).
       */
      abortOnFail?: boolean;
      /**
       * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
       */
      delayAbortEval?: string | number;
    };
/**
 * A throughput budget: ">= 100/s" (a bare "100/s" means at least).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "rateBudget".
 */
export type RateBudget = string;
/**
 * Inline values, a CSV file (relative to the spec; first line names the columns), or a setup variable holding a JSON array or a comma-separated list (pooled test users).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadData".
 */
export type LoadData =
  | {
      /**
       * @minItems 1
       */
      values: unknown[];
      order?: LoadDataOrder;
    }
  | {
      csv: string;
      order?: LoadDataOrder;
    }
  | {
      var: string;
      order?: LoadDataOrder;
    };
/**
 * sequential (default): round robin; random: uniform draws.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadDataOrder".
 */
export type LoadDataOrder = 'sequential' | 'random';
/**
 * One load scenario; keys override those shared by the load section.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadScenario".
 */
export type LoadScenario = LoadScenarioKeys;
/**
 * The most bytes of a response body perfspec keeps: "10MB", "512KB" (powers of 1024) or a number of bytes, from 1KB to 1GB. A longer body is still read to its end (timed, its connection reused) and counted ("body over maxBodySize"), but only its first maxBodySize bytes are buffered for body expectations and captures.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "bodySize".
 */
export type BodySize = string | number;
/**
 * A count budget: 5 or "<= 5" (a bare number means at most).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "countBudget".
 */
export type CountBudget = number | string;
/**
 * A size budget: "< 10MB" (powers of 1024).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "bytesBudget".
 */
export type BytesBudget = string;
/**
 * An expected duration with a tolerance: "15m ±5%", "10m ± 30s".
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "toleranceDuration".
 */
export type ToleranceDuration = string;
/**
 * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "maxSampleTime".
 */
export type MaxSampleTime = string | number;

/**
 * A perfspec spec: endpoint latency budgets, PostgreSQL query budgets, Redis cache targets and load profiles, judged against a running API.
 */
export interface PerfspecSpec {
  /**
   * Editor hint; ignored by perfspec.
   */
  $schema?: string;
  /**
   * Version of the spec language. Always 1.
   */
  perfspec: 1;
  /**
   * Name of the spec, shown in every report.
   */
  name: string;
  /**
   * Free text shown under the name in reports.
   */
  description?: string;
  target: Target;
  services?: Services;
  /**
   * Static variables, usable as ${vars.NAME}. Setup captures and --set NAME=VALUE add to them.
   */
  vars?: {
    [k: string]: string | number | boolean;
  };
  defaults?: Defaults;
  /**
   * Requests run once before the checks, in order; their captures become ${vars.NAME}.
   */
  setup?: Step[];
  /**
   * Requests run once after the checks, also when a check failed.
   */
  teardown?: Step[];
  /**
   * The endpoint checks, each with its budgets.
   */
  checks?: Check[];
  load?: Load;
}
/**
 * The API under test.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "target".
 */
export interface Target {
  /**
   * Base URL; request paths are relative to it. --base-url overrides it.
   */
  baseUrl: string;
  headers?: Headers;
  /**
   * Per-request timeout (default 10s). A request that takes longer counts as an error.
   */
  timeout?: string | number;
  /**
   * Default for every check and load scenario (default 8MB): the most bytes of a response body kept; longer bodies are read to the end and counted, not buffered.
   */
  maxBodySize?: string | number;
  start?: TargetStart;
  /**
   * A fresh W3C traceparent (sampled) on every request perfspec sends (setup, checks, and load unless a scenario sets its own trace); default on. false: send none; { header }: another header name. See README "Queries per request under load".
   */
  trace?:
    | boolean
    | {
        /**
         * Header name (default traceparent).
         */
        header?: string;
      };
  /**
   * Base URLs of replicas of the target started elsewhere, for profile: scalability (traffic spread round robin over the first k). Instead of target.start.replicas.
   *
   * @minItems 1
   */
  replicas?: string[];
}
/**
 * Headers sent with every request (setup, checks, load).
 */
export interface Headers {
  [k: string]: string;
}
/**
 * Start the service under test before the run and stop it afterwards (like Playwright's webServer).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "targetStart".
 */
export interface TargetStart {
  /**
   * Shell command that starts the service. PORT is set from baseUrl.
   */
  command: string;
  /**
   * Working directory, relative to the spec file's directory (default: the current directory).
   */
  cwd?: string;
  /**
   * Extra environment for the command.
   */
  env?: {
    [k: string]: string | number | boolean;
  };
  /**
   * Path polled until it answers 2xx/3xx (default "/").
   */
  ready?: string;
  /**
   * When something already answers at the ready path, use it instead of starting (default true).
   */
  reuseExisting?: boolean;
  /**
   * Start the command this many times for profile: scalability: the first on baseUrl's port, each other one on a free port of its own (PORT is set for each); checks and other load scenarios use the first.
   */
  replicas?: number;
  /**
   * How long to wait for the service to become ready (default 30s).
   */
  timeout?: string | number;
}
/**
 * Systems beside the target that probes read: PostgreSQL for query budgets, Redis for cache targets.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "services".
 */
export interface Services {
  postgres?: PostgresService;
  redis?: RedisService;
}
/**
 * PostgreSQL used by the API under test (for `queries` budgets).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "postgresService".
 */
export interface PostgresService {
  /**
   * postgres://user:password@host:port/database — the database the API uses (the password is never printed).
   */
  url: string;
  /**
   * proxy (default): perfspec's own wire-protocol proxy counts every statement and needs nothing from the server; the API must connect through it (target.start gets its URL as DATABASE_URL). pg_stat_statements: snapshot diff of the extension, filtered by database and role; needs the extension preloaded and created, cannot see parameters or failed statements.
   */
  source?: 'proxy' | 'pg_stat_statements';
  /**
   * proxy only: a fixed loopback port for the proxy, for an API that perfspec does not start (point its database URL at 127.0.0.1:<proxyPort>). Default: a free port.
   */
  proxyPort?: number;
  /**
   * proxy only: the environment variable through which target.start hands the proxy's URL (same credentials and database) to the API.
   */
  env?: string;
  /**
   * pg_stat_statements only: the role the API connects as (default: the URL's user).
   */
  role?: string;
}
/**
 * Redis used by the API under test (for `cache` targets).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "redisService".
 */
export interface RedisService {
  /**
   * redis://[user:password@]host:port/db (rediss:// for TLS); the db must be the one the application uses. Commands perfspec needs: SCAN, PTTL, MEMORY USAGE, GET, INFO; for per-pattern hit rates also MONITOR, SUBSCRIBE and CONFIG GET/SET notify-keyspace-events (restored afterwards).
   */
  url: string;
}
/**
 * Defaults for every check and request.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "defaults".
 */
export interface Defaults {
  headers?: Headers1;
  /**
   * Measured requests per check (default 50).
   */
  samples?: number;
  /**
   * Requests sent first and left out of the figures (default 5).
   */
  warmup?: number;
  /**
   * Requests in flight at once while sampling (default 1).
   */
  concurrency?: number;
  timeout?: Timeout;
  inconclusive?: InconclusivePolicy;
  maxSamples?: MaxSamples;
  /**
   * Adaptive sampling stops after this much sampling time for the check (default 20s), conclusive or not.
   */
  maxSampleTime?: string | number;
  repeat?: Repeat;
}
/**
 * HTTP headers. Values may use ${vars.NAME}. Names are HTTP tokens; no name or value may hold CR, LF or NUL (they would inject headers).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "headers".
 */
export interface Headers1 {
  [k: string]: string;
}
/**
 * One HTTP request in setup or teardown.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "step".
 */
export interface Step {
  name?: string;
  request: RequestLine;
  headers?: Headers1;
  query?: Query;
  /**
   * JSON body; strings inside may use ${vars.NAME}.
   */
  json?: {
    [k: string]: unknown;
  };
  /**
   * Raw body (use json for JSON).
   */
  body?: string;
  expect?: Expect;
  /**
   * Variables taken from the JSON response: NAME: JSONPath ("$.access_token", "$.items[0].id").
   */
  capture?: {
    [k: string]: string;
  };
}
/**
 * Query-string parameters added to the URL.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "query".
 */
export interface Query {
  [k: string]: string | number | boolean;
}
/**
 * What the response must look like.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "expect".
 */
export interface Expect {
  status?: StatusList;
  /**
   * JSONPath → expected value ("$.status": ok).
   */
  json?: {};
}
/**
 * One endpoint and its budgets.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "check".
 */
export interface Check {
  name: string;
  description?: string;
  request: RequestLine;
  headers?: Headers1;
  query?: Query;
  /**
   * JSON body; strings inside may use ${vars.NAME}.
   */
  json?: {
    [k: string]: unknown;
  };
  body?: string;
  /**
   * Measured requests (default from defaults.samples, else 50).
   */
  samples?: number;
  /**
   * Requests left out of the figures (default 5).
   */
  warmup?: number;
  concurrency?: number;
  timeout?: Timeout;
  /**
   * The most bytes of each response body kept (default target.maxBodySize, else 8MB).
   */
  maxBodySize?: string | number;
  level?: Level;
  inconclusive?: InconclusivePolicy;
  maxSamples?: MaxSamples;
  /**
   * Adaptive sampling stops after this much sampling time for the check (default 20s), conclusive or not.
   */
  maxSampleTime?: string | number;
  repeat?: Repeat;
  expect?: Expect;
  latency?: LatencyBudgets;
  queries?: QueriesBudget;
  cache?: CacheBudget;
  size?: SizeBudget;
}
/**
 * Latency budgets on the warm samples (warm-up excluded). Percentiles and the mean are judged by their 95 % confidence interval: pass when it lies within the budget, fail when it lies wholly outside, otherwise inconclusive (more samples are taken up to maxSamples). A percentile needs enough samples to be bounded at all: p90 ≥ 35, p95 ≥ 72, p99 ≥ 368.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "latencyBudgets".
 */
export interface LatencyBudgets {
  p50?: DurationBudget;
  p90?: DurationBudget;
  p95?: DurationBudget;
  p99?: DurationBudget;
  max?: DurationBudget;
  mean?: DurationBudget;
  /**
   * A latency budget: "< 50ms", "<= 1s" (a bare "50ms" means at most 50ms).
   */
  cold?: string;
}
/**
 * PostgreSQL query budgets per request (needs services.postgres). perfspec sends the check's request `requests` times, one at a time, and lists the statements PostgreSQL ran for each (CommandComplete and ErrorResponse), grouped by statement shape (fingerprint). Judged on the worst request.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "queriesBudget".
 */
export interface QueriesBudget {
  /**
   * Statements per request, e.g. 5 or "<= 5" (BEGIN/COMMIT/SET... not counted unless includeUtility).
   */
  max?: number | string;
  /**
   * A statement shape run `threshold` or more times in one request (N+1). forbid: fails the check; warn (default): reported as a warning; allow: not judged.
   */
  nPlusOne?: 'forbid' | 'warn' | 'allow';
  /**
   * Executions of one statement shape in one request that make an N+1 (default 5, as Sentry's detector).
   */
  threshold?: number;
  /**
   * Executions that exactly repeat an earlier one of the same request (same SQL, same parameters), e.g. 0. Needs source: proxy.
   */
  maxDuplicates?: number | string;
  /**
   * A latency budget: "< 50ms", "<= 1s" (a bare "50ms" means at most 50ms).
   */
  maxDbTime?: string;
  /**
   * Send the request at two sizes of a query-string parameter: no statement may run more often at the larger one (the strongest N+1 evidence).
   */
  scaling?: {
    /**
     * The query-string parameter that sets the data size, e.g. limit.
     */
    param: string;
    /**
     * Two different sizes, smaller first, e.g. [5, 50].
     *
     * @minItems 2
     * @maxItems 2
     */
    sizes: (number | string)[];
  };
  /**
   * Statements per request before the fix, shown as "before → after" (e.g. 201 → 3).
   */
  before?: number;
  /**
   * Measured requests (after one warm-up request), one at a time, each in its own window.
   */
  requests?: number;
  /**
   * Count transaction control and session statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET, RESET, DISCARD, DEALLOCATE) too.
   */
  includeUtility?: boolean;
  /**
   * Show the plan of the worst request's slowest and most repeated statement (EXPLAIN (FORMAT JSON) with the parameters of an actual execution, on perfspec's own connection). true: planned only, never run. analyze: EXPLAIN ANALYZE, only for a SELECT and inside a READ ONLY transaction with a 5 s statement timeout, rolled back; other statements are planned only.
   */
  explain?: true | false | 'analyze';
}
/**
 * Redis cache targets for a key pattern (needs services.redis). perfspec repeats the check's request `requests` times (cycling `params`), counts reads and misses of the pattern's keys exactly (MONITOR + key-miss notifications), then reads keys, TTLs and memory and times GETs outside that window.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "cacheBudget".
 */
export interface CacheBudget {
  /**
   * The cache's key pattern, a Redis glob as for SCAN MATCH (`*`, `?`, `[...]`, `\` escapes), e.g. "sso:config:*".
   */
  keys: string;
  /**
   * Expected TTL with tolerance, e.g. "15m ±5%". Judged on the TTL the application writes (SET ... EX) during the window, else on the freshest key's remaining TTL. Keys without a TTL fail it.
   */
  ttl?: string;
  /**
   * Hit rate of the pattern's keys during the window, e.g. ">= 95%". Where the server refuses MONITOR/CONFIG, the server-wide INFO figure is judged instead, as a warning only.
   */
  hitRate?: string;
  /**
   * A latency budget: "< 50ms", "<= 1s" (a bare "50ms" means at most 50ms).
   */
  hitLatency?: string;
  /**
   * Total memory of the pattern's keys (MEMORY USAGE; estimated from a sample above 200 keys), e.g. "< 10MB".
   */
  memory?: string;
  /**
   * Requests in the traffic window, sent one at a time (default 100).
   */
  requests?: number;
  /**
   * Variable maps cycled over the requests so several keys are touched; each entry overrides ${vars.NAME} and fills ${params.NAME}, e.g. [{user_id: 1}, {user_id: 2}].
   *
   * @minItems 1
   */
  params?: {
    [k: string]: string | number | boolean;
  }[];
  /**
   * Cold-cache behaviour.
   */
  cold?: {
    /**
     * Allow perfspec to delete (UNLINK) the pattern's keys: before the window, so it starts cold and the written TTLs are seen, and before each cold-latency sample. Off by default: it empties that part of the application's cache.
     */
    flush?: boolean;
  };
}
/**
 * Response-size budget: the check's request is sent 3 times and the largest body received is judged (Content-Length when given, else the body's bytes).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "sizeBudget".
 */
export interface SizeBudget {
  /**
   * Largest response body, e.g. "< 100KB" (powers of 1024).
   */
  body: string;
}
/**
 * The keys of one load scenario: the load section's own (shared by every scenario) and those of each entry of load.scenarios.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadScenarioKeys".
 */
export interface LoadScenarioKeys {
  /**
   * What this scenario is for (shown in reports).
   */
  description?: string;
  /**
   * A preset shape: smoke (5 users, 60s), load (ramp to 100 users, 10m), stress (500, 15m), spike (surge from a tenth of the peak to the peak and back, 1000, 5m), soak (100, 2h), capacity (10 steps toward 2000 users, 10m), breakpoint (arrival rate raised in 10 steps until the SLA breaks, 1000/s, 5m), scalability (a breakpoint search against 1, 2, … N replicas of the target, up to rate × replicas, 200/s per replica, 2m per replica count; reports the highest throughput meeting the SLA and the scaling efficiency). users/rate and duration override its numbers; stages replace its shape.
   */
  profile?: 'smoke' | 'load' | 'stress' | 'spike' | 'soak' | 'capacity' | 'breakpoint' | 'scalability';
  /**
   * Chosen from users/rate and the shape when omitted (a constant or a ramping one). Closed-model executors keep users each looping over iterations; open-model executors start iterations on a schedule (latency is measured from the intended start, so a stalled server shows). The executors and their own keys are listed in the README (Load: executors).
   */
  executor?:
    | 'constant-arrival-rate'
    | 'constant-users'
    | 'per-vu-iterations'
    | 'ramping-arrival-rate'
    | 'ramping-users'
    | 'shared-iterations';
  /**
   * Closed model: virtual users (the peak for ramping profiles).
   */
  users?: number;
  /**
   * Open model: iterations started per second (the peak for ramping profiles).
   */
  rate?: number;
  /**
   * Total duration (overrides the profile's).
   */
  duration?: string | number;
  /**
   * Explicit shape: each stage moves linearly from the previous target to its own (users, or iterations per second with rate/arrival-rate executors).
   *
   * @minItems 1
   */
  stages?: {
    duration: Duration;
    target: number;
  }[];
  /**
   * Open model: most iterations in flight at once (default: 2 s worth at the peak rate + 10). Arrivals beyond it are dropped and reported.
   */
  maxUsers?: number;
  /**
   * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
   */
  gracefulStop?: string | number;
  /**
   * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
   */
  startSpread?: string | number;
  /**
   * Each user's first think step waits a uniformly random time between 0 and that step's maximum, so users that started together drift apart as in a steady state (default false).
   */
  randomFirstThink?: boolean;
  /**
   * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
   */
  stepDuration?: string | number;
  /**
   * scalability: the replica counts to search, e.g. [1, 2, 4] (default 1, 2, … every replica). 1 is always searched: efficiency is relative to one replica.
   *
   * @minItems 1
   */
  replicaCounts?: number[];
  /**
   * scalability: the lowest scaling efficiency (throughput at k replicas ÷ (k × throughput at 1)) that passes; below it a warning (default 0.8).
   */
  minEfficiency?: number;
  /**
   * Generator threads (default 1: on a shared machine the target needs the other cores). Histograms merge exactly, so figures do not depend on it.
   */
  workers?: number;
  /**
   * Connections per origin per generator thread (default: the users, at most 256); users share them.
   */
  connections?: number;
  /**
   * A timeout: a duration above zero, at most 596h (2^31-1 ms, the longest timer Node holds): "5s", "250ms" (or a number of milliseconds).
   */
  timeout?: string | number;
  /**
   * The most bytes of a response body kept for expectations and captures (default target.maxBodySize, else 8MB); longer bodies are read to the end and counted ("body over maxBodySize").
   */
  maxBodySize?: string | number;
  headers?: Headers2;
  /**
   * @minItems 1
   */
  flows?: LoadFlow[];
  thresholds?: LoadThresholds;
  /**
   * A fresh W3C traceparent (sampled) on every load request (default on). An app that writes it into its SQL as a sqlcommenter comment lets services.postgres (proxy) count statements per request under load. false: send none; { header }: send it under another header name. See README "Queries per request under load".
   */
  trace?:
    | boolean
    | {
        /**
         * Header name (default traceparent).
         */
        header?: string;
      };
  /**
   * @minItems 1
   */
  regions?: LoadRegion[];
  /**
   * Rows for ${data.NAME.FIELD}: one row per source is picked for each iteration.
   */
  data?: {
    [k: string]: LoadData;
  };
  /**
   * per-vu-iterations: the iterations each of the users runs (users × iterations in all). shared-iterations: the iterations all users run together, each taking the next when free (at least users).
   */
  iterations?: number;
  /**
   * A duration: "250ms", "1.5s", "15m", "2h" (or a number of milliseconds), at most 596h (2^31-1 ms, the longest timer Node holds).
   */
  maxDuration?: string | number;
}
/**
 * HTTP headers. Values may use ${vars.NAME}. Names are HTTP tokens; no name or value may hold CR, LF or NUL (they would inject headers).
 */
export interface Headers2 {
  [k: string]: string;
}
/**
 * A user journey: each iteration of a virtual user runs one flow, chosen by weight.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadFlow".
 */
export interface LoadFlow {
  name: string;
  /**
   * Share of iterations (weights are relative: 5, 15, 40 … or 0.05, 0.15 …). Default 1.
   */
  weight?: number;
  /**
   * @minItems 1
   */
  steps: LoadStep[];
}
/**
 * SLA of the load test, judged over the whole run: overall, per request name (requests) and per flow (flows).
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadThresholds".
 */
export interface LoadThresholds {
  success_rate?: LoadThresholdPercent;
  error_rate?: LoadThresholdPercent;
  p50?: LoadThresholdDuration;
  p90?: LoadThresholdDuration;
  p95?: LoadThresholdDuration;
  p99?: LoadThresholdDuration;
  'p99.9'?: LoadThresholdDuration;
  max?: LoadThresholdDuration;
  avg?: LoadThresholdDuration;
  throughput?: LoadThresholdRate;
  /**
   * Per request name.
   */
  requests?: {
    [k: string]: LoadThresholdGroup;
  };
  /**
   * Per flow name.
   */
  flows?: {
    [k: string]: LoadThresholdGroup;
  };
}
/**
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadThresholdGroup".
 */
export interface LoadThresholdGroup {
  success_rate?: LoadThresholdPercent;
  error_rate?: LoadThresholdPercent;
  p50?: LoadThresholdDuration;
  p90?: LoadThresholdDuration;
  p95?: LoadThresholdDuration;
  p99?: LoadThresholdDuration;
  'p99.9'?: LoadThresholdDuration;
  max?: LoadThresholdDuration;
  avg?: LoadThresholdDuration;
  throughput?: LoadThresholdRate;
  /**
   * Requests only: the most SQL statements one request of this name may run under load, e.g. "<= 5" (judged on the largest count attributed to any one request; needs services.postgres with source proxy and an app that writes the traceparent into its SQL).
   */
  queries?: string;
  /**
   * Requests only: forbid fails when any request of this name ran the same statement shape 5 or more times (an N+1 loop, the queries probe's default) under load.
   */
  nPlusOne?: 'forbid' | 'allow';
}
/**
 * A simulated region: its share of virtual users, its own base URL, and latency added before each request.
 *
 * This interface was referenced by `PerfspecSpec`'s JSON-Schema
 * via the `definition` "loadRegion".
 */
export interface LoadRegion {
  name: string;
  weight?: number;
  baseUrl?: string;
  latency?: Duration;
}
