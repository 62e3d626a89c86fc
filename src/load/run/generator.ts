/**
 * A generator runs one share (segment) of a scenario in the current thread: it owns the
 * connection pools, the virtual users and the per-second collector, hands scheduling to the
 * executor, and reports a TickReport every second. The main thread runs one directly; worker
 * threads each run one (see load-worker.ts). It never decides when the run ends on its own
 * except by the plan's end: the coordinator may stop it at any time.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { CompiledFlow, CompiledRequest, CompiledScenario, RequestTarget } from '../flows/compile-flows.js';
import { buildHttpRequest } from '../flows/compile-flows.js';
import { UnsafeRequestError } from '../../sources/http/header-safety.js';
import type { Http1Request } from '../http/http1-client.js';
import { createRowPicker, type RowPicker } from '../flows/data-source.js';
import { readJsonPath } from '../../spec/json-path.js';
import { renderTemplate, type TemplateScope } from '../../spec/interpolate.js';
import { createWeightedPicker, type WeightedPicker } from '../flows/weighted-pick.js';
import { Http1Client } from '../http/http1-client.js';
import { TickCollector, type TickReport } from '../metrics/tick.js';
import type { ErrorKind } from '../types.js';
import type { ScenarioPlan } from '../plan/plan-scenario.js';
import { executorNamed } from '../executors/executor-table.js';
import type { ExecutionContext, Segment } from '../executors/context.js';
import { isResourceError, resourceBackoffMs } from './resource-errors.js';
import { VirtualUser } from './virtual-user.js';
import { TraceStamper, traceTagOf } from '../flows/traceparent.js';

export interface GeneratorOptions {
  plan: ScenarioPlan;
  compiled: CompiledScenario;
  segment: Segment;
  vars: Record<string, string>;
  runId: string;
  /** `${run.startedAt}`: when the run started (ISO 8601). */
  runStartedAt: string;
  onTick(report: TickReport): void;
  /** Random source for think times and random data order (tests pass a seeded one). */
  random?: () => number;
}

const DELAY_RESOLUTION_MS = 10;
/** The longest the start waits for pre-opened connections. */
const PRECONNECT_TIMEOUT_MS = 2000;

interface Sleep {
  timer: NodeJS.Timeout;
  resolve(): void;
}

export class LoadGenerator implements ExecutionContext {
  readonly plan: ScenarioPlan;
  readonly segment: Segment;
  t0 = 0;
  private readonly compiled: CompiledScenario;
  private readonly transport: Http1Client;
  private readonly collector: TickCollector;
  private readonly flowPicker: WeightedPicker;
  private readonly regionPicker: WeightedPicker;
  /** Set when regions are chosen per iteration (scalability replicas): a rotation of its own, exact round robin. */
  private readonly iterationRegionPicker: WeightedPicker | undefined;
  private readonly rowPickers = new Map<string, RowPicker>();
  private readonly sleeps = new Set<Sleep>();
  private readonly random: () => number;
  /** Writes a fresh traceparent into each request that carries one. */
  private readonly traces: TraceStamper;
  private schedulingOver = false;
  private hardStopped = false;
  private busyUsers = 0;
  private seq = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private delay: IntervalHistogram | undefined;
  private eluStart: EventLoopUtilization | undefined;

  constructor(private readonly options: GeneratorOptions) {
    this.plan = options.plan;
    this.segment = options.segment;
    this.compiled = options.compiled;
    this.random = options.random ?? Math.random;
    this.traces = new TraceStamper(traceTagOf(options.runId, options.plan.name));
    this.transport = new Http1Client(options.plan.connections, { maxBodySize: options.plan.maxBodySize });
    this.collector = new TickCollector(options.compiled.entries.length);
    this.flowPicker = createWeightedPicker(
      options.compiled.flows.map((f) => f.weight),
      options.segment.index,
    );
    this.regionPicker = createWeightedPicker(
      options.compiled.regions.map((r) => r.weight),
      options.segment.index,
    );
    this.iterationRegionPicker = options.compiled.regionPerIteration
      ? createWeightedPicker(
          options.compiled.regions.map((r) => r.weight),
          options.segment.index,
        )
      : undefined;
    for (const data of options.compiled.data) {
      this.rowPickers.set(data.name, createRowPicker(data.rows, data.order, options.segment.index, options.segment.count, this.random));
    }
  }

