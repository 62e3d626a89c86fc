/**
 * Flows as written → flows ready to run. Everything that does not change per request is done
 * here once: request lines parsed, templates compiled, constant requests turned into undici
 * dispatch options that are reused as they are (no per-request serialisation), statistics slots
 * allocated per (flow, request name, region) so the hot path indexes an array instead of hashing.
 */
import { PerfspecError } from '../../errors.js';
import { toMilliseconds } from '../../units/duration.js';
import type { DataOrder, FlowConfig, LoadScenarioConfig, RegionConfig, RequestStepConfig, StepConfig, ThinkStepConfig } from '../types.js';
import { loadRows } from './data-source.js';
import { parseJsonPath, type JsonPath } from '../../spec/json-path.js';
import { parseRequestLine } from '../../spec/request-line.js';
import { compileJson, compileTemplate, renderTemplate, TemplateError, type CompiledJson, type CompiledTemplate, type Row } from '../../spec/interpolate.js';

import { encodeRequest, type Http1Request } from '../http/http1-client.js';
import { TRACEPARENT_PLACEHOLDER, traceHeaderOf, traceOffsetIn } from './traceparent.js';

export interface StatEntry {
  id: number;
  flow: string;
  name: string;
  region: string;
}

export interface CompiledRegion {
  name: string;
  weight: number;
  origin: string;
  pathPrefix: string;
  latencyMs: number;
}

export interface RequestTarget {
  origin: string;
  /** Path prefix of the region's base URL (empty for absolute URLs). */
  pathPrefix: string;
  entry: number;
  /** host[:port] for the Host header. */
  host: string;
  /** Set when nothing in the request varies: the same encoded bytes are written every time. */
  prebuilt?: Http1Request;
}

export interface CompiledRequest {
  kind: 'request';
  name: string;
  method: string;
  url: CompiledTemplate;
  headers: Array<[string, CompiledTemplate]>;
  body?: CompiledJson;
  /** null: any status below 400 succeeds. */
  expect: number[] | null;
  captures: Array<{ name: string; path: JsonPath }>;
  timeoutMs: number;
  /** One per region, in region order. */
  targets: RequestTarget[];
  /** A fresh traceparent is written into each send (flows/traceparent.ts). */
  traced: boolean;
}

export interface CompiledThink {
  kind: 'think';
  minMs: number;
  maxMs: number;
}

export type CompiledStep = CompiledRequest | CompiledThink;

export interface CompiledFlow {
  name: string;
  weight: number;
  steps: CompiledStep[];
  /** Data sources this flow reads; one row of each is picked per iteration. */
  dataSources: string[];
}

export interface CompiledData {
  name: string;
  rows: Row[];
  order: DataOrder;
}

export interface CompiledScenario {
  flows: CompiledFlow[];
  regions: CompiledRegion[];
  /** Choose the region per iteration (round robin over replicas), not per virtual user. */
  regionPerIteration?: boolean;
  entries: StatEntry[];
  data: CompiledData[];
}

export interface CompileContext {
  baseUrl: string;
  vars: Record<string, string>;
  baseDir: string;
  /** Default per-request timeout from the plan. */
  timeoutMs: number;
}

