/**
 * Which charts a probe's measurements make: one builder per probe kind, registered in a table
 * (a new kind adds an entry; nothing switches on kind). Builders read the probe's raw `data` —
 * the versioned JSON — so a saved result re-renders the same charts. Pure.
 */
import type { CheckResult, ProbeResult } from '../../result/result.js';
import { parseBudget } from '../../units/budget.js';
import type { BarChart, Chart, ChartPoint, LineChart } from './svg.js';
import { exact } from './svg.js';
import { downsample, MAX_POSITION, percentilePosition } from './geometry.js';

export interface ChartContext {
  /** A stable id prefix for the check ("c3"). */
  id: string;
  check: CheckResult;
  /** Query groups of the same check in the baseline run, when one was given. */
  baselineQueryGroups?: Array<{ fingerprint: string; count: number; sql?: string }>;
}

export type ChartBuilder = (probe: ProbeResult, ctx: ChartContext) => Chart[];

/** Long runs keep at most this many points per series (the largest of each bucket survives)… */
export const MAX_POINTS = 300;
/** …and a chart of many series at most this many in all, so a 30-minute run's report stays small. */
export const MAX_CHART_POINTS = 900;

const SPECTRUM_KEYS: Array<[key: string, percentile: number | 'max']> = [
  ['p50', 50],
  ['p90', 90],
  ['p95', 95],
  ['p99', 99],
  ['p99.9', 99.9],
  ['max', 'max'],
];

type Summary = Record<string, number | undefined>;

const isRecord = (value: unknown): value is Record<string, unknown> => Boolean(value) && typeof value === 'object' && !Array.isArray(value);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The percentile spectrum of a latency summary {p50, p90, …, max} as chart points. */
export function spectrumPoints(summary: Summary, label: string): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (const [key, percentile] of SPECTRUM_KEYS) {
    const value = num(summary[key]);
    if (value === undefined) continue;
    points.push({ x: percentile === 'max' ? MAX_POSITION : percentilePosition(percentile), y: value, tip: `${label}${key}: ${exact(value)} ms` });
  }
  return points;
}

/** Latency budgets of the probe's verdicts (`latency.p95 < 50ms`) as lines on a latency chart. */
function latencyBudgets(probe: ProbeResult, metricPrefix: string): Array<{ value: number; label: string }> {
  const budgets: Array<{ value: number; label: string }> = [];
  for (const verdict of probe.verdicts) {
    if (!verdict.metric.startsWith(metricPrefix)) continue;
    const name = verdict.metric.slice(metricPrefix.length);
    if (!/^p\d/.test(name)) continue;
    const budget = parseBudget(verdict.target, 'duration');
    if (budget) budgets.push({ value: budget.value, label: `${name} ${verdict.target}` });
  }
  return budgets;
}

function endpointCharts(probe: ProbeResult, ctx: ChartContext): Chart[] {
  const warm = probe.data.warm;
  if (!isRecord(warm) || !num(warm.count)) return [];
  const chart: LineChart = {
    kind: 'line',
    id: `${ctx.id}-latency`,
    title: `Latency percentile spectrum (${warm.count} samples)`,
    unit: 'ms',
    xAxis: 'percentile',
    series: [{ name: 'latency', points: spectrumPoints(warm as Summary, '') }],
    budgets: latencyBudgets(probe, 'latency.'),
  };
  return [chart];
}

function queriesCharts(probe: ProbeResult, ctx: ChartContext): Chart[] {
  const worst = probe.data.worst;
  if (!isRecord(worst) || !Array.isArray(worst.groups)) return [];
  const groups = (worst.groups as Array<Record<string, unknown>>).filter((group) => typeof group.fingerprint === 'string');
  const nPlusOne = new Set(Array.isArray(worst.nPlusOne) ? (worst.nPlusOne as Array<Record<string, unknown>>).map((group) => group.fingerprint) : []);
  const before = new Map((ctx.baselineQueryGroups ?? []).map((group) => [group.fingerprint, group.count]));
  // Statements of the baseline that are gone now are part of the picture (the fixed N+1 group).
  const fingerprints = [...new Set([...groups.map((group) => group.fingerprint as string), ...before.keys()])];
  const byFingerprint = new Map(groups.map((group) => [group.fingerprint as string, group]));
  const beforeSql = new Map((ctx.baselineQueryGroups ?? []).map((group) => [group.fingerprint, group.sql]));
  const sql = (fingerprint: string) => String(byFingerprint.get(fingerprint)?.exampleSql ?? beforeSql.get(fingerprint) ?? `statement ${fingerprint}`);
  const rows = fingerprints
    .map((fingerprint) => ({ fingerprint, after: num(byFingerprint.get(fingerprint)?.count) ?? 0, before: before.get(fingerprint) ?? null }))
    .sort((a, b) => Math.max(b.after, b.before ?? 0) - Math.max(a.after, a.before ?? 0))
    .slice(0, 15);
  if (rows.length === 0) return [];
  const chart: BarChart = {
    kind: 'bars',
    id: `${ctx.id}-queries`,
    title: `Statements per request by fingerprint (worst request: ${num(worst.total) ?? '?'} statements)`,
    unit: 'statements',
    categories: rows.map((row) => ({ label: sql(row.fingerprint), ...(nPlusOne.has(row.fingerprint) ? { highlight: 'N+1' } : {}) })),
    series: ctx.baselineQueryGroups
      ? [
          { name: 'before', color: '#8c959f', values: rows.map((row) => row.before ?? 0) },
          { name: 'after', color: '#0969da', values: rows.map((row) => row.after) },
        ]
      : [{ name: 'statements', color: '#0969da', values: rows.map((row) => row.after) }],
  };
  return [chart];
}

