/**
 * Run one loaded spec: open services, start (or reuse) the target, setup, every check through the
 * probe table, spec-level probes (load), teardown — then always stop the target and close the
 * services, whatever happened before.
 */
import { createHash } from 'node:crypto';
import { describeError, isPerfspecError, PerfspecError } from '../errors.js';
import type { PerfspecSpec } from '../generated/spec-types.js';
import { sectionOf, type CheckProbe, type ProbeContext, type ProgressSink, type ServiceKind, type ShardRun, type SpecProbe } from '../probes/types.js';
import { isSecretEnv, redactUrl } from '../report/redact.js';
import type { SecretRegistry } from '../report/redact.js';
import type { CheckResult, ProbeResult, SpecResult } from '../result/result.js';
import { applyInconclusivePolicy, combineStatuses, statusOfProbes } from '../result/status.js';
import type { HttpClient } from '../sources/http/types.js';
import type { LoadedSpec } from '../spec/load-spec.js';
import { resolveString, type Scope } from '../spec/interpolate.js';
import { toMilliseconds } from '../units/duration.js';
import { annotateSpecLines, checkBudgetPath, sectionBudgetPath } from './budget-location.js';
import { DEFAULTS, planChecks } from './plan.js';
import { buildRequest } from './request-builder.js';
import { traceSettingOf, withTraceparents } from './trace-requests.js';
import type { TraceConfig } from '../load/flows/traceparent.js';
import { openServices, type OpenedServices } from './services.js';
import { describeSentRequest, runSteps } from './steps.js';
import { bodySizeBytes } from '../units/quantity.js';
import { canConnect, startTarget, type HostEnvironment, type TargetHandle } from './target-server.js';
import { startReplicas } from './replicas.js';
import { runCheckProbe } from './run-check-probe.js';
import { runSpecProbe } from './run-spec-probe.js';

export interface EngineTables {
  checkProbes: readonly CheckProbe[];
  specProbes: readonly SpecProbe[];
  serviceKinds: readonly ServiceKind[];
}

export interface RunSpecOptions {
  http: HttpClient;
  tables: EngineTables;
  signal: AbortSignal;
  progress: ProgressSink;
  now: () => number;
  runId: string;
  startedAt: string;
  baseUrlOverride?: string;
  setVars: Record<string, string>;
  only?: string[];
  select: Record<string, string>;
  /** Every value that must not appear in reports (captured variables are added as they appear). */
  secrets: SecretRegistry;
  /** --repeat: measure every check this many times (overrides `repeat` in the spec). */
  repeat?: number;
  /** Called when a check finishes, for live reporters. */
  onCheckEnd?: (result: CheckResult) => void;
  distributed?: DistributedOptions;
  /** Environment and working directory a started target inherits (target.start). */
  host: HostEnvironment;
}

/**
 * One process of a run spread over several (README "Running on several machines"): setup runs
 * once — on shard 0, or in a separate `--only-setup` step whose captures are handed on — and the
 * checks run on shard 0 only, so N shards never multiply them.
 */
export interface DistributedOptions {
  shard?: ShardRun;
  /** Variables captured by an earlier `--only-setup` run for this spec: setup and teardown are skipped. */
  setupFor?: (loaded: LoadedSpec) => Record<string, string> | undefined;
  /** Run setup, hand its variables to onSetupDone, and stop (no checks, no load, no teardown). */
  onlySetup?: (loaded: LoadedSpec, vars: Record<string, string>) => void;
}

