/**
 * Charts as inline SVG text, drawn when the report is rendered: no library, no network. Every
 * point and bar carries its exact value (`data-tip`, shown on hover by the report's tiny script,
 * and a <title> for screen readers and script-less viewers); every chart and series carries its
 * name and point count (`data-chart`, `data-series`, `data-points`) so tests can check them
 * against the JSON result.
 */
import { bandScale, formatTick, linearScale, linePath, MAX_POSITION, niceTicks, PERCENTILE_TICKS, type Point } from './geometry.js';

export interface ChartPoint {
  x: number;
  y: number;
  /** The exact value with its context, shown on hover: "p95 at 12 s: 413.695 ms". */
  tip: string;
}

export interface LineSeries {
  name: string;
  /** A colour with a meaning (errors red, hits green); else the palette's next. */
  color?: string;
  points: ChartPoint[];
}

export interface LineChart {
  kind: 'line';
  id: string;
  title: string;
  /** Unit of the y axis ("ms", "req/s"). */
  unit: string;
  /** "time": x in seconds; "percentile": x is a percentilePosition(). */
  xAxis: 'time' | 'percentile';
  series: LineSeries[];
  /** Horizontal budget lines ("p95 < 50ms"). */
  budgets?: Array<{ value: number; label: string }>;
}

export interface BarSeries {
  name: string;
  color?: string;
  /** One value per category (null: no bar). */
  values: Array<number | null>;
}

export interface BarChart {
  kind: 'bars';
  id: string;
  title: string;
  unit: string;
  /** One row per category; `highlight` marks it (e.g. "N+1") in red. */
  categories: Array<{ label: string; highlight?: string }>;
  series: BarSeries[];
}

export type Chart = LineChart | BarChart;

export const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bc4c00', '#1b7c83', '#bf3989', '#57606a', '#0550ae', '#a40e26', '#116329'];
const HIGHLIGHT = '#cf222e';
const WIDTH = 540;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A value exactly as measured, without float noise: 413.695, 0.1, 4130. */
export function exact(value: number): string {
  return String(Number(value.toFixed(3)));
}

function legend(names: string[], colors: string[]): string {
  if (names.length < 2) return '';
  return `<div class="legend">${names.map((name, index) => `<span><i style="background:${colors[index]}"></i>${esc(name)}</span>`).join('')}</div>`;
}

export function renderChart(chart: Chart): string {
  return chart.kind === 'line' ? renderLineChart(chart) : renderBarChart(chart);
}