function cacheCharts(probe: ProbeResult, ctx: ChartContext): Chart[] {
  const charts: Chart[] = [];
  const hits = probe.data.hits;
  if (isRecord(hits) && Array.isArray(hits.patterns) && hits.patterns.length > 0) {
    const patterns = hits.patterns as Array<Record<string, unknown>>;
    charts.push({
      kind: 'bars',
      id: `${ctx.id}-cache-hits`,
      title: 'Cache reads per pattern: hits and misses',
      unit: 'reads',
      categories: patterns.map((pattern) => ({ label: String(pattern.pattern) })),
      series: [
        { name: 'hits', color: '#1a7f37', values: patterns.map((pattern) => num(pattern.hits) ?? 0) },
        { name: 'misses', color: '#bc4c00', values: patterns.map((pattern) => num(pattern.misses) ?? 0) },
      ],
    });
  }
  const ttl = probe.data.ttl;
  if (isRecord(ttl) && Array.isArray(ttl.buckets) && (num(ttl.keys) ?? 0) > 0) {
    const buckets = (ttl.buckets as Array<Record<string, unknown>>).filter((bucket) => (num(bucket.count) ?? 0) > 0);
    const noTtl = num(ttl.noTtl) ?? 0;
    charts.push({
      kind: 'bars',
      id: `${ctx.id}-cache-ttl`,
      title: 'Remaining TTL of the keys',
      unit: 'keys',
      categories: [...buckets.map((bucket) => ({ label: String(bucket.label) })), ...(noTtl ? [{ label: 'no TTL', highlight: '!' }] : [])],
      series: [{ name: 'keys', values: [...buckets.map((bucket) => num(bucket.count) ?? 0), ...(noTtl ? [noTtl] : [])] }],
    });
  }
  const coldWarm = probe.data.coldWarm;
  if (isRecord(coldWarm) && isRecord(coldWarm.cold) && isRecord(coldWarm.warm)) {
    const keys = ['p50', 'p95', 'max'];
    const cold = coldWarm.cold as Summary;
    const warm = coldWarm.warm as Summary;
    charts.push({
      kind: 'bars',
      id: `${ctx.id}-cache-coldwarm`,
      title: `Cold (cache flushed) vs warm latency (${cold.count ?? '?'} and ${warm.count ?? '?'} requests)`,
      unit: 'ms',
      categories: keys.map((key) => ({ label: key })),
      series: [
        { name: 'cold', color: '#8c959f', values: keys.map((key) => num(cold[key]) ?? null) },
        { name: 'warm', color: '#0969da', values: keys.map((key) => num(warm[key]) ?? null) },
      ],
    });
  }
  return charts;
}

interface TimelinePoint {
  second: number;
  requests: number;
  errors: number;
  dropped?: number;
  users?: number;
  p50?: number | null;
  p95?: number | null;
  p99?: number | null;
  byName?: Record<string, { requests: number; errors: number; p95: number | null }>;
}

function timeSeries(points: TimelinePoint[], name: string, pick: (point: TimelinePoint) => number | null | undefined, unit: string, maxPoints = MAX_POINTS) {
  const raw = points.filter((point) => typeof pick(point) === 'number').map((point) => [point.second, pick(point) as number] as const);
  return { name, points: downsample(raw, maxPoints).map(([x, value]) => ({ x, y: value, tip: `${name} at ${x} s: ${exact(value)} ${unit}` })) };
}