export async function runSpec(loaded: LoadedSpec, options: RunSpecOptions): Promise<SpecResult> {
  const spec: PerfspecSpec = loaded.spec;
  const baseUrl = (options.baseUrlOverride ?? spec.target.baseUrl).replace(/\/+$/, '');
  // What was measured: the spec's exact text (its hash) and the target (reporters redact credentials).
  const sha256 = createHash('sha256').update(loaded.source.text).digest('hex');
  const result: SpecResult = { file: loaded.file, name: spec.name, sha256, target: baseUrl, status: 'passed', checks: [], errors: [] };
  const vars: Record<string, string> = {
    ...Object.fromEntries(Object.entries(spec.vars ?? {}).map(([key, value]) => [key, String(value)])),
    ...options.setVars,
  };
  const runScope = { id: options.runId, startedAt: options.startedAt };
  const scopeWith = (extra?: Record<string, string>): Scope => {
    const scope: Scope = { vars: { ...vars }, run: runScope };
    for (const [key, value] of Object.entries(extra ?? {})) {
      const dot = key.indexOf('.');
      if (dot < 0) scope.vars![key] = value;
      else (scope[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
    }
    return scope;
  };
  const defaultHeaders = { ...(spec.target.headers ?? {}), ...(spec.defaults?.headers ?? {}) };
  const timeoutMs = toMilliseconds(spec.defaults?.timeout ?? spec.target.timeout ?? DEFAULTS.timeoutMs) ?? DEFAULTS.timeoutMs;
  registerLiteralSecrets(spec, options.secrets);
  const build: ProbeContext['buildRequest'] = (template, extra) => {
    const request = buildRequest(template, scopeWith(extra), { baseUrl, defaultHeaders });
    // Credential headers as sent (interpolated ones included) are secret before anything can echo them.
    for (const [name, value] of Object.entries(request.headers)) options.secrets.addHeader(name, value);
    return request;
  };
  // target.trace: a fresh traceparent on every request perfspec sends (setup, checks, teardown; load by default).
  const trace = traceSettingOf((spec.target as { trace?: TraceConfig }).trace);
  const http = trace ? withTraceparents(options.http, trace.header) : options.http;
  const log = (message: string) => options.progress.info(message);

  let services: OpenedServices | undefined;
  let target: TargetHandle | undefined;
  let setupDone = false;
  try {
    services = await openServices(spec.services as Record<string, unknown> | undefined, options.tables.serviceKinds, {
      signal: options.signal,
      progress: options.progress,
    });
    target = await prepareTarget(spec, baseUrl, loaded.dir, services, options.host, options.signal, log);

    const distributed = options.distributed;
    const handed = distributed?.setupFor?.(loaded);
    const shard = distributed?.shard;
    if (handed) Object.assign(vars, handed);
    else if (!shard || shard.index === 0) {
      await runSteps(spec.setup ?? [], 'setup', { http, build: (t) => build(t), timeoutMs, signal: options.signal, vars, log, secrets: options.secrets });
      // Teardown belongs to the process that ran setup, and never follows --only-setup (the shards still need the data).
      setupDone = !distributed?.onlySetup;
    }
    // Variables handed on from --only-setup are secret by name or shape as captured ones are.
    for (const [name, value] of Object.entries(vars)) options.secrets.addVariable(name, value);
    if (distributed?.onlySetup) {
      distributed.onlySetup(loaded, { ...vars });
      return result;
    }

    const ctx: ProbeContext = {
      http,
      trace,
      services,
      buildRequest: build,
      resolve: (text, extra) => resolveString(text, scopeWith(extra)),
      vars,
      baseUrl,
      signal: options.signal,
      progress: options.progress,
      now: options.now,
      specDir: loaded.dir,
      maxBodySize: spec.target.maxBodySize === undefined ? undefined : bodySizeBytes(spec.target.maxBodySize),
      replicas: target?.replicas ?? (spec.target as { replicas?: string[] }).replicas?.map((url) => url.replace(/\/+$/, '')),
      targetStarted: target?.started ?? false,
    };

    for (const check of shard && shard.index !== 0 ? [] : planChecks(spec, options.only, options.repeat)) {
      if (options.signal.aborted) break;
      const started = options.now();
      const probes: ProbeResult[] = [];
      // The first request the check's probes built, as sent: shown beside a verdict that did not pass.
      let sent: string | undefined;
      const checkCtx: ProbeContext = {
        ...ctx,
        buildRequest: (template, extra) => {
          const request = build(template, extra);
          sent ??= describeSentRequest(request, options.secrets);
          return request;
        },
      };
      for (const probe of options.tables.checkProbes) {
        if (probe.key !== undefined && check.raw[probe.key] === undefined) continue;
        if (options.signal.aborted) break;
        const probeResult = await runProbeSafely(probe.kind, () => runCheckProbe(probe, check, checkCtx));
        probes.push({ ...probeResult, verdicts: applyInconclusivePolicy(probeResult.verdicts, check.inconclusive) });
      }
      annotateSpecLines(
        probes,
        (metric) => checkBudgetPath(check.index, metric),
        (at) => loaded.source.locate(at),
      );
      const request = `${check.request.method} ${check.request.url}`;
      const status = statusOfProbes(probes);
      const checkResult: CheckResult = { name: check.name, section: 'check', request, status, durationMs: options.now() - started, probes };
      if (sent !== undefined && !allPassed(probes)) checkResult.sent = sent;
      result.checks.push(checkResult);
      options.onCheckEnd?.(checkResult);
      if (checkResult.status === 'failed' || checkResult.status === 'error') await assertTargetAlive(baseUrl, check.name, options.signal);
    }

    for (const probe of options.tables.specProbes) {
      const section = sectionOf(spec, probe.key);
      if (section === undefined || options.signal.aborted) continue;
      try {
        const results = await runSpecProbe(probe, section, ctx, { select: options.select, only: options.only, shard });
        for (const judged of results) {
          // Spec-level sections (load) follow defaults.inconclusive.
          const probes = judged.probes.map((probe) => ({ ...probe, verdicts: applyInconclusivePolicy(probe.verdicts, spec.defaults?.inconclusive ?? 'warn') }));
          annotateSpecLines(
            probes,
            (metric) => sectionBudgetPath(probe.key, metric),
            (at) => loaded.source.locate(at),
          );
          const checkResult: CheckResult = { ...judged, probes, status: judged.status === 'skipped' ? judged.status : statusOfProbes(probes) };
          result.checks.push(checkResult);
          options.onCheckEnd?.(checkResult);
        }
        if (results.some((checkResult) => checkResult.status === 'failed' || checkResult.status === 'error')) {
          await assertTargetAlive(baseUrl, probe.key, options.signal);
        }
      } catch (error) {
        if (isPerfspecError(error) && error.code !== 'PS_PROBE_FAILED') throw error;
        result.errors.push(`${probe.key}: ${describeError(error)}`);
      }
    }
  } catch (error) {
    result.errors.push(describeSpecError(error));
    if (isPerfspecError(error) && error.code === 'PS_ABORTED') result.status = 'skipped';
  } finally {
    if (setupDone && spec.teardown?.length) {
      // Teardown runs after failures too, but not after an abort signal has fired mid-request:
      // a fresh signal gives it a few seconds of its own.
      await runSteps(spec.teardown, 'teardown', {
        http,
        build: (t) => build(t),
        timeoutMs,
        signal: AbortSignal.timeout(Math.max(timeoutMs, 5000)),
        vars,
        log,
        secrets: options.secrets,
      }).catch((error) => result.errors.push(describeSpecError(error)));
    }
    await target?.stop().catch(() => undefined);
    await services?.closeAll().catch(() => undefined);
  }

  result.status = result.errors.length > 0 ? 'error' : combineStatuses(result.checks.map((check) => check.status));
  return result;
}

/** Every literal credential header in the spec (and --set/vars values by name), before anything runs. */
function registerLiteralSecrets(spec: PerfspecSpec, secrets: SecretRegistry): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (key === 'headers' && item && typeof item === 'object' && !Array.isArray(item)) {
        for (const [name, header] of Object.entries(item)) if (typeof header === 'string' && !header.includes('${')) secrets.addHeader(name, header);
      }
      visit(item);
    }
  };
  visit(spec);
  // Spec vars are secret by name only: a long path or slug in vars is not a token.
  for (const [name, value] of Object.entries(spec.vars ?? {})) if (isSecretEnv(name, String(value))) secrets.add(String(value));
}