export function compileScenario(config: LoadScenarioConfig, context: CompileContext): CompiledScenario {
  const problems: string[] = [];
  const where = `load scenario "${config.name}"`;
  if (!Array.isArray(config.flows) || config.flows.length === 0) {
    throw new PerfspecError('PS_SPEC_INVALID', `${where} has no flows`, { hint: 'Add flows: [{ name: Browse, steps: ["GET /health"] }].' });
  }
  const regions = compileRegions(config.regions, context.baseUrl, problems, where);
  const captured = new Set<string>();
  for (const flow of config.flows)
    for (const step of flow.steps ?? [])
      if (typeof step === 'object' && 'request' in step) for (const name of Object.keys(step.capture ?? {})) captured.add(name);

  const entries: StatEntry[] = [];
  const entryIds = new Map<string, number>();
  const entryFor = (flow: string, name: string, region: string) => {
    const key = `${flow}\u0000${name}\u0000${region}`;
    let id = entryIds.get(key);
    if (id === undefined) {
      id = entries.length;
      entries.push({ id, flow, name, region });
      entryIds.set(key, id);
    }
    return id;
  };

  const defaultHeaders = config.headers ?? {};
  let traceHeader: string | undefined;
  try {
    traceHeader = traceHeaderOf(config.trace);
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  const flows = config.flows.map((flow, f): CompiledFlow => {
    const at = `${where}: flows[${f}] ("${flow.name}")`;
    if (!flow.name) problems.push(`${where}: flows[${f}] needs a name`);
    if (!Array.isArray(flow.steps) || flow.steps.length === 0) problems.push(`${at} has no steps`);
    const dataSources = new Set<string>();
    const steps = (flow.steps ?? [])
      .map((step, s) =>
        compileStep(step, `${at} steps[${s}]`, { flow, regions, defaultHeaders, traceHeader, context, entryFor, dataSources, captured, problems }),
      )
      .filter((step): step is CompiledStep => step !== undefined);
    if (steps.length > 0 && !steps.some((step) => step.kind === 'request')) problems.push(`${at} has no request step`);
    const weight = flow.weight ?? 1;
    if (!(weight >= 0)) problems.push(`${at}: weight must be a number ≥ 0`);
    return { name: flow.name, weight, steps, dataSources: [...dataSources] };
  });
  if (flows.every((flow) => flow.weight === 0)) problems.push(`${where}: every flow has weight 0`);

  const data: CompiledData[] = [];
  for (const [name, source] of Object.entries(config.data ?? {})) {
    try {
      const rows = loadRows(name, source, context.vars, context.baseDir);
      if (rows.length === 0) problems.push(`${where}: data.${name} has no rows`);
      data.push({ name, rows, order: source.order ?? 'sequential' });
    } catch (error) {
      problems.push(`${where}: data.${name}: ${(error as Error).message}`);
    }
  }
  for (const flow of flows)
    for (const source of flow.dataSources)
      if (!data.some((d) => d.name === source)) problems.push(`${where}: flow "${flow.name}" reads data.${source}, which is not defined under data`);

  if (problems.length > 0) {
    throw new PerfspecError('PS_SPEC_INVALID', problems[0], { details: problems.slice(1), hint: 'Fix the load section; every problem is listed.' });
  }
  return { flows, regions, entries, data, regionPerIteration: config.regionPerIteration === true };
}

function compileRegions(configs: RegionConfig[] | undefined, baseUrl: string, problems: string[], where: string): CompiledRegion[] {
  const list = configs && configs.length > 0 ? configs : [{ name: 'default', baseUrl }];
  return list.map((region, i) => {
    const url = parseBase(region.baseUrl ?? baseUrl);
    if (!url) problems.push(`${where}: regions[${i}].baseUrl "${region.baseUrl ?? baseUrl}" is not an http(s) URL`);
    const latencyMs = region.latency === undefined ? 0 : toMilliseconds(region.latency);
    if (latencyMs === undefined) problems.push(`${where}: regions[${i}].latency "${region.latency}" is not a duration`);
    return { name: region.name, weight: region.weight ?? 1, origin: url?.origin ?? 'http://invalid', pathPrefix: url?.prefix ?? '', latencyMs: latencyMs ?? 0 };
  });
}

function parseBase(text: string): { origin: string; prefix: string } | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
  } catch {
    return undefined;
  }
}

interface StepContext {
  flow: FlowConfig;
  regions: CompiledRegion[];
  defaultHeaders: Record<string, string>;
  /** Header the traceparent goes in; undefined when tracing is off. */
  traceHeader?: string;
  context: CompileContext;
  entryFor(flow: string, name: string, region: string): number;
  dataSources: Set<string>;
  captured: Set<string>;
  problems: string[];
}

function compileStep(step: StepConfig, at: string, sc: StepContext): CompiledStep | undefined {
  if (typeof step === 'string') return compileRequest({ request: step }, at, sc);
  if (step && typeof step === 'object' && 'think' in step) return compileThink(step, at, sc.problems);
  if (step && typeof step === 'object' && 'request' in step) return compileRequest(step, at, sc);
  sc.problems.push(`${at}: a step is "METHOD /path", { request: ... } or { think: 1s }`);
  return undefined;
}

function compileThink(step: ThinkStepConfig, at: string, problems: string[]): CompiledThink | undefined {
  const value = step.think;
  let min: number | undefined;
  let max: number | undefined;
  if (typeof value === 'object' && value !== null) {
    min = toMilliseconds(value.min);
    max = toMilliseconds(value.max);
  } else if (typeof value === 'string' && value.includes('..')) {
    const [a, b] = value.split('..');
    min = toMilliseconds(a.trim());
    max = toMilliseconds(b.trim());
  } else {
    min = max = toMilliseconds(value);
  }
  if (min === undefined || max === undefined || min < 0 || max < min) {
    const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
    problems.push(`${at}: think "${shown}" is not a duration or a range (1s, "1s..3s", { min: 1s, max: 3s })`);
    return undefined;
  }
  return { kind: 'think', minMs: min, maxMs: max };
}