function loadCharts(probe: ProbeResult, ctx: ChartContext): Chart[] {
  const timeline = Array.isArray(probe.data.timeline) ? (probe.data.timeline as TimelinePoint[]) : [];
  const charts: Chart[] = [];
  if (timeline.length > 0) {
    charts.push({
      kind: 'line',
      id: `${ctx.id}-load-rate`,
      title: 'Requests, errors and dropped arrivals per second',
      unit: 'per second',
      xAxis: 'time',
      series: [
        { ...timeSeries(timeline, 'requests', (point) => point.requests, 'req/s'), color: '#0969da' },
        { ...timeSeries(timeline, 'errors', (point) => point.errors, 'errors/s'), color: '#cf222e' },
        { ...timeSeries(timeline, 'dropped', (point) => point.dropped ?? 0, 'dropped/s'), color: '#9a6700' },
      ],
    });
    const latency = [
      { ...timeSeries(timeline, 'p50', (point) => point.p50, 'ms'), color: '#1a7f37' },
      { ...timeSeries(timeline, 'p95', (point) => point.p95, 'ms'), color: '#0969da' },
      { ...timeSeries(timeline, 'p99', (point) => point.p99, 'ms'), color: '#8250df' },
    ].filter((series) => series.points.length > 0);
    charts.push({
      kind: 'line',
      id: `${ctx.id}-load-latency`,
      title: 'Latency per second (from intended send time)',
      unit: 'ms',
      xAxis: 'time',
      series: latency,
      budgets: latencyBudgets(probe, 'load.'),
    });
    charts.push({
      kind: 'line',
      id: `${ctx.id}-load-users`,
      title: 'Virtual users',
      unit: 'users',
      xAxis: 'time',
      series: [timeSeries(timeline, 'users', (point) => point.users ?? 0, 'users')],
    });
    const names = [...new Set(timeline.flatMap((point) => Object.keys(point.byName ?? {})))].sort();
    if (names.length > 0) {
      const perSeries = Math.min(MAX_POINTS, Math.max(30, Math.floor(MAX_CHART_POINTS / names.length)));
      charts.push({
        kind: 'line',
        id: `${ctx.id}-load-p95-by-request`,
        title: 'p95 latency per second, by request name',
        unit: 'ms',
        xAxis: 'time',
        series: names.map((name) => timeSeries(timeline, name, (point) => point.byName?.[name]?.p95, 'ms', perSeries)),
      });
      charts.push({
        kind: 'line',
        id: `${ctx.id}-load-rate-by-request`,
        title: 'Requests per second, by request name',
        unit: 'req/s',
        xAxis: 'time',
        series: names.map((name) => timeSeries(timeline, name, (point) => point.byName?.[name]?.requests ?? 0, 'req/s', perSeries)),
      });
    }
  }
  const overall = isRecord(probe.data.overall) && isRecord(probe.data.overall.latency) ? (probe.data.overall.latency as Summary) : undefined;
  const requests = Array.isArray(probe.data.requests) ? (probe.data.requests as Array<Record<string, unknown>>) : [];
  const spectra = [
    ...(overall ? [{ name: 'all requests', points: spectrumPoints(overall, 'all requests ') }] : []),
    ...requests
      .filter((request) => isRecord(request.latency))
      .map((request) => ({ name: String(request.name), points: spectrumPoints(request.latency as Summary, `${String(request.name)} `) })),
  ].filter((series) => series.points.length > 0);
  if (spectra.length > 0) {
    charts.push({
      kind: 'line',
      id: `${ctx.id}-load-spectrum`,
      title: 'Latency percentile spectrum, overall and by request name',
      unit: 'ms',
      xAxis: 'percentile',
      series: spectra,
      budgets: latencyBudgets(probe, 'load.'),
    });
  }
  return charts;
}

/** Any other kind: its `series` (title, unit, points) as one line chart each. */
function seriesCharts(probe: ProbeResult, ctx: ChartContext): Chart[] {
  return (probe.series ?? []).map((series, index) => ({
    kind: 'line' as const,
    id: `${ctx.id}-${probe.kind}-${index}`,
    title: series.title,
    unit: series.unit,
    xAxis: 'time' as const,
    series: [
      {
        name: series.title,
        points: downsample(series.points, MAX_POINTS).map(([x, y]) => ({ x, y, tip: `${series.title} at ${x} s: ${exact(y)} ${series.unit}` })),
      },
    ],
  }));
}

export const CHART_BUILDERS: Record<string, ChartBuilder> = {
  endpoint: endpointCharts,
  queries: queriesCharts,
  cache: cacheCharts,
  load: loadCharts,
};

export function chartsOfProbe(probe: ProbeResult, ctx: ChartContext): Chart[] {
  if (probe.error) return [];
  return (CHART_BUILDERS[probe.kind] ?? seriesCharts)(probe, ctx);
}