export function renderLineChart(chart: LineChart): string {
  const height = 220;
  const margin = { left: 48, right: 12, top: 14, bottom: 30 };
  const all = chart.series.flatMap((series) => series.points);
  const budgets = chart.budgets ?? [];
  const maxY = Math.max(0, ...all.map((point) => point.y), ...budgets.map((budget) => budget.value));
  const yTicks = niceTicks(0, maxY || 1, 5);
  const y = linearScale(yTicks.domain, [height - margin.bottom, margin.top]);
  let xTicks: Array<{ label: string; position: number }>;
  let x;
  if (chart.xAxis === 'percentile') {
    xTicks = PERCENTILE_TICKS.map((tick) => ({ ...tick }));
    x = linearScale([0, MAX_POSITION], [margin.left, WIDTH - margin.right]);
  } else {
    const maxX = Math.max(1, ...all.map((point) => point.x));
    const ticks = niceTicks(0, maxX, 8);
    xTicks = ticks.ticks.map((tick) => ({ label: `${formatTick(tick)} s`, position: tick }));
    x = linearScale(ticks.domain, [margin.left, WIDTH - margin.right]);
  }
  const colors = chart.series.map((series, index) => series.color ?? PALETTE[index % PALETTE.length]);
  const parts: string[] = [];
  for (const tick of yTicks.ticks) {
    const py = y(tick).toFixed(1);
    parts.push(
      `<line class="grid" x1="${margin.left}" x2="${WIDTH - margin.right}" y1="${py}" y2="${py}"/><text class="tick" x="${margin.left - 6}" y="${py}" dy="0.32em" text-anchor="end">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of xTicks) {
    const px = x(tick.position).toFixed(1);
    parts.push(
      `<line class="grid" x1="${px}" x2="${px}" y1="${margin.top}" y2="${height - margin.bottom}"/><text class="tick" x="${px}" y="${height - margin.bottom + 16}" text-anchor="middle">${esc(tick.label)}</text>`,
    );
  }
  parts.push(
    `<text class="unit" x="12" y="${margin.top + (height - margin.top - margin.bottom) / 2}" transform="rotate(-90 12 ${margin.top + (height - margin.top - margin.bottom) / 2})" text-anchor="middle">${esc(chart.unit)}</text>`,
  );
  // Budget labels close to each other alternate between the right and the left end of their line.
  let previousY = Number.POSITIVE_INFINITY;
  let right = true;
  for (const budget of [...budgets].sort((a, b) => a.value - b.value)) {
    const py = y(budget.value);
    right = Math.abs(previousY - py) < 13 ? !right : true;
    previousY = py;
    const label = right
      ? `<text x="${WIDTH - margin.right - 4}" y="${py.toFixed(1)}" dy="-0.4em" text-anchor="end">${esc(budget.label)}</text>`
      : `<text x="${margin.left + 4}" y="${py.toFixed(1)}" dy="-0.4em">${esc(budget.label)}</text>`;
    parts.push(
      `<g class="budget" data-tip="${esc(`budget ${budget.label}`)}"><line x1="${margin.left}" x2="${WIDTH - margin.right}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}"/>${label}<title>${esc(`budget ${budget.label}`)}</title></g>`,
    );
  }
  chart.series.forEach((series, index) => {
    const pixels: Point[] = series.points.map((point) => [x(point.x), y(point.y)]);
    const dots = series.points
      .map(
        (point, i) =>
          `<circle class="pt" cx="${pixels[i][0].toFixed(1)}" cy="${pixels[i][1].toFixed(1)}" r="3" data-tip="${esc(point.tip)}"><title>${esc(point.tip)}</title></circle>`,
      )
      .join('');
    parts.push(
      `<g class="series" data-series="${esc(series.name)}" data-points="${series.points.length}" stroke="${colors[index]}" fill="${colors[index]}"><path d="${linePath(pixels)}" fill="none" stroke-width="2"/>${dots}</g>`,
    );
  });
  const axis = `<line class="axis" x1="${margin.left}" x2="${WIDTH - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}"/><line class="axis" x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${height - margin.bottom}"/>`;
  return `<figure class="chart" data-chart="${esc(chart.id)}" data-series-count="${chart.series.length}"><figcaption>${esc(chart.title)}</figcaption>${legend(
    chart.series.map((series) => series.name),
    colors,
  )}<svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${esc(chart.title)}">${parts.join('')}${axis}</svg></figure>`;
}

export function renderBarChart(chart: BarChart): string {
  const labelWidth = 210;
  const valueWidth = 56;
  const rowGap = 8;
  const barHeight = 14;
  const rowHeight = barHeight * chart.series.length + rowGap;
  const top = 8;
  const axisHeight = 26;
  const height = top + rowHeight * chart.categories.length + axisHeight;
  const maxValue = Math.max(0, ...chart.series.flatMap((series) => series.values.map((value) => value ?? 0)));
  const ticks = niceTicks(0, maxValue || 1, 5);
  const x = linearScale(ticks.domain, [labelWidth, WIDTH - valueWidth]);
  const colors = chart.series.map((series, index) => series.color ?? PALETTE[index % PALETTE.length]);
  const parts: string[] = [];
  const bottom = height - axisHeight;
  for (const tick of ticks.ticks) {
    const px = x(tick).toFixed(1);
    parts.push(
      `<line class="grid" x1="${px}" x2="${px}" y1="${top}" y2="${bottom}"/><text class="tick" x="${px}" y="${bottom + 16}" text-anchor="middle">${formatTick(tick)}</text>`,
    );
  }
  parts.push(`<text class="unit" x="${labelWidth - 8}" y="${bottom + 16}" text-anchor="end">${esc(chart.unit)}</text>`);
  chart.categories.forEach((category, row) => {
    const rowTop = top + row * rowHeight;
    const room = category.highlight ? 30 - category.highlight.length : 33;
    const label = category.label.length > room ? `${category.label.slice(0, room - 1)}…` : category.label;
    const mark = category.highlight ? `<tspan class="hl">${esc(category.highlight)} </tspan>` : '';
    parts.push(
      `<text class="cat${category.highlight ? ' hl' : ''}" x="${labelWidth - 8}" y="${(rowTop + (rowHeight - rowGap) / 2).toFixed(1)}" dy="0.32em" text-anchor="end">${mark}${esc(label)}<title>${esc(category.label)}</title></text>`,
    );
  });
  chart.series.forEach((series, index) => {
    const { band } = bandScale(1, [0, barHeight], 0.15);
    const bars = series.values
      .map((value, row) => {
        if (value === null) return '';
        const rowTop = top + row * rowHeight + index * barHeight;
        const fill = chart.categories[row].highlight && series === chart.series[chart.series.length - 1] ? HIGHLIGHT : colors[index];
        const tip = `${chart.series.length > 1 ? `${series.name}: ` : ''}${chart.categories[row].label}: ${exact(value)} ${chart.unit}`;
        const widthPx = Math.max(value > 0 ? 1 : 0, x(value) - labelWidth);
        return `<rect class="bar" x="${labelWidth}" y="${rowTop.toFixed(1)}" width="${widthPx.toFixed(1)}" height="${band.toFixed(1)}" fill="${fill}" data-tip="${esc(tip)}"><title>${esc(tip)}</title></rect><text class="val" x="${(labelWidth + widthPx + 4).toFixed(1)}" y="${(rowTop + band / 2).toFixed(1)}" dy="0.32em">${formatTick(value)}</text>`;
      })
      .join('');
    parts.push(`<g class="series" data-series="${esc(series.name)}" data-points="${series.values.filter((value) => value !== null).length}">${bars}</g>`);
  });
  parts.push(`<line class="axis" x1="${labelWidth}" x2="${labelWidth}" y1="${top}" y2="${bottom}"/>`);
  return `<figure class="chart" data-chart="${esc(chart.id)}" data-series-count="${chart.series.length}"><figcaption>${esc(chart.title)}</figcaption>${legend(
    chart.series.map((series) => series.name),
    colors,
  )}<svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${esc(chart.title)}">${parts.join('')}</svg></figure>`;
}
