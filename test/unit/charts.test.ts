/** The charts' pure geometry and drawing: scales, ticks, paths, downsampling, the percentile axis, SVG attributes. */
import { describe, expect, it } from 'vitest';
import { bandScale, downsample, formatTick, linearScale, linePath, MAX_POSITION, niceTicks, percentilePosition } from '../../src/report/charts/geometry.js';
import { exact, renderBarChart, renderLineChart } from '../../src/report/charts/svg.js';
import { chartsOfProbe, spectrumPoints } from '../../src/report/charts/from-probes.js';
import { inlineMarkdown } from '../../src/report/inline-markdown.js';
import type { CheckResult, ProbeResult } from '../../src/result/result.js';

describe('scales and ticks', () => {
  it('maps a domain linearly onto a range, inverted ranges included', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect([y(0), y(50), y(100), y(125)]).toEqual([200, 100, 0, -50]);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });

  it('chooses 1-2-5 ticks that cover the data', () => {
    expect(niceTicks(0, 413.7, 5)).toEqual({ ticks: [0, 100, 200, 300, 400, 500], domain: [0, 500] });
    expect(niceTicks(0, 1, 5).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0.03, 3).ticks).toEqual([0, 0.01, 0.02, 0.03]);
    expect(niceTicks(0, 21, 8).ticks).toEqual([0, 5, 10, 15, 20, 25]);
    expect(niceTicks(0, 0)).toEqual({ ticks: [0, 1], domain: [0, 1] });
    expect(niceTicks(7, 7).domain[0]).toBeLessThan(7);
    expect(niceTicks(Number.NaN, 3)).toEqual({ ticks: [0, 1], domain: [0, 1] });
  });

  it('ticks always cover [min, max], for many ranges', () => {
    for (const max of [0.7, 3, 9.99, 10, 47, 99.9, 101, 999, 12345, 2e6]) {
      const { ticks, domain } = niceTicks(0, max, 5);
      expect(domain[0]).toBeLessThanOrEqual(0);
      expect(domain[1]).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(12);
    }
  });

  it('formats tick labels briefly', () => {
    expect([0, 0.25, 2.5, 12.34, 1500, 25000, 3_400_000].map(formatTick)).toEqual(['0', '0.25', '2.5', '12.3', '1500', '25k', '3.4M']);
  });

  it('lays bands with padding', () => {
    const { band, start } = bandScale(4, [0, 400], 0.2);
    expect(band).toBe(80);
    expect([start(0), start(3)]).toEqual([10, 310]);
  });
});

describe('paths and downsampling', () => {
  it('draws a path through pixel points', () => {
    expect(
      linePath([
        [0, 10],
        [5.55, 2.04],
      ]),
    ).toBe('M0.0,10.0 L5.5,2.0');
    expect(linePath([])).toBe('');
  });

  it('keeps at most max points and never loses the spike of a bucket', () => {
    const points = Array.from({ length: 1000 }, (_, i) => [i, i === 537 ? 999 : 1] as const);
    const out = downsample(points, 100);
    expect(out).toHaveLength(100);
    expect(out).toContainEqual([537, 999]);
    expect(downsample(points.slice(0, 10), 100)).toHaveLength(10);
  });
});

describe('the percentile axis', () => {
  it('gives each nine as much room as the one before (HdrHistogram)', () => {
    expect(percentilePosition(0)).toBe(0);
    expect(percentilePosition(90)).toBeCloseTo(1, 10);
    expect(percentilePosition(99)).toBeCloseTo(2, 10);
    expect(percentilePosition(99.9)).toBeCloseTo(3, 10);
    expect(percentilePosition(50)).toBeCloseTo(Math.log10(2), 10);
    expect(percentilePosition(100)).toBeLessThan(7);
    expect(MAX_POSITION).toBeCloseTo(3.5, 10);
  });

  it('turns a latency summary into spectrum points with exact values', () => {
    const points = spectrumPoints({ count: 20, p50: 307.711, p90: 372.991, p95: 442.111, p99: 459.775, 'p99.9': 459.775, max: 459.742 }, '');
    expect(points.map((point) => point.tip)).toEqual([
      'p50: 307.711 ms',
      'p90: 372.991 ms',
      'p95: 442.111 ms',
      'p99: 459.775 ms',
      'p99.9: 459.775 ms',
      'max: 459.742 ms',
    ]);
    expect(points.map((point) => Number(point.x.toFixed(2)))).toEqual([0.3, 1, 1.3, 2, 3, 3.5]);
  });
});

