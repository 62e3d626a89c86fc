/**
 * The pure geometry of the report's charts: scales, "nice" ticks, paths, downsampling and the
 * percentile axis of a latency spectrum. No SVG text here (svg.ts draws), no I/O.
 */

export type Point = readonly [x: number, y: number];

export interface Scale {
  (value: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const width = d1 - d0;
  const scale = ((value: number) => (width === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / width) * (r1 - r0))) as Scale;
  scale.domain = domain;
  scale.range = range;
  return scale;
}

/**
 * Ticks at 1, 2 or 5 × 10^k covering [min, max] with about `count` intervals (Heckbert's nice
 * numbers). Returns the ticks and the rounded domain they span, which starts at or below min and
 * ends at or above max.
 */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; domain: [number, number] } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [0, 1], domain: [0, 1] };
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    if (max === 0) return { ticks: [0, 1], domain: [0, 1] };
    const pad = Math.abs(max) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / Math.max(1, count));
  const start = Math.floor(min / step + 1e-9) * step;
  const end = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let value = start; value <= end + step / 2; value += step) ticks.push(roundTo(value, step));
  return { ticks, domain: [ticks[0], ticks[ticks.length - 1]] };
}

function niceStep(raw: number): number {
  const exponent = Math.floor(Math.log10(raw));
  const fraction = raw / 10 ** exponent;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** Removes floating-point noise (0.30000000000000004 → 0.3) at the precision of the step. */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(decimals));
}

/** "M x,y L x,y …" through the points (already in pixels), 1 decimal. Empty for no points. */
export function linePath(points: readonly Point[]): string {
  return points.map(([x, y], index) => `${index === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

/**
 * At most `max` points: consecutive points are grouped into equal buckets and each bucket keeps the
 * point with the largest value (a latency spike must survive downsampling). Unchanged when short.
 */
export function downsample(points: readonly Point[], max: number): Point[] {
  if (points.length <= max || max < 1) return [...points];
  const out: Point[] = [];
  const size = points.length / max;
  for (let bucket = 0; bucket < max; bucket++) {
    const from = Math.floor(bucket * size);
    const to = Math.min(points.length, Math.floor((bucket + 1) * size));
    let best = points[from];
    for (let index = from + 1; index < to; index++) if (points[index][1] > best[1]) best = points[index];
    out.push(best);
  }
  return out;
}

/**
 * The percentile axis of a latency spectrum (HdrHistogram's plot): x = log10(1 / (1 − p/100)), so
 * p50 → 0.30, p90 → 1, p99 → 2, p99.9 → 3: the tail gets as much room as the body.
 */
export function percentilePosition(percentile: number): number {
  const clamped = Math.min(Math.max(percentile, 0), 99.9999);
  return Math.log10(1 / (1 - clamped / 100));
}

/** Where "max" is drawn on the spectrum: a fixed step right of p99.9. */
export const MAX_POSITION = percentilePosition(99.9) + 0.5;

/** Ticks of the percentile axis, as labels at their positions. */
export const PERCENTILE_TICKS: ReadonlyArray<{ label: string; position: number }> = [
  { label: 'p50', position: percentilePosition(50) },
  { label: 'p90', position: percentilePosition(90) },
  { label: 'p99', position: percentilePosition(99) },
  { label: 'p99.9', position: percentilePosition(99.9) },
  { label: 'max', position: MAX_POSITION },
];

/** A tick label: thousands separated, no trailing zeros, at most 2 decimals below 10. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${Number((value / 1_000_000).toFixed(1))}M`;
  if (abs >= 10_000) return `${Number((value / 1000).toFixed(1))}k`;
  if (abs >= 10) return String(Math.round(value * 10) / 10);
  return String(Number(value.toFixed(2)));
}

/** Bars of equal band width in [r0, r1], `padding` (0..1) of each band left empty. */
export function bandScale(count: number, range: readonly [number, number], padding = 0.2): { band: number; start: (index: number) => number } {
  const [r0, r1] = range;
  const step = count > 0 ? (r1 - r0) / count : 0;
  const band = step * (1 - padding);
  return { band, start: (index: number) => r0 + index * step + (step - band) / 2 };
}
