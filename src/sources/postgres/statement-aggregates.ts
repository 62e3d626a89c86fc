/**
 * What the proxy keeps about statements outside query windows (load tests, endpoint checks): per
 * statement shape a count, an error count, the summed and largest time, and a log-scale time
 * histogram: fixed size, so memory does not grow with traffic. The number of shapes is capped too;
 * statements of shapes beyond the cap are counted in one "other" group and the overflow is reported.
 *
 * Ready for attribution per request: every counter is keyed by (scope, shape), and the scope is one
 * constant today; when traces are on, the scope becomes the request's trace id (from the traceparent
 * the app forwards in a SQL comment or application_name) without changing the hot path.
 */

/** Histogram buckets: 4 per power of two from 1 µs; bucket k holds times below 2^((k+1)/4) µs. */
export const HISTOGRAM_BUCKETS = 96;
const BUCKETS_PER_OCTAVE = 4;

export function bucketOf(durationMs: number): number {
  const us = durationMs * 1000;
  if (!(us > 1)) return 0;
  const k = Math.floor(Math.log2(us) * BUCKETS_PER_OCTAVE);
  return k >= HISTOGRAM_BUCKETS ? HISTOGRAM_BUCKETS - 1 : k;
}

/** The upper bound of bucket k in milliseconds (a percentile read from the histogram is at most this). */
export function bucketUpperMs(k: number): number {
  return 2 ** ((k + 1) / BUCKETS_PER_OCTAVE) / 1000;
}

export interface ShapeCounters {
  shape: number;
  /** The first text seen with this shape (constants as the first statement had them). */
  text: string;
  count: number;
  errors: number;
  totalMs: number;
  maxMs: number;
  histogram: Uint32Array;
}

export interface AggregateSummary {
  scope: string;
  statements: number;
  /** Shapes beyond the cap were counted here (shape -1, text "(other statements)"). */
  overflowed: number;
  shapes: ShapeCounters[];
}

const OTHER = -1;
export const DEFAULT_SCOPE = '';

export class StatementAggregates {
  private readonly scopes = new Map<string, Map<number, ShapeCounters>>();
  private total = 0;

  constructor(private readonly maxShapes = 1000) {}

  /** Whether the shape has a group already (the tracker decodes the text only for new ones). */
  has(shape: number, scope = DEFAULT_SCOPE): boolean {
    return this.scopes.get(scope)?.has(shape) === true;
  }

  /** Make a group for a shape seen for the first time (or count it under "other" past the cap). */
  describe(shape: number, text: string, scope = DEFAULT_SCOPE): void {
    const groups = this.groups(scope);
    if (groups.has(shape)) return;
    if (groups.size >= this.maxShapes) return;
    groups.set(shape, newCounters(shape, text));
  }

  add(shape: number, durationMs: number, failed: boolean, scope = DEFAULT_SCOPE): void {
    const groups = this.groups(scope);
    let counters = groups.get(shape);
    if (counters === undefined) {
      counters = groups.get(OTHER);
      if (counters === undefined) groups.set(OTHER, (counters = newCounters(OTHER, '(other statements)')));
    }
    this.total++;
    counters.count++;
    if (failed) counters.errors++;
    counters.totalMs += durationMs;
    if (durationMs > counters.maxMs) counters.maxMs = durationMs;
    counters.histogram[bucketOf(durationMs)]++;
  }

  summary(scope = DEFAULT_SCOPE): AggregateSummary {
    const groups = this.scopes.get(scope);
    const shapes = groups ? [...groups.values()].map((c) => ({ ...c, histogram: c.histogram.slice() })) : [];
    let statements = 0;
    for (const c of shapes) statements += c.count;
    return { scope, statements, overflowed: groups?.get(OTHER)?.count ?? 0, shapes };
  }

  /** Statements counted in every scope. */
  get statements(): number {
    return this.total;
  }

  get shapeCount(): number {
    let n = 0;
    for (const groups of this.scopes.values()) n += groups.size;
    return n;
  }

  clear(): void {
    this.scopes.clear();
    this.total = 0;
  }

  private groups(scope: string): Map<number, ShapeCounters> {
    let groups = this.scopes.get(scope);
    if (!groups) this.scopes.set(scope, (groups = new Map()));
    return groups;
  }
}

function newCounters(shape: number, text: string): ShapeCounters {
  return { shape, text, count: 0, errors: 0, totalMs: 0, maxMs: 0, histogram: new Uint32Array(HISTOGRAM_BUCKETS) };
}