describe('SVG', () => {
  it('a line chart names its series, counts its points, carries exact values and the budget', () => {
    const svg = renderLineChart({
      kind: 'line',
      id: 'c1-latency',
      title: 'Latency <per second>',
      unit: 'ms',
      xAxis: 'time',
      series: [{ name: 'p95', points: [1, 2, 3].map((x) => ({ x, y: x * 10.5, tip: `p95 at ${x} s: ${exact(x * 10.5)} ms` })) }],
      budgets: [{ value: 50, label: 'p95 < 50ms' }],
    });
    expect(svg).toContain('data-chart="c1-latency"');
    expect(svg).toContain('<figcaption>Latency &lt;per second&gt;</figcaption>');
    expect(svg).toContain('data-series="p95" data-points="3"');
    expect(svg.match(/<circle class="pt"/g)).toHaveLength(3);
    expect(svg).toContain('data-tip="p95 at 3 s: 31.5 ms"><title>p95 at 3 s: 31.5 ms</title>');
    expect(svg).toContain('>p95 &lt; 50ms</text>');
    // The y axis reaches the budget even when every point is below it.
    expect(svg).toContain('>50</text>');
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('a bar chart highlights a category and writes each bar exactly', () => {
    const svg = renderBarChart({
      kind: 'bars',
      id: 'c1-queries',
      title: 'Statements',
      unit: 'statements',
      categories: [{ label: 'SELECT id FROM users WHERE id = $1', highlight: 'N+1' }, { label: 'SELECT 1' }],
      series: [
        { name: 'before', values: [100, 1] },
        { name: 'after', values: [1, null] },
      ],
    });
    expect(svg).toContain('data-series="before" data-points="2"');
    expect(svg).toContain('data-series="after" data-points="1"');
    expect(svg).toContain('data-tip="before: SELECT id FROM users WHERE id = $1: 100 statements"');
    expect(svg).toContain('<tspan class="hl">N+1 </tspan>');
    expect(svg).not.toMatch(/NaN|undefined/);
  });
});

describe('charts from probe data', () => {
  const check: CheckResult = { name: 'List', section: 'check', status: 'passed', durationMs: 1, probes: [] };
  const probe = (kind: string, data: Record<string, unknown>, error?: string): ProbeResult => ({
    kind,
    verdicts: [],
    tables: [],
    notes: [],
    data,
    ...(error ? { error } : {}),
  });

  it('query bars put the baseline beside the run and keep the statements that are gone', () => {
    const charts = chartsOfProbe(
      probe('queries', {
        worst: {
          total: 2,
          groups: [
            { fingerprint: 'a', count: 1, exampleSql: 'SELECT a' },
            { fingerprint: 'b', count: 1, exampleSql: 'SELECT b' },
          ],
          nPlusOne: [],
        },
      }),
      {
        id: 'check-1',
        check,
        baselineQueryGroups: [
          { fingerprint: 'b', count: 100, sql: 'SELECT b' },
          { fingerprint: 'a', count: 1 },
          { fingerprint: 'gone', count: 3, sql: 'SELECT gone' },
        ],
      },
    );
    expect(charts).toHaveLength(1);
    const bars = charts[0] as Extract<(typeof charts)[0], { kind: 'bars' }>;
    expect(bars.categories.map((category) => category.label)).toEqual(['SELECT b', 'SELECT gone', 'SELECT a']);
    expect(bars.series).toMatchObject([
      { name: 'before', values: [100, 3, 1] },
      { name: 'after', values: [1, 0, 1] },
    ]);
  });

  it('a broken probe draws nothing; an unknown kind draws its series', () => {
    expect(chartsOfProbe(probe('endpoint', { warm: { count: 5, p50: 1 } }, 'boom'), { id: 'x', check })).toEqual([]);
    const charts = chartsOfProbe(
      {
        ...probe('custom', {}),
        series: [
          {
            title: 'Depth',
            unit: 'jobs',
            points: [
              [1, 2],
              [2, 4],
            ],
          },
        ],
      },
      { id: 'x', check },
    );
    expect(charts).toMatchObject([
      {
        kind: 'line',
        title: 'Depth',
        series: [
          {
            name: 'Depth',
            points: [
              { x: 1, y: 2, tip: 'Depth at 1 s: 2 jobs' },
              { x: 2, y: 4 },
            ],
          },
        ],
      },
    ]);
  });
});

describe('inline Markdown in HTML', () => {
  it('renders code spans and bold, escaping everything else', () => {
    expect(inlineMarkdown('N+1: `SELECT <x> FROM t` ran **100** times & <b>')).toBe(
      'N+1: <code>SELECT &lt;x&gt; FROM t</code> ran <strong>100</strong> times &amp; &lt;b&gt;',
    );
    expect(inlineMarkdown('no `closing backtick')).toBe('no `closing backtick');
    expect(inlineMarkdown('`**not bold**`')).toBe('<code>**not bold**</code>');
  });
});

describe('a 30-minute load run', () => {
  it('keeps every chart small: at most 300 points a series and 900 a chart, spikes kept', () => {
    const names = Array.from({ length: 15 }, (_, i) => `GET /r${i}`);
    const timeline = Array.from({ length: 1800 }, (_, i) => ({
      second: i + 1,
      requests: 200,
      errors: 0,
      dropped: 0,
      users: 500,
      p50: 5,
      p95: i === 1234 ? 999 : 20,
      p99: 40,
      byName: Object.fromEntries(names.map((name) => [name, { requests: 13, errors: 0, p95: 20 }])),
    }));
    const check: CheckResult = { name: 'Load: full', section: 'load', status: 'passed', durationMs: 1, probes: [] };
    const charts = chartsOfProbe({ kind: 'load', verdicts: [], tables: [], notes: [], data: { timeline } }, { id: 'check-9', check });
    for (const chart of charts) {
      if (chart.kind !== 'line') continue;
      const counts = chart.series.map((series) => series.points.length);
      expect(Math.max(...counts)).toBeLessThanOrEqual(300);
      expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(900);
    }
    const latency = charts.find((chart) => chart.id === 'check-9-load-latency')!;
    expect(latency.kind === 'line' && latency.series.find((series) => series.name === 'p95')!.points.some((point) => point.y === 999)).toBe(true);
    const html = charts.map((chart) => renderLineChart(chart as Parameters<typeof renderLineChart>[0])).join('');
    expect(html.length).toBeLessThan(600_000);
  });
});