function compileRequest(step: RequestStepConfig, at: string, sc: StepContext): CompiledRequest | undefined {
  const parsed = parseRequestLine(step.request ?? '');
  if ('problem' in parsed) {
    sc.problems.push(`${at}: request "${step.request}" is not a request: ${parsed.problem.message}`);
    return undefined;
  }
  const { method, target: urlText, origin: absoluteOrigin, path } = parsed.line;
  const name = step.name ?? `${method} ${urlText}`;
  const timeoutMs = step.timeout === undefined ? sc.context.timeoutMs : toMilliseconds(step.timeout);
  if (timeoutMs === undefined) sc.problems.push(`${at}: timeout "${step.timeout}" is not a duration`);
  try {
    if (absoluteOrigin?.includes('${')) throw new TemplateError('the origin of an absolute URL cannot contain variables');
    // Flows compile each request once per region's origin, so the origin must be known now.
    if (absoluteOrigin === undefined && !path.startsWith('/'))
      throw new TemplateError(`"${urlText}" must start with / (relative to the base URL) or be an absolute http(s) URL`);
    const url = compileTemplate(path);
    // Header names are case-insensitive: later layers replace earlier ones whatever their case.
    const merged = new Map<string, [string, string]>();
    for (const [k, v] of [...Object.entries(sc.defaultHeaders), ...Object.entries(step.headers ?? {})]) merged.set(k.toLowerCase(), [k, String(v)]);
    // A header the flow sets itself wins: the placeholder is added only when it is absent.
    const traced = sc.traceHeader !== undefined && !merged.has(sc.traceHeader.toLowerCase());
    if (traced) merged.set((sc.traceHeader as string).toLowerCase(), [sc.traceHeader as string, TRACEPARENT_PLACEHOLDER]);
    const headerEntries = [...merged.values()];
    const body = step.json !== undefined ? compileJson(step.json) : step.body !== undefined ? textBody(step.body) : undefined;
    if (step.json !== undefined && !headerEntries.some(([k]) => k.toLowerCase() === 'content-type')) headerEntries.push(['content-type', 'application/json']);
    const headers = headerEntries.map(([k, v]) => [k, compileTemplate(String(v))] as [string, CompiledTemplate]);

    const used = [url, ...headers.map(([, t]) => t)];
    for (const template of used) for (const source of template.dataSources) sc.dataSources.add(source);
    for (const source of body?.dataSources ?? []) sc.dataSources.add(source);
    for (const variable of [...used.flatMap((t) => t.variables), ...(body?.variables ?? [])]) {
      if (!(variable in sc.context.vars) && !sc.captured.has(variable)) {
        sc.problems.push(`${at}: \${vars.${variable}} is neither a setup variable nor captured by any flow step`);
      }
    }

    const captures = Object.entries(step.capture ?? {}).map(([variable, pathText]) => {
      const path = parseJsonPath(pathText);
      if (!path) sc.problems.push(`${at}: capture ${variable}: "${pathText}" is outside the supported JSONPath subset ($.a.b[0], $['a'])`);
      return { name: variable, path: path ?? [] };
    });
    const statuses = step.expect?.status;
    const expect = statuses === undefined ? null : Array.isArray(statuses) ? statuses : [statuses];
    const dynamic = url.constant === undefined || headers.some(([, t]) => t.constant === undefined) || (body !== undefined && body.constant === undefined);
    const request: CompiledRequest = {
      kind: 'request',
      name,
      method,
      url,
      headers,
      body,
      expect,
      captures,
      timeoutMs: timeoutMs ?? 10_000,
      targets: [],
      traced,
    };
    request.targets = sc.regions.map((region) => {
      const origin = absoluteOrigin !== undefined ? new URL(absoluteOrigin).origin : region.origin;
      const target: RequestTarget = {
        origin,
        host: new URL(origin).host,
        pathPrefix: absoluteOrigin !== undefined ? '' : region.pathPrefix,
        entry: sc.entryFor(sc.flow.name, name, region.name),
      };
      if (!dynamic)
        target.prebuilt = buildHttpRequest(
          request,
          target,
          target.pathPrefix + url.constant,
          headers.flatMap(([k, t]) => [k, t.constant as string]),
          body?.constant,
        );
      return target;
    });
    return request;
  } catch (error) {
    if (error instanceof TemplateError) {
      sc.problems.push(`${at}: ${error.message}`);
      return undefined;
    }
    throw error;
  }
}

function textBody(text: string): CompiledJson {
  const template = compileTemplate(text);
  if (template.constant !== undefined) return { constant: template.constant, render: () => template.constant as string, dataSources: [], variables: [] };
  return { render: (scope) => renderTemplate(template, scope), dataSources: template.dataSources, variables: template.variables };
}

/** Encode one request (once for constant requests, per send for requests with variables). */
export function buildHttpRequest(
  request: CompiledRequest,
  target: Pick<RequestTarget, 'host'>,
  path: string,
  headers: string[],
  body: string | undefined,
): Http1Request {
  const bytes = encodeRequest(request.method, path, target.host, headers, body);
  const built: Http1Request = { bytes, head: request.method === 'HEAD', timeoutMs: request.timeoutMs };
  if (request.traced) built.traceOffset = traceOffsetIn(bytes);
  return built;
}
