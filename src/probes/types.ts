/**
 * The contract between the engine and the probe kinds. The engine knows only these interfaces and
 * the registry tables in src/probes/registry.ts; it never switches on a kind.
 *
 * - A CheckProbe judges one entry of `checks` (endpoint latency, query budgets, cache targets).
 *   It is enabled when its key is present on the check (the endpoint probe is always on).
 * - A SpecProbe owns a top-level section of the spec (e.g. `load`) and yields whole check results.
 * - A ServiceKind opens a connection to a system beside the target (PostgreSQL, Redis) once per run.
 *
 * Each one is a module of its own with one contract:
 *   key       its key in the spec (a check's key, a top-level section, a key of `services`);
 *   schema    the module's `schema.json` fragment, composed into schemas/perfspec.schema.json by
 *             `npm run gen:types` (scripts/generate-spec-types.mjs), so its section's type is a
 *             generated one (Check['queries'] is QueriesBudget);
 *   parse     that typed section → the probe's own config (budgets parsed, defaults applied), pure;
 *   validate  what the schema cannot see, before anything runs (usually the messages parse throws);
 *   measure   the I/O: send the traffic, read the services, return plain figures;
 *   judge     the figures against the config's budgets → verdicts (src/verdict), pure;
 *   present   the figures and verdicts → tables, notes and data for the reports, pure.
 * The engine composes a check probe's parts (src/engine/run-check-probe.ts): parse once, then
 * measure → judge → present; and a spec probe's (src/engine/run-spec-probe.ts): measure → judge →
 * present, one result per entry of what judge and present return.
 */
import type { Check, PerfspecSpec } from '../generated/spec-types.js';
import type { HttpClient, HttpRequest } from '../sources/http/types.js';
import type { ProbeResult } from '../result/result.js';
import type { Verdict } from '../verdict/types.js';

/** A request as written in the spec, with `${vars.*}` still unresolved. */
export interface RequestTemplate {
  method: string;
  /** Path relative to target.baseUrl, or an absolute URL. */
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** JSON body (any shape; strings inside are interpolated) or raw text body. */
  json?: unknown;
  body?: string;
}

/** One entry of `checks`, normalised: defaults applied, durations in ms, budgets left to the probes. */
export interface PlannedCheck {
  name: string;
  /** Index in the spec's `checks`, for messages that point back at the YAML. */
  index: number;
  request: RequestTemplate;
  /** Measured requests after warm-up. */
  samples: number;
  /** Requests sent first and excluded from every figure. */
  warmup: number;
  /** How many requests are in flight at once while sampling. */
  concurrency: number;
  timeoutMs: number;
  /** The most bytes of a response body kept (maxBodySize, default 8 MiB); longer bodies are read and counted. */
  maxBodySize?: number;
  /** Statuses that count as success. */
  expectStatus: number[];
  /** How inconclusive verdicts of this check count (default warn). */
  inconclusive: 'warn' | 'fail';
  /** Adaptive sampling: at most this many measured requests while a latency budget is inconclusive. */
  maxSamples: number;
  /** Adaptive sampling: at most this much sampling time (ms). */
  maxSampleTimeMs: number;
  /** Measure the check this many times and judge the median run. */
  repeat: number;
  /** The check as written (after env interpolation), typed by the schema: each probe reads its own key. */
  raw: Check;
}

export interface ProgressSink {
  /** A short line about what is happening now ("Audit logs list: 40/50 samples"). */
  update(message: string): void;
  /** Something worth keeping in the log. */
  info(message: string): void;
  /** Figures of one second of a running measurement (a load scenario), for streaming reporters. */
  metrics?(check: string, second: Record<string, unknown>): void;
}

export interface ServiceHandle {
  /** Environment for the service under test when perfspec starts it (e.g. DATABASE_URL of the proxy). */
  targetEnv?(): Record<string, string>;
  /** Undo whatever perfspec changed on the service and close connections. Must be idempotent. */
  close(): Promise<void>;
  /**
   * The service's own server processes on this machine (e.g. the PostgreSQL postmaster), so that
   * their CPU counts as the system under test's and not as another program's; [] when the server
   * runs elsewhere or cannot be identified.
   */
  serverPids?(): Promise<number[]>;
}