  get stopping(): boolean {
    return this.schedulingOver || this.hardStopped;
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  /** Run from `startAt` (a performance.now() time) until the plan ends or stop() is called. */
  async run(startAt: number): Promise<void> {
    const wait = startAt - performance.now();
    if (wait > 0) await this.sleep(wait);
    this.t0 = Math.max(startAt, performance.now());
    this.delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.delay.enable();
    this.eluStart = performance.eventLoopUtilization();
    this.scheduleTick();
    try {
      if (!this.hardStopped) await executorNamed(this.plan.executor).run(this);
    } finally {
      this.hardStopped = true;
      this.cancelSleeps();
      // Requests still in flight after the graceful stop are cut; they count as interrupted, not failed.
      this.transport.destroy();
      if (this.tickTimer) clearTimeout(this.tickTimer);
      this.emitTick(true);
      this.delay.disable();
    }
  }

  /**
   * Work before t = 0 that must not count against the schedule (the executor's own, e.g. the open
   * model pre-opening connections). The coordinator starts the clock only after every generator
   * is prepared. Never rejects.
   */
  async prepare(): Promise<void> {
    await executorNamed(this.plan.executor).prepare?.(this);
  }

  async preconnect(perOrigin: number): Promise<void> {
    const origins = new Set<string>();
    for (const flow of this.compiled.flows) {
      for (const step of flow.steps) if (step.kind !== 'think') for (const target of step.targets) origins.add(target.origin);
    }
    // Bounded: an unreachable target must not hold the start longer than one request would.
    const timeoutMs = Math.min(this.plan.timeoutMs, PRECONNECT_TIMEOUT_MS);
    await Promise.all([...origins].map((origin) => this.transport.preconnect(origin, perOrigin, timeoutMs)));
  }

  /** Stop now: no new iterations, sleeps cancelled, in-flight requests cut. */
  stop(): void {
    this.hardStopped = true;
    this.cancelSleeps();
    this.transport.destroy();
  }

  private scheduleTick(): void {
    const next = this.t0 + (this.seq + 1) * 1000;
    this.tickTimer = setTimeout(
      () => {
        this.emitTick(false);
        if (!this.hardStopped) this.scheduleTick();
      },
      Math.max(0, next - performance.now()),
    );
    // The tick alone must not keep the process alive if everything else is done.
    this.tickTimer.unref();
  }

  private emitTick(final: boolean): void {
    this.seq++;
    const drained = this.collector.drain();
    const elu = this.eluStart ? performance.eventLoopUtilization(this.eluStart).utilization : 0;
    // The histogram records whole timer intervals, resolution included: subtract it to get the delay.
    const delayP99Ms = this.delay && this.delay.count > 0 ? Math.max(0, this.delay.percentile(99) / 1e6 - DELAY_RESOLUTION_MS) : 0;
    const protocol = this.transport.protocolFaults();
    this.options.onTick({
      generator: this.segment.index,
      seq: this.seq,
      final,
      entries: drained.entries,
      all: drained.all,
      uncorrected: drained.uncorrected,
      users: this.busyUsers,
      iterations: drained.iterations,
      lagMaxMs: drained.lagMaxMs,
      ...(Object.keys(protocol).length > 0 ? { protocol } : {}),
      ...(this.transport.bodiesOverCap > 0 ? { bodiesOverCap: this.transport.bodiesOverCap } : {}),
      health: { elu, delayP99Ms },
    });
  }

  sleep(ms: number): Promise<void> {
    if (this.hardStopped) return Promise.resolve();
    return new Promise((resolve) => {
      const entry: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }

  private cancelSleeps(): void {
    for (const entry of this.sleeps) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.sleeps.clear();
  }

  createUser(id: number): VirtualUser {
    const user = new VirtualUser(id, this.regionPicker.next(), this.options.vars, this.options.runId, this.options.runStartedAt);
    user.firstThinkPending = this.plan.randomFirstThink;
    return user;
  }

  setBusyUsers(count: number): void {
    this.busyUsers = count;
  }

  /**
   * A dropped arrival is an iteration the system failed to serve: each request its flow would have
   * sent counts as dropped (the flow and region picked as a started iteration's would be), so
   * percentiles and success rates of those requests see the victims (drops.ts).
   */
  countDropped(): void {
    this.collector.iterations.dropped++;
    const flow = this.compiled.flows[this.flowPicker.next()];
    const region = this.regionPicker.next();
    for (const step of flow.steps) if (step.kind !== 'think') this.collector.recordDropped(step.targets[region].entry);
  }

  countLate(): void {
    this.collector.iterations.late++;
  }

  recordLag(ms: number): void {
    if (ms > this.collector.lagMaxMs) this.collector.lagMaxMs = ms;
  }

  endScheduling(): void {
    this.schedulingOver = true;
  }

  async drain(running: Iterable<Promise<void>>): Promise<void> {
    const all = Promise.all(running);
    await Promise.race([all, this.sleep(this.plan.gracefulStopMs)]);
  }

  private stampTrace(request: Http1Request, shared: boolean, entry: number): Http1Request {
    return stampedCopy(this.traces, request, shared, entry);
  }

  runIteration(user: VirtualUser, intendedAt: number): Promise<void> {
    const flow = this.compiled.flows[this.flowPicker.next()];
    return this.runFlow(flow, this.regionOf(user), user, intendedAt);
  }

  /**
   * The open model's form of runIteration: `done(user)` is called once the iteration has ended.
   * A flow of one constant request (no think, data, captures or simulated latency: what most
   * rate tests send) runs on the transport's callback, with no promise or async frame per
   * arrival; every other flow runs as runIteration does. Recording is the same either way.
   */
  startIteration(user: VirtualUser, intendedAt: number, done: (user: VirtualUser) => void): void {
    const flow = this.compiled.flows[this.flowPicker.next()];
    const regionIndex = this.regionOf(user);
    const step = flow.steps[0];
    const target = step.kind === 'request' ? step.targets[regionIndex] : undefined;
    if (
      flow.steps.length !== 1 ||
      flow.dataSources.length > 0 ||
      step.kind !== 'request' ||
      step.captures.length > 0 ||
      !target?.prebuilt ||
      this.compiled.regions[regionIndex].latencyMs > 0
    ) {
      void this.runFlow(flow, regionIndex, user, intendedAt).then(() => done(user));
      return;
    }
    user.scope.iteration++;
    this.collector.iterations.started++;
    if (this.hardStopped) return done(user);
    const request = target.prebuilt.traceOffset === undefined ? target.prebuilt : this.stampTrace(target.prebuilt, true, target.entry);
    this.transport.submit(target.origin, request, false, (outcome) => {
      if (outcome.interrupted || (this.hardStopped && outcome.error)) return done(user);
      if (outcome.error) {
        void this.afterFailure(user, target.entry, outcome.error).then(() => done(user));
        return;
      }
      user.resourceBackoffMs = 0;
      const ok = step.expect ? step.expect.includes(outcome.status) : outcome.status < 400;
      this.collector.recordResponse(
        target.entry,
        outcome.endedAt - intendedAt,
        outcome.endedAt - outcome.sentAt,
        outcome.status,
        ok ? undefined : 'expect_failed',
      );
      if (ok) this.collector.iterations.completed++;
      done(user);
    });
  }

  /** The region of this iteration: the user's own, or the next of the per-iteration rotation. */
  private regionOf(user: VirtualUser): number {
    return this.iterationRegionPicker ? this.iterationRegionPicker.next() : user.region;
  }

  private async runFlow(flow: CompiledFlow, regionIndex: number, user: VirtualUser, intendedAt: number): Promise<void> {
    const scope = user.scope;
    scope.iteration++;
    for (const source of flow.dataSources) scope.rows[source] = this.rowPickers.get(source)!.next();
    this.collector.iterations.started++;
    const region = this.compiled.regions[regionIndex];
    let intended = intendedAt;
    for (const step of flow.steps) {
      if (this.hardStopped) return;
      if (step.kind === 'think') {
        // randomFirstThink: users that started together drift apart, as in a steady state.
        const first = user.firstThinkPending;
        user.firstThinkPending = false;
        await this.sleep(first ? step.maxMs * this.random() : step.minMs + (step.maxMs - step.minMs) * this.random());
        intended = performance.now();
        continue;
      }
      // Simulated region latency sits before the send and inside the measured latency.
      if (region.latencyMs > 0) await this.sleep(region.latencyMs);
      if (this.hardStopped) return;
      const target = step.targets[regionIndex];
      let request: Http1Request;
      try {
        request = target.prebuilt ?? buildDynamicRequest(step, target, scope);
      } catch (error) {
        if (!(error instanceof UnsafeRequestError)) throw error;
        this.collector.recordFailure(target.entry, 'unsafe_request');
        // Nothing was sent, so nothing awaited I/O: yield, or a user looping on this failure would starve the timers.
        await new Promise((resolve) => setImmediate(resolve));
        return;
      }
      if (request.traceOffset !== undefined) request = this.stampTrace(request, target.prebuilt !== undefined, target.entry);
      const outcome = await this.transport.send(target.origin, request, step.captures.length > 0);
      if (outcome.interrupted || (this.hardStopped && outcome.error)) return;
      if (outcome.error) {
        // Later steps usually depend on this one (captures, session state): end the iteration here.
        await this.afterFailure(user, target.entry, outcome.error);
        return;
      }
      user.resourceBackoffMs = 0;
      const ok = step.expect ? step.expect.includes(outcome.status) : outcome.status < 400;
      const captureFailed = ok && step.captures.length > 0 && !applyCaptures(step, outcome.body, scope);
      const error = !ok ? 'expect_failed' : captureFailed ? 'capture_failed' : undefined;
      this.collector.recordResponse(target.entry, outcome.endedAt - intended, outcome.endedAt - outcome.sentAt, outcome.status, error);
      if (error) return;
      intended = outcome.endedAt;
    }
    this.collector.iterations.completed++;
  }

  /**
   * Count a request that got no response. A failure can resolve without the event loop turning (a
   * connect refused by the kernel is reported through process.nextTick): wait for the loop, or back
   * off after the generator's own resource errors, so a user never spins and the timers that end
   * the run always fire.
   */
  private async afterFailure(user: VirtualUser, entry: number, error: ErrorKind): Promise<void> {
    this.collector.recordFailure(entry, error);
    if (isResourceError(error)) {
      const backoff = resourceBackoffMs(user.resourceBackoffMs, this.random);
      user.resourceBackoffMs = backoff.nextMs;
      await this.sleep(backoff.waitMs);
    } else await yieldToEventLoop();
  }
}

/** The request with a fresh traceparent; shared (prebuilt) bytes are copied first: a socket may still hold them. */
function stampedCopy(traces: TraceStamper, request: Http1Request, shared: boolean, entry: number): Http1Request {
  const bytes = shared ? Buffer.allocUnsafe(request.bytes.length) : request.bytes;
  if (shared) request.bytes.copy(bytes);
  traces.stamp(bytes, request.traceOffset as number, entry);
  return shared ? { bytes, head: request.head, timeoutMs: request.timeoutMs } : request;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function buildDynamicRequest(step: CompiledRequest, target: RequestTarget, scope: TemplateScope): Http1Request {
  const headers: string[] = [];
  for (const [name, template] of step.headers) headers.push(name, renderTemplate(template, scope));
  return buildHttpRequest(step, target, target.pathPrefix + renderTemplate(step.url, scope), headers, step.body?.render(scope));
}

/** Store captured values in the user's variables; false when the body is not JSON or a path is missing. */
function applyCaptures(step: CompiledRequest, body: string | undefined, scope: TemplateScope): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return false;
  }
  let all = true;
  for (const capture of step.captures) {
    const value = readJsonPath(parsed, capture.path);
    if (value === undefined) {
      all = false;
      continue;
    }
    scope.own[capture.name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return all;
}