async function prepareTarget(
  spec: PerfspecSpec,
  baseUrl: string,
  specDir: string,
  services: OpenedServices,
  host: HostEnvironment,
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<TargetHandle | undefined> {
  const start = spec.target.start;
  const replicas = (start as { replicas?: number } | undefined)?.replicas ?? 1;
  if (start) {
    return (replicas > 1 ? (options: Parameters<typeof startTarget>[0]) => startReplicas(replicas, options) : startTarget)({
      baseUrl,
      command: start.command,
      cwd: start.cwd,
      specDir,
      host,
      env: { ...Object.fromEntries(Object.entries(start.env ?? {}).map(([k, v]) => [k, String(v)])), ...services.targetEnv() },
      ready: start.ready ?? '/',
      reuseExisting: start.reuseExisting ?? true,
      timeoutMs: toMilliseconds(start.timeout ?? DEFAULTS.startTimeoutMs) ?? DEFAULTS.startTimeoutMs,
      signal,
      log,
    });
  }
  if (!(await canConnect(baseUrl, 3000))) {
    throw new PerfspecError('PS_TARGET_UNREACHABLE', `target unreachable: nothing answers at ${redactUrl(baseUrl)}`, {
      hint: 'Start the API, pass --base-url with the right address, or add target.start to the spec so perfspec starts it.',
    });
  }
  return undefined;
}

/**
 * After a failed check: is the target still there? A target that died mid-run makes every later
 * request fail, which would read as a broken budget (exit 1); it is a broken run (exit 3). Asked by
 * opening a TCP connection (canConnect), never by an HTTP request the spec did not ask for.
 */
async function assertTargetAlive(baseUrl: string, during: string, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (await canConnect(baseUrl, 2000)) return;
  }
  throw new PerfspecError(
    'PS_TARGET_UNREACHABLE',
    `the target stopped answering at ${redactUrl(baseUrl)} during "${during}" (at ${new Date().toISOString()}): its failures are not a verdict`,
    {
      hint: 'The service under test crashed or was stopped mid-run: check its logs, then run again.',
    },
  );
}

/** Did every verdict pass and no probe break? (`passed` is false for an inconclusive verdict, whatever its policy.) */
function allPassed(probes: ProbeResult[]): boolean {
  return probes.every((probe) => !probe.error && probe.verdicts.every((verdict) => verdict.passed));
}

async function runProbeSafely(kind: string, run: () => Promise<ProbeResult>): Promise<ProbeResult> {
  try {
    return await run();
  } catch (error) {
    // Infrastructure errors (a service went away) end the spec; anything else breaks only this probe.
    if (isPerfspecError(error) && error.code !== 'PS_PROBE_FAILED') throw error;
    return { kind, verdicts: [], tables: [], notes: [], data: {}, error: describeError(error) };
  }
}

function describeSpecError(error: unknown): string {
  if (isPerfspecError(error)) {
    return [error.message, ...error.details, ...(error.hint ? [`hint: ${error.hint}`] : [])].join('\n');
  }
  return describeError(error);
}