export interface ServiceRegistryView {
  /** The opened service of that name; throws a PerfspecError when the spec did not configure it. */
  get<T extends ServiceHandle>(name: string): T;
  /** Every opened service's server processes on this machine (see ServiceHandle.serverPids). */
  serverPids?(): Promise<number[]>;
  has(name: string): boolean;
}

export interface ProbeContext {
  http: HttpClient;
  services: ServiceRegistryView;
  /** Resolve a request template into a concrete request, with extra variables for this request. */
  buildRequest(template: RequestTemplate, scope?: Record<string, string>): HttpRequest;
  /** Interpolate `${vars.*}`, `${run.*}` (and any extra scope) in a string. */
  resolve(text: string, scope?: Record<string, string>): string;
  /** Variables captured in setup and given with --set. */
  vars: Record<string, string>;
  baseUrl: string;
  signal: AbortSignal;
  progress: ProgressSink;
  /** Monotonic milliseconds; injected so tests can control time. */
  now(): number;
  /** The directory of the spec file, for relative paths (CSV data). */
  specDir: string;
  /** Base URLs of the target's replicas (target.start.replicas or target.replicas), for the scalability preset. */
  replicas?: string[];
  /** target.maxBodySize in bytes (absent: the 8 MiB default), the default of each load scenario's. */
  maxBodySize?: number;
  /** True when perfspec started the target (target.start), so its processes are known to be the system under test's. */
  targetStarted?: boolean;
  /** target.trace: a fresh traceparent per request under this header; false when off; undefined means the default (on). */
  trace?: { header: string } | false;
}

/** Where a probe's section of a check stands, for its messages, and the check's level that its verdicts take. */
export interface SectionPlace {
  /** Index in the spec's `checks`. */
  index: number;
  level?: 'error' | 'warn';
}

/** The place of a planned check's section (see SectionPlace). */
export function placeOf(check: Pick<PlannedCheck, 'index' | 'raw'>): SectionPlace {
  return { index: check.index, level: check.raw.level };
}

/** The keys of a check that probes own (composed into the schema from their fragments). */
export type CheckKey = keyof Check;

/** What a check probe's present returns: everything of its ProbeResult but the kind and verdicts, which the engine sets. */
export type ProbePresentation = Omit<ProbeResult, 'kind' | 'verdicts'>;

/**
 * One probe kind of `checks`. `Config` is what parse returns (undefined without parse);
 * `Measurement` is what measure returns: plain figures that judge and present read, and that
 * tests can write by hand.
 *
 * Probes whose measuring depends on their verdicts (the endpoint's adaptive sampling, its
 * re-measurement of a latency failure on a saturated host, the median of `repeat` runs; the cache
 * probe's hit-latency re-check) decide that inside measure with their own pure judging functions,
 * and keep every attempt in the measurement, so judge still reaches the same verdicts from the
 * measurement alone.
 */
export interface CheckProbe<Config = unknown, Measurement = unknown> {
  kind: string;
  /** The key on a check that enables this probe; undefined = always on. */
  key?: CheckKey;
  /** The service (a key of `services`) this probe needs; a check using it without the service is a spec error. */
  service?: string;
  /**
   * The probe's section of the check (`check.raw[key]`, typed by the schema) → what measure, judge
   * and present use: budgets parsed, defaults applied. Throws a PerfspecError (naming
   * `checks[i].key.field`) for what the schema cannot see. Pure. Without it, config is undefined.
   */
  parse?(check: PlannedCheck): Config;
  /**
   * Problems of the check's section that the schema cannot see, found before anything runs
   * (`perfspec validate` reports them with the section's position). Pure.
   */
  validate?(check: PlannedCheck): string[];
  /** Send the check's traffic and read the services: the probe's only I/O. */
  measure(check: PlannedCheck, config: Config, ctx: ProbeContext): Promise<Measurement>;
  /** The measurement against the config's budgets. Pure. */
  judge(check: PlannedCheck, config: Config, measurement: Measurement): Verdict[];
  /** Tables, notes and data of the report (the engine adds the kind and the verdicts). Pure. */
  present(check: PlannedCheck, config: Config, measurement: Measurement, verdicts: readonly Verdict[]): ProbePresentation;
}

/** The keys of the spec's top level, under which spec probes own their sections. */
export type SectionKey = keyof PerfspecSpec;

/**
 * The spec's section under a top-level key (a spec probe's), typed by the generated types. A
 * plain property read: the spec was validated against the schema composed from the probes'
 * fragments, so the section, when present, has its generated type.
 */
export function sectionOf<K extends SectionKey>(spec: PerfspecSpec, key: K): PerfspecSpec[K] {
  return spec[key];
}

/**
 * One result of a spec probe as its present shows it (a load scenario): the engine adds the
 * section, the probe's kind, judge's verdicts and the status they give.
 */
export interface SpecResultPresentation {
  /** The result's name in reports and for --only ("Load: checkout"). */
  name: string;
  /** What ran, in a line ("constant-vus: 10 users for 30s (constant-vus)"). */
  request?: string;
  durationMs: number;
  probe: ProbePresentation;
}

/**
 * A probe of a top-level section of the spec, which yields whole results (one per load scenario).
 * `Section` is the section's generated type (PerfspecSpec[key]); the engine passes it as validated.
 * `Measurement` is what measure returns: everything the section's run gathered by I/O, plain data
 * that judge and present read and that tests can write by hand.
 *
 * judge returns one list of verdicts per result and present one presentation per result, in the
 * same order; the engine pairs them (src/engine/run-spec-probe.ts), so a result's verdicts are
 * exactly judge's.
 */
export interface SpecProbe<Section = unknown, Measurement = unknown> {
  kind: string;
  /** The top-level key of the spec this probe owns. */
  key: SectionKey;
  /** Run the section's selected parts (options: --profile, --only, --shard): the probe's only I/O. */
  measure(section: Section, ctx: ProbeContext, options: SpecProbeOptions): Promise<Measurement>;
  /** The measurement against the section's budgets → one list of verdicts per result. Pure. */
  judge(section: Section, measurement: Measurement): Verdict[][];
  /** Tables, notes and data of each result (the engine adds the kind, the verdicts and the status). Pure. */
  present(section: Section, measurement: Measurement, verdicts: ReadonlyArray<readonly Verdict[]>): SpecResultPresentation[];
  /** Problems of the section that the schema cannot see (see CheckProbe.validate). */
  validate?(section: Section, ctx: SectionValidationContext): string[];
  /** Problems of the command-line selections for this section (`--profile nope`), found before anything runs. */
  checkSelect?(section: Section, select: Record<string, string>): string[];
  /**
   * The names of the results this section would produce with these selections (as the report
   * shows them), for `--only`: the run filters them like check names and refuses a filter that
   * matches nothing. Pure.
   */
  resultNames?(section: Section, select: Record<string, string>): string[];
}

/** What a spec probe's validate may consult: the spec around its section and the host it will run on. */
export interface SectionValidationContext {
  specDir: string;
  varNames: string[];
  /** The whole spec (e.g. whether perfspec starts the target or proxies its database). */
  spec?: PerfspecSpec;
  /** Command-line selections (`--profile`) when known: the parts that will run. */
  select?: Record<string, string>;
  /** Limits of the machine and process that will run the spec (absent when unknown, e.g. not Linux). */
  host?: HostLimits;
}

export interface HostLimits {
  /** The process's open-file limit and the descriptors it holds now. */
  openFiles?: { soft: number; hard: number; inUse: number };
}

export interface SpecProbeOptions {
  /** Command-line selections such as `--profile quick`. */
  select: Record<string, string>;
  /** `--only`: run only the results whose name matches one of these (see matchesName); empty or absent: all. */
  only?: string[];
  /** This process runs one shard of N (--shard i/N), from a shared start time (--start-at). */
  shard?: ShardRun;
}

export interface ShardRun {
  index: number;
  count: number;
  /** Epoch ms of the first load scenario's t = 0, the same on every shard. */
  startAtEpochMs?: number;
}

/** `Config` is the service's generated type (Services[name], e.g. RedisService); the engine passes it as validated. */
export interface ServiceKind<Config extends object = object> {
  /** The key under `services` ("postgres", "redis"). */
  name: string;
  open(config: Config, ctx: { signal: AbortSignal; progress: ProgressSink }): Promise<ServiceHandle>;
}
